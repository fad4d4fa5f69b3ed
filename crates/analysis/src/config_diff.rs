//! Configuration findings: keys that changed, appeared or disappeared between the baseline and
//! the incident uploads, and a few single-file checks on Kubernetes workloads that SREs know
//! cause incidents (no memory limit, `latest` images, eager liveness probes, one replica).
//!
//! Keys are matched by document label (`Deployment prod/checkout`, `nginx`; empty when the
//! format has none) and key path, so a baseline named differently from the incident file still
//! lines up. Values arrive redacted; placeholders are stable within a session, so a changed
//! secret still shows as changed without being revealed.

use faultmaven_model::{
    AttachmentId, AttachmentRole, ConfigEntry, Evidence, Finding, FindingId, FindingKind, Severity,
    Suspect, SuspectKind,
};
use std::collections::BTreeMap;

/// Keys kept per role; configuration files are small, this only bounds hostile uploads.
const MAX_KEYS_PER_ROLE: usize = 50_000;
/// Changed keys reported one finding each; the rest are summed up in one more finding.
const MAX_CHANGE_FINDINGS: usize = 8;
/// Evidence items in the summary finding of further changes.
const MAX_SUMMARY_EVIDENCE: usize = 5;
/// Characters of a value quoted in a title.
const VALUE_CHARS: usize = 60;

/// Workload kinds whose pod template has containers.
const WORKLOAD_KINDS: &[&str] = &[
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "Job",
    "CronJob",
    "Pod",
];

#[derive(Debug, Clone, PartialEq)]
struct KeyValue {
    attachment: AttachmentId,
    line: Option<u64>,
    value: String,
}

impl KeyValue {
    fn evidence(&self, path: &str) -> Evidence {
        Evidence::ConfigKey {
            attachment: self.attachment,
            path: path.to_owned(),
            line: self.line,
        }
    }
}

/// (document label, key path)
type KeyId = (String, String);

/// The configuration keys of one request, by role.
#[derive(Debug, Default)]
pub(crate) struct ConfigStore {
    incident: BTreeMap<KeyId, KeyValue>,
    baseline: BTreeMap<KeyId, KeyValue>,
    dropped: u64,
}

impl ConfigStore {
    pub fn add(&mut self, role: AttachmentRole, entry: &ConfigEntry<'_>) {
        let keys = match role {
            AttachmentRole::Incident => &mut self.incident,
            AttachmentRole::Baseline => &mut self.baseline,
        };
        if keys.len() >= MAX_KEYS_PER_ROLE {
            self.dropped += 1;
            return;
        }
        let label = entry.document_label.as_deref().unwrap_or("").to_owned();
        keys.insert(
            (label, entry.path.clone().into_owned()),
            KeyValue {
                attachment: entry.attachment,
                line: entry.line,
                value: entry.value.clone().into_owned(),
            },
        );
    }

    pub fn findings(&self) -> Vec<Finding> {
        let mut findings = self.change_findings();
        findings.extend(self.workload_findings());
        findings
    }

