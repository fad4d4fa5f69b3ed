//! Trace analysis: spans kept compactly (capped), assembled into traces at the end; per
//! service and operation latency percentiles and error rates against a reference (the
//! baseline upload, or the earlier half of the window); the critical path of the slowest
//! trace; where errors start (the deepest failing span of each failing trace); and per-span
//! derived quantities (self time, caller→callee network gap) that root-cause ranking uses.

#[cfg(test)]
mod tests;

use crate::intern::FastMap;
use crate::signals::format_time;
use faultmaven_model::{
    AttachmentId, AttachmentRole, Evidence, Finding, FindingId, FindingKind, Severity, SpanKind,
    SpanRecord, Suspect, SuspectKind, Timestamp,
};

/// Spans kept per analysis; later ones are counted, not kept (bounded memory).
pub(crate) const MAX_SPANS: usize = 500_000;
/// Trace findings reported at most.
const MAX_TRACE_FINDINGS: usize = 6;
/// Spans on a critical path at most.
pub(crate) const MAX_CRITICAL_PATH: usize = 32;

/// Attribute keys naming the peer a client span calls (a database, a cache, a service).
const PEER_KEYS: &[&str] = &[
    "peer.service",
    "server.address",
    "net.peer.name",
    "db.name",
    "db.system",
    "messaging.destination.name",
];
/// Attribute keys naming the pod or host that emitted a span.
const POD_KEYS: &[&str] = &["k8s.pod.name", "pod", "pod_name", "host.name", "hostname"];

/// One span, compact.
#[derive(Debug, Clone)]
pub(crate) struct CompactSpan {
    pub attachment: AttachmentId,
    pub baseline: bool,
    pub trace: u32,
    pub span_id: Box<str>,
    pub parent: Option<Box<str>>,
    pub service: u32,
    pub operation: u32,
    pub kind: SpanKind,
    pub start: i64,
    pub duration: i64,
    pub is_error: bool,
    /// Peer named by the span's attributes (client spans), interned.
    pub peer: Option<u32>,
    /// Pod or host named by the span's attributes, interned.
    pub pod: Option<u32>,
}

/// Derived per span once traces are assembled.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Derived {
    /// Duration minus the time covered by direct children (nanoseconds, >= 0).
    pub self_time: i64,
    /// For a client span with a server child in another service: client minus server duration.
    pub gap: Option<(u32, i64)>,
    /// An error span none of whose children failed: where the failure starts.
    pub originates_error: bool,
    /// Index of the parent span, when present in the upload.
    pub parent_index: Option<usize>,
}

/// Everything kept about spans.
#[derive(Debug, Default)]
pub(crate) struct TraceStore {
    pub spans: Vec<CompactSpan>,
    pub dropped: u64,
    names: FastMap<Box<str>, u32>,
    pub name_list: Vec<Box<str>>,
    traces: FastMap<Box<str>, u32>,
    pub trace_ids: Vec<Box<str>>,
}

impl TraceStore {
    fn intern(&mut self, text: &str) -> u32 {
        if let Some(&id) = self.names.get(text) {
            return id;
        }
        let id = self.name_list.len() as u32;
        self.name_list.push(text.into());
        self.names.insert(text.into(), id);
        id
    }

    /// The text of an interned name.
    pub fn name(&self, id: u32) -> &str {
        self.name_list.get(id as usize).map_or("", |s| s)
    }

    /// Keeps one span (or counts it when the store is full).
    pub fn add(&mut self, span: &SpanRecord<'_>, role: AttachmentRole) {
        if self.spans.len() >= MAX_SPANS {
            self.dropped += 1;
            return;
        }
        let trace = match self.traces.get(span.trace_id.as_ref()) {
            Some(&id) => id,
            None => {
                let id = self.trace_ids.len() as u32;
                self.trace_ids.push(span.trace_id.as_ref().into());
                self.traces.insert(span.trace_id.as_ref().into(), id);
                id
            }
        };
        // Keys compare without case and punctuation: a CSV column `PeerService` is `peer.service`.
        let squash = |key: &str| -> String {
            key.chars()
                .filter(char::is_ascii_alphanumeric)
                .map(|c| c.to_ascii_lowercase())
                .collect()
        };
        let find = |keys: &[&str]| {
            keys.iter().find_map(|key| {
                let wanted = squash(key);
                span.attributes
                    .iter()
                    .find(|(k, v)| !v.is_empty() && squash(k) == wanted)
                    .map(|(_, v)| v.to_string())
            })
        };
        let peer = find(PEER_KEYS);
        let pod = find(POD_KEYS);
        let compact = CompactSpan {
            attachment: span.attachment,
            baseline: role == AttachmentRole::Baseline,
            trace,
            span_id: span.span_id.as_ref().into(),
            parent: span.parent_span_id.as_deref().map(Into::into),
            service: self.intern(&span.service),
            operation: self.intern(&span.operation),
            kind: span.kind,
            start: span.start.unix_nanos(),
            duration: i64::try_from(span.duration_ns).unwrap_or(i64::MAX),
            is_error: span.is_error,
            peer: peer.map(|p| self.intern(&p)),
            pod: pod.map(|p| self.intern(&p)),
        };
        self.spans.push(compact);
    }