    fn change_findings(&self) -> Vec<Finding> {
        if self.incident.is_empty() || self.baseline.is_empty() {
            return Vec::new();
        }
        // Only documents present on both sides are compared: a baseline with another file
        // would otherwise report every key of both as added or removed.
        let labels_on_both: Vec<&String> = self
            .incident
            .keys()
            .map(|(label, _)| label)
            .filter(|label| {
                self.baseline
                    .range(((*label).clone(), String::new())..)
                    .next()
                    .is_some_and(|((other, _), _)| other == *label)
            })
            .collect();
        let mut changes: Vec<Change<'_>> = Vec::new();
        for (id, incident) in &self.incident {
            if !labels_on_both.contains(&&id.0) {
                continue;
            }
            match self.baseline.get(id) {
                Some(baseline) if baseline.value != incident.value => changes.push(Change {
                    id,
                    incident: Some(incident),
                    baseline: Some(baseline),
                }),
                Some(_) => {}
                None => changes.push(Change {
                    id,
                    incident: Some(incident),
                    baseline: None,
                }),
            }
        }
        for (id, baseline) in &self.baseline {
            if labels_on_both.contains(&&id.0) && !self.incident.contains_key(id) {
                changes.push(Change {
                    id,
                    incident: None,
                    baseline: Some(baseline),
                });
            }
        }
        changes.sort_by(|a, b| {
            b.weight()
                .total_cmp(&a.weight())
                .then_with(|| a.id.cmp(b.id))
        });
        let mut findings: Vec<Finding> = changes
            .iter()
            .take(MAX_CHANGE_FINDINGS)
            .map(Change::finding)
            .collect();
        let rest = &changes[changes.len().min(MAX_CHANGE_FINDINGS)..];
        if !rest.is_empty() {
            let evidence = rest
                .iter()
                .take(MAX_SUMMARY_EVIDENCE)
                .flat_map(Change::evidence)
                .collect();
            let listed: Vec<String> = rest
                .iter()
                .take(10)
                .map(|change| change.id.1.clone())
                .collect();
            findings.push(finding(
                Severity::Info,
                format!(
                    "{} more configuration keys differ from the baseline",
                    rest.len()
                ),
                format!("Also changed, added or removed: {}.", listed.join(", ")),
                0.2,
                Vec::new(),
                evidence,
            ));
        }
        findings
    }

    /// Kubernetes workload checks on the incident side.
    fn workload_findings(&self) -> Vec<Finding> {
        let mut findings = Vec::new();
        let mut labels: Vec<&String> = self.incident.keys().map(|(label, _)| label).collect();
        labels.dedup();
        for label in labels {
            let keys: BTreeMap<&str, &KeyValue> = self
                .incident
                .range((label.clone(), String::new())..)
                .take_while(|((other, _), _)| other == label)
                .map(|((_, path), value)| (path.as_str(), value))
                .collect();
            let Some(kind) = keys.get("kind").map(|kind| kind.value.as_str()) else {
                continue;
            };
            if !WORKLOAD_KINDS.contains(&kind) || !keys.contains_key("apiVersion") {
                continue;
            }
            workload_checks(label, kind, &keys, &mut findings);
        }
        findings
    }
}

struct Change<'s> {
    id: &'s KeyId,
    incident: Option<&'s KeyValue>,
    baseline: Option<&'s KeyValue>,
}

impl Change<'_> {
    /// Keys that set resources, sizes, versions and timeouts explain incidents more often
    /// than labels and annotations.
    fn weight(&self) -> f64 {
        let path = self.id.1.to_ascii_lowercase();
        const STRONG: &[&str] = &[
            "memory",
            "cpu",
            "limit",
            "replicas",
            "image",
            "timeout",
            "probe",
            "pool",
            "max",
            "heap",
            "xmx",
            "worker",
            "connections",
            "size",
            "url",
            "host",
            "port",
            "version",
        ];
        const WEAK: &[&str] = &["annotation", "label", "description", "comment", "checksum"];
        let mut weight: f64 = 0.5;
        if STRONG.iter().any(|word| path.contains(word)) {
            weight += 0.3;
        }
        if self.incident.is_some_and(|key| mentions_size(&key.value)) {
            weight += 0.1;
        }
        if WEAK.iter().any(|word| path.contains(word)) {
            weight -= 0.3;
        }
        weight.clamp(0.05, 0.95)
    }

    fn evidence(&self) -> Vec<Evidence> {
        let path = &self.id.1;
        self.incident
            .iter()
            .chain(self.baseline.iter())
            .map(|key| key.evidence(path))
            .collect()
    }

    fn finding(&self) -> Finding {
        let (label, path) = self.id;
        let document = if label.is_empty() {
            String::new()
        } else {
            format!(" in {label}")
        };
        let (title, detail) = match (self.incident, self.baseline) {
            (Some(incident), Some(baseline)) => (
                format!(
                    "Configuration changed{document}: {path} {} -> {}",
                    clip(&baseline.value),
                    clip(&incident.value)
                ),
                format!(
                    "The baseline sets {path} to '{}'; the incident configuration sets it to '{}'.",
                    clip(&baseline.value),
                    clip(&incident.value)
                ),
            ),
            (Some(incident), None) => (
                format!("Configuration key added{document}: {path} = {}", clip(&incident.value)),
                format!(
                    "{path} is set to '{}' in the incident configuration and absent from the baseline.",
                    clip(&incident.value)
                ),
            ),
            (None, Some(baseline)) => (
                format!("Configuration key removed{document}: {path}"),
                format!(
                    "The baseline sets {path} to '{}'; the incident configuration no longer sets it.",
                    clip(&baseline.value)
                ),
            ),
            (None, None) => (String::new(), String::new()),
        };
        let weight = self.weight();
        let severity = if weight >= 0.8 {
            Severity::Medium
        } else {
            Severity::Low
        };
        finding(
            severity,
            title,
            detail,
            weight * 0.8,
            Vec::new(),
            self.evidence(),
        )
    }
}

/// `512Mi`, `2Gi`, `-Xmx768m`, `100`: values that are sizes or counts.
fn mentions_size(value: &str) -> bool {
    value.bytes().any(|b| b.is_ascii_digit())
}

fn clip(value: &str) -> String {
    if value.chars().count() <= VALUE_CHARS {
        return value.to_owned();
    }
    let mut clipped: String = value.chars().take(VALUE_CHARS).collect();
    clipped.push('…');
    clipped
}

fn finding(
    severity: Severity,
    title: String,
    detail: String,
    score: f64,
    subjects: Vec<Suspect>,
    evidence: Vec<Evidence>,
) -> Finding {
    Finding {
        id: FindingId::new(0),
        kind: FindingKind::ConfigIssue,
        severity,
        title,
        detail,
        score: score.clamp(0.0, 1.0),
        first_seen: None,
        last_seen: None,
        subjects,
        template_id: None,
        evidence,
        entities: Vec::new(),
    }
}

/// The container prefixes of a workload: `spec.template.spec.containers[0]`, ...
fn container_prefixes<'k>(keys: &BTreeMap<&'k str, &KeyValue>) -> Vec<&'k str> {
    keys.keys()
        .filter_map(|path| path.strip_suffix(".name"))
        .filter(|prefix| {
            prefix.ends_with(']')
                && prefix
                    .rsplit_once('.')
                    .map_or(*prefix, |(_, last)| last)
                    .starts_with("containers[")
        })
        .collect()
}

fn workload_checks(
    label: &str,
    kind: &str,
    keys: &BTreeMap<&str, &KeyValue>,
    findings: &mut Vec<Finding>,
) {
    for prefix in container_prefixes(keys) {
        let name_path = format!("{prefix}.name");
        let Some(name) = keys.get(name_path.as_str()) else {
            continue;
        };
        let subjects = vec![Suspect {
            kind: SuspectKind::Container,
            name: name.value.clone(),
        }];
        let memory_limit = format!("{prefix}.resources.limits.memory");
        if !keys.contains_key(memory_limit.as_str()) {
            findings.push(finding(
                Severity::Low,
                format!("Container {} in {label} has no memory limit", name.value),
                format!(
                    "{memory_limit} is not set: the container can grow until the node runs out of memory and the kernel or kubelet evicts or kills pods, often not this one."
                ),
                0.45,
                subjects.clone(),
                vec![name.evidence(&name_path)],
            ));
        }
        let image_path = format!("{prefix}.image");
        if let Some(image) = keys.get(image_path.as_str()) {
            if floating_tag(&image.value) {
                findings.push(finding(
                    Severity::Low,
                    format!(
                        "Container {} in {label} runs a floating image tag: {}",
                        name.value,
                        clip(&image.value)
                    ),
                    "A `latest` (or missing) tag means a restart can pull a different build than the one that ran before; pin a version or digest.".to_owned(),
                    0.4,
                    subjects.clone(),
                    vec![image.evidence(&image_path)],
                ));
            }
        }
        probe_checks(label, prefix, &name.value, keys, &subjects, findings);
    }
    if matches!(kind, "Deployment" | "StatefulSet") {
        if let Some(replicas) = keys.get("spec.replicas") {
            if replicas.value.trim() == "1" {
                findings.push(finding(
                    Severity::Info,
                    format!("{label} runs a single replica"),
                    "spec.replicas is 1: any restart, eviction or rollout of that pod is an outage of the workload.".to_owned(),
                    0.3,
                    Vec::new(),
                    vec![replicas.evidence("spec.replicas")],
                ));
            }
        }
    }
}