    /// Self time, gaps and error origins of every span.
    pub fn derive(&self) -> Vec<Derived> {
        let mut by_id: FastMap<(u32, &str), usize> = FastMap::default();
        for (index, span) in self.spans.iter().enumerate() {
            by_id.insert((span.trace, &span.span_id), index);
        }
        let mut derived: Vec<Derived> = self
            .spans
            .iter()
            .map(|span| Derived {
                self_time: span.duration,
                ..Derived::default()
            })
            .collect();
        let mut child_error = vec![false; self.spans.len()];
        let mut covered = vec![0i64; self.spans.len()];
        for (index, span) in self.spans.iter().enumerate() {
            let Some(parent) = span
                .parent
                .as_deref()
                .and_then(|p| by_id.get(&(span.trace, p)).copied())
            else {
                continue;
            };
            derived[index].parent_index = Some(parent);
            // Saturating: hostile durations near i64::MAX must not overflow the sum.
            covered[parent] = covered[parent].saturating_add(span.duration);
            child_error[parent] |= span.is_error;
            let parent_span = &self.spans[parent];
            let crosses = parent_span.service != span.service;
            let client_to_server =
                matches!(parent_span.kind, SpanKind::Client | SpanKind::Producer)
                    || (crosses && parent_span.kind != SpanKind::Server);
            if crosses && client_to_server {
                derived[parent].gap = Some((span.service, parent_span.duration - span.duration));
            }
        }
        for (index, span) in self.spans.iter().enumerate() {
            // Children may overlap (parallel calls); the sum is clipped at the span's length.
            derived[index].self_time = (span.duration - covered[index].min(span.duration)).max(0);
            derived[index].originates_error = span.is_error && !child_error[index];
        }
        derived
    }

    /// The earliest and latest start of incident spans.
    pub fn incident_window(&self) -> Option<(i64, i64)> {
        let mut window: Option<(i64, i64)> = None;
        for span in self.spans.iter().filter(|s| !s.baseline) {
            window = Some(match window {
                Some((low, high)) => (low.min(span.start), high.max(span.start)),
                None => (span.start, span.start),
            });
        }
        window
    }

    fn evidence(&self, index: usize) -> Evidence {
        let span = &self.spans[index];
        Evidence::Span {
            attachment: span.attachment,
            trace_id: self.trace_ids[span.trace as usize].to_string(),
            span_id: span.span_id.to_string(),
        }
    }