fn probe_checks(
    label: &str,
    prefix: &str,
    container: &str,
    keys: &BTreeMap<&str, &KeyValue>,
    subjects: &[Suspect],
    findings: &mut Vec<Finding>,
) {
    let has_startup_probe = keys
        .keys()
        .any(|path| path.starts_with(&format!("{prefix}.startupProbe.")));
    let delay_path = format!("{prefix}.livenessProbe.initialDelaySeconds");
    if let Some(delay) = keys.get(delay_path.as_str()) {
        if delay.value.trim() == "0" && !has_startup_probe {
            findings.push(finding(
                Severity::Low,
                format!("Liveness probe of {container} in {label} starts checking immediately"),
                "initialDelaySeconds is 0 and there is no startupProbe: a container that needs time to start is killed before it is ready, which shows as a restart loop.".to_owned(),
                0.45,
                subjects.to_vec(),
                vec![delay.evidence(&delay_path)],
            ));
        }
    }
    let timeout_path = format!("{prefix}.livenessProbe.timeoutSeconds");
    if let Some(timeout) = keys.get(timeout_path.as_str()) {
        if timeout
            .value
            .trim()
            .parse::<f64>()
            .is_ok_and(|seconds| seconds <= 1.0)
        {
            findings.push(finding(
                Severity::Low,
                format!("Liveness probe of {container} in {label} times out after {}s", timeout.value.trim()),
                "A one-second liveness timeout fails under GC pauses or CPU throttling, and the kubelet then restarts a container that was only slow.".to_owned(),
                0.35,
                subjects.to_vec(),
                vec![timeout.evidence(&timeout_path)],
            ));
        }
    }
}

/// An image reference without a tag, or with the `latest` tag, and no digest.
fn floating_tag(image: &str) -> bool {
    if image.contains('@') {
        return false;
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    match last.split_once(':') {
        Some((_, tag)) => tag == "latest",
        None => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    fn entry<'a>(
        attachment: u32,
        line: u64,
        label: &'a str,
        path: &'a str,
        value: &'a str,
    ) -> ConfigEntry<'a> {
        ConfigEntry {
            attachment: AttachmentId::new(attachment),
            line: Some(line),
            document: 0,
            document_label: Some(Cow::Borrowed(label)),
            path: Cow::Borrowed(path),
            value: Cow::Borrowed(value),
        }
    }

    const LABEL: &str = "Deployment prod/checkout";
    const C: &str = "spec.template.spec.containers[0]";

    fn workload(
        store: &mut ConfigStore,
        role: AttachmentRole,
        attachment: u32,
        memory: Option<&str>,
        image: &str,
    ) {
        let add = |store: &mut ConfigStore, line, path: String, value: &str| {
            store.add(role, &entry(attachment, line, LABEL, &path, value));
        };
        add(store, 1, "apiVersion".into(), "apps/v1");
        add(store, 2, "kind".into(), "Deployment");
        add(store, 5, "spec.replicas".into(), "3");
        add(store, 9, format!("{C}.name"), "app");
        add(store, 10, format!("{C}.image"), image);
        if let Some(memory) = memory {
            add(store, 12, format!("{C}.resources.limits.memory"), memory);
        }
    }

    #[test]
    fn changed_added_and_removed_keys_cite_both_sides() {
        let mut store = ConfigStore::default();
        workload(
            &mut store,
            AttachmentRole::Baseline,
            2,
            Some("2Gi"),
            "shop/app:2.1",
        );
        workload(
            &mut store,
            AttachmentRole::Incident,
            1,
            Some("512Mi"),
            "shop/app:2.2",
        );
        store.add(
            AttachmentRole::Incident,
            &entry(1, 20, LABEL, "spec.paused", "false"),
        );
        let findings = store.findings();
        let titles: Vec<&str> = findings.iter().map(|f| f.title.as_str()).collect();
        assert_eq!(
            titles,
            vec![
                "Configuration changed in Deployment prod/checkout: spec.template.spec.containers[0].image shop/app:2.1 -> shop/app:2.2",
                "Configuration changed in Deployment prod/checkout: spec.template.spec.containers[0].resources.limits.memory 2Gi -> 512Mi",
                "Configuration key added in Deployment prod/checkout: spec.paused = false",
            ]
        );
        assert_eq!(
            findings[1].evidence,
            vec![
                Evidence::ConfigKey {
                    attachment: AttachmentId::new(1),
                    path: format!("{C}.resources.limits.memory"),
                    line: Some(12)
                },
                Evidence::ConfigKey {
                    attachment: AttachmentId::new(2),
                    path: format!("{C}.resources.limits.memory"),
                    line: Some(12)
                },
            ]
        );
        assert!(findings
            .iter()
            .all(|f| f.kind == FindingKind::ConfigIssue && (0.0..=1.0).contains(&f.score)));
    }

    #[test]
    fn no_baseline_means_no_change_findings_and_other_documents_are_not_compared() {
        let mut store = ConfigStore::default();
        workload(
            &mut store,
            AttachmentRole::Incident,
            1,
            Some("1Gi"),
            "shop/app:1",
        );
        assert!(store.findings().is_empty());
        store.add(
            AttachmentRole::Baseline,
            &entry(2, 1, "nginx", "http.server[0].listen", "80"),
        );
        assert!(store.findings().is_empty());
    }

    #[test]
    fn workload_checks_fire_on_what_they_name() {
        let mut store = ConfigStore::default();
        workload(
            &mut store,
            AttachmentRole::Incident,
            1,
            None,
            "shop/app:latest",
        );
        let probe = |path: &str| format!("{C}.livenessProbe.{path}");
        store.add(
            AttachmentRole::Incident,
            &entry(1, 30, LABEL, &probe("initialDelaySeconds"), "0"),
        );
        store.add(
            AttachmentRole::Incident,
            &entry(1, 31, LABEL, &probe("timeoutSeconds"), "1"),
        );
        store.add(
            AttachmentRole::Incident,
            &entry(1, 5, LABEL, "spec.replicas", "1"),
        );
        let titles: Vec<String> = store.findings().into_iter().map(|f| f.title).collect();
        assert_eq!(
            titles,
            vec![
                "Container app in Deployment prod/checkout has no memory limit",
                "Container app in Deployment prod/checkout runs a floating image tag: shop/app:latest",
                "Liveness probe of app in Deployment prod/checkout starts checking immediately",
                "Liveness probe of app in Deployment prod/checkout times out after 1s",
                "Deployment prod/checkout runs a single replica",
            ]
        );
        let mut healthy = ConfigStore::default();
        workload(
            &mut healthy,
            AttachmentRole::Incident,
            1,
            Some("1Gi"),
            "shop/app@sha256:abc",
        );
        assert!(healthy.findings().is_empty());
    }

    #[test]
    fn image_tags() {
        assert!(floating_tag("nginx"));
        assert!(floating_tag("registry:5000/team/app:latest"));
        assert!(floating_tag("registry:5000/team/app"));
        assert!(!floating_tag("team/app:1.2.3"));
        assert!(!floating_tag("team/app@sha256:0123"));
    }
}