    /// Trace findings: operations slower or failing more than their reference, with the
    /// critical path of the slowest trace and where errors start.
    pub fn findings(&self, derived: &[Derived], with_date: bool) -> Vec<Finding> {
        let Some((low, high)) = self.incident_window() else {
            return Vec::new();
        };
        let has_baseline = self.spans.iter().any(|s| s.baseline);
        let middle = low + (high - low) / 2;
        // Per (service, operation): reference and incident durations and errors.
        let mut groups: FastMap<(u32, u32), OperationStats> = FastMap::default();
        for (index, span) in self.spans.iter().enumerate() {
            let in_reference = if has_baseline {
                span.baseline
            } else {
                span.start < middle
            };
            let in_incident = !span.baseline && (has_baseline || span.start >= middle);
            let stats = groups
                .entry((span.service, span.operation))
                .or_insert_with(|| OperationStats {
                    first_time: i64::MAX,
                    ..OperationStats::default()
                });
            if in_reference {
                stats.reference.push(span.duration);
                stats.reference_errors += u64::from(span.is_error);
            }
            if in_incident {
                stats.incident.push(span.duration);
                stats.incident_errors += u64::from(span.is_error);
                if stats
                    .slowest
                    .is_none_or(|s| self.spans[s].duration < span.duration)
                {
                    stats.slowest = Some(index);
                }
                if span.is_error && derived[index].originates_error && stats.first_error.is_none() {
                    stats.first_error = Some(index);
                }
                stats.first_time = stats.first_time.min(span.start);
            }
        }
        let origins = self.error_origins(derived);
        let critical = self.critical_path_of_slowest(derived);
        let mut findings = Vec::new();
        for ((service, operation), mut stats) in groups {
            if stats.incident.len() < 5 || stats.reference.len() < 5 {
                continue;
            }
            stats.incident.sort_unstable();
            stats.reference.sort_unstable();
            let (p50, p95, p99) = percentiles(&stats.incident);
            let (r50, r95, r99) = percentiles(&stats.reference);
            let error_rate = stats.incident_errors as f64 / stats.incident.len() as f64;
            let reference_rate = stats.reference_errors as f64 / stats.reference.len() as f64;
            let latency_ratio = p95 as f64 / (r95.max(1)) as f64;
            let error_change = error_rate - reference_rate;
            let slower = latency_ratio >= 1.5 && p95 - r95 >= 5_000_000;
            let failing = error_change >= 0.05;
            if !slower && !failing {
                continue;
            }
            let service_name = self.name(service);
            let operation_name = self.name(operation);
            let reference_name = if has_baseline {
                "the baseline"
            } else {
                "the first half of the window"
            };
            let mut title = format!("{service_name} {operation_name}:");
            if slower {
                title.push_str(&format!(
                    " p95 latency {} (was {})",
                    millis(p95),
                    millis(r95)
                ));
            }
            if failing {
                title.push_str(&format!(
                    "{} error rate {:.0}% (was {:.0}%)",
                    if slower { ";" } else { "" },
                    error_rate * 100.0,
                    reference_rate * 100.0
                ));
            }
            let mut detail = format!(
                "{} spans since {}: p50 {} / p95 {} / p99 {} against {} / {} / {} in {reference_name} ({} spans); error rate {:.1}% against {:.1}%.",
                stats.incident.len(),
                format_time(stats.first_time, with_date, true),
                millis(p50),
                millis(p95),
                millis(p99),
                millis(r50),
                millis(r95),
                millis(r99),
                stats.reference.len(),
                error_rate * 100.0,
                reference_rate * 100.0,
            );
            if let Some((origin_service, count, failing_traces)) = origins.first() {
                if failing {
                    detail.push_str(&format!(
                        " Errors start in {} in {count} of {failing_traces} failing traces (the deepest failing span).",
                        self.name(*origin_service)
                    ));
                }
            }
            if slower {
                if let Some(path) = &critical {
                    detail.push_str(&format!(" Critical path of the slowest trace: {path}."));
                }
            }
            let mut evidence = Vec::new();
            if let Some(index) = stats.first_error.filter(|_| failing) {
                evidence.push(self.evidence(index));
            }
            if let Some(index) = stats.slowest {
                evidence.push(self.evidence(index));
            }
            let strength = (latency_ratio.ln().max(0.0) / 3.0)
                .min(1.0)
                .max(error_change.min(1.0) * 2.0);
            let score = (0.4 + 0.6 * strength).min(1.0);
            findings.push(Finding {
                id: FindingId::new(0),
                kind: FindingKind::TraceAnomaly,
                severity: if error_change >= 0.2 || latency_ratio >= 4.0 {
                    Severity::High
                } else {
                    Severity::Medium
                },
                title,
                detail,
                score,
                first_seen: Some(Timestamp::from_unix_nanos(stats.first_time)),
                last_seen: Some(Timestamp::from_unix_nanos(high)),
                subjects: vec![
                    Suspect {
                        kind: SuspectKind::Service,
                        name: service_name.to_owned(),
                    },
                    Suspect {
                        kind: SuspectKind::Endpoint,
                        name: operation_name.to_owned(),
                    },
                ],
                template_id: None,
                evidence,
                entities: Vec::new(),
            });
        }
        findings.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.title.cmp(&b.title)));
        findings.truncate(MAX_TRACE_FINDINGS);
        findings
    }

    /// Per service: in how many failing incident traces its span is the deepest failing one.
    /// Sorted by that count, highest first: (service, count, failing traces).
    pub fn error_origins(&self, derived: &[Derived]) -> Vec<(u32, u64, u64)> {
        let mut deepest: FastMap<u32, (usize, u32)> = FastMap::default();
        for (index, span) in self.spans.iter().enumerate() {
            if span.baseline || !span.is_error {
                continue;
            }
            let depth = depth_of(derived, index);
            let entry = deepest.entry(span.trace).or_insert((index, depth));
            if depth > entry.1 {
                *entry = (index, depth);
            }
        }
        let failing = deepest.len() as u64;
        let mut counts: FastMap<u32, u64> = FastMap::default();
        for (index, _) in deepest.values() {
            let span = &self.spans[*index];
            // A failing client span without a server child blames the peer it called.
            let blamed = if span.kind == SpanKind::Client {
                span.peer.unwrap_or(span.service)
            } else {
                span.service
            };
            *counts.entry(blamed).or_default() += 1;
        }
        let mut origins: Vec<(u32, u64, u64)> =
            counts.into_iter().map(|(s, c)| (s, c, failing)).collect();
        origins.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        origins
    }

    /// The root span of the slowest incident trace (the longest root; the first on ties).
    pub fn slowest_incident_root(&self, derived: &[Derived]) -> Option<usize> {
        self.spans
            .iter()
            .enumerate()
            .filter(|(i, s)| !s.baseline && derived[*i].parent_index.is_none())
            .max_by_key(|(i, s)| (s.duration, std::cmp::Reverse(*i)))
            .map(|(index, _)| index)
    }

    /// The critical path from `root`: at each level the child that ends last (at most
    /// [`MAX_CRITICAL_PATH`] spans, so a parent cycle in bad data cannot loop).
    pub fn critical_path(&self, root: usize, derived: &[Derived]) -> Vec<usize> {
        let mut children: FastMap<usize, Vec<usize>> = FastMap::default();
        let trace = self.spans[root].trace;
        for (index, span) in self.spans.iter().enumerate() {
            if span.trace == trace {
                if let Some(parent) = derived[index].parent_index {
                    children.entry(parent).or_default().push(index);
                }
            }
        }
        let mut path = vec![root];
        let mut current = root;
        while path.len() < MAX_CRITICAL_PATH {
            let Some(next) = children.get(&current).and_then(|kids| {
                kids.iter()
                    .copied()
                    .max_by_key(|&k| self.spans[k].start.saturating_add(self.spans[k].duration))
            }) else {
                break;
            };
            path.push(next);
            current = next;
        }
        path
    }

    /// The critical path of the slowest incident trace, as text.
    fn critical_path_of_slowest(&self, derived: &[Derived]) -> Option<String> {
        let root = self.slowest_incident_root(derived)?;
        let path: Vec<String> = self
            .critical_path(root, derived)
            .into_iter()
            .map(|index| {
                let span = &self.spans[index];
                format!(
                    "{} {} ({}, self {})",
                    self.name(span.service),
                    self.name(span.operation),
                    millis(span.duration),
                    millis(derived[index].self_time)
                )
            })
            .collect();
        Some(path.join(" → "))
    }
}

fn depth_of(derived: &[Derived], mut index: usize) -> u32 {
    let mut depth = 0;
    while let Some(parent) = derived[index].parent_index {
        depth += 1;
        index = parent;
        if depth > 256 {
            break;
        }
    }
    depth
}

#[derive(Debug, Default)]
struct OperationStats {
    reference: Vec<i64>,
    incident: Vec<i64>,
    reference_errors: u64,
    incident_errors: u64,
    slowest: Option<usize>,
    first_error: Option<usize>,
    first_time: i64,
}

/// p50, p95, p99 of sorted values (nearest rank).
fn percentiles(sorted: &[i64]) -> (i64, i64, i64) {
    let at = |q: f64| {
        let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
        sorted[rank - 1]
    };
    (at(0.50), at(0.95), at(0.99))
}

/// Nanoseconds as milliseconds text: `12.5 ms`.
pub(crate) fn millis(nanos: i64) -> String {
    let ms = nanos as f64 / 1e6;
    if ms >= 100.0 {
        format!("{ms:.0} ms")
    } else {
        format!("{ms:.1} ms")
    }
}
