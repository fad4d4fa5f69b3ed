//! The runbooks shipped with FaultMaven, compiled into the binary from `runbooks/`.

use crate::{parse_runbook, KnowledgeError, Runbook};
use std::path::Path;

/// Every file of `runbooks/` as (id, text). A test checks that this list and the directory agree.
const BUILTIN_RUNBOOK_SOURCES: &[(&str, &str)] = &[
    (
        "cache-stampede",
        include_str!("../runbooks/cache-stampede.md"),
    ),
    (
        "cassandra-tombstones",
        include_str!("../runbooks/cassandra-tombstones.md"),
    ),
    (
        "certificate-rotation-failure",
        include_str!("../runbooks/certificate-rotation-failure.md"),
    ),
    (
        "circuit-breaker-open",
        include_str!("../runbooks/circuit-breaker-open.md"),
    ),
    ("clock-skew", include_str!("../runbooks/clock-skew.md")),
    ("config-drift", include_str!("../runbooks/config-drift.md")),
    (
        "connection-pool-exhausted",
        include_str!("../runbooks/connection-pool-exhausted.md"),
    ),
    (
        "connection-reset-by-peer",
        include_str!("../runbooks/connection-reset-by-peer.md"),
    ),
    (
        "conntrack-table-full",
        include_str!("../runbooks/conntrack-table-full.md"),
    ),
    (
        "cpu-throttling",
        include_str!("../runbooks/cpu-throttling.md"),
    ),
    (
        "crash-loop-backoff",
        include_str!("../runbooks/crash-loop-backoff.md"),
    ),
    (
        "cronjob-overlapping-runs",
        include_str!("../runbooks/cronjob-overlapping-runs.md"),
    ),
    (
        "database-connection-refused",
        include_str!("../runbooks/database-connection-refused.md"),
    ),
    (
        "database-lock-contention",
        include_str!("../runbooks/database-lock-contention.md"),
    ),
    (
        "database-max-connections",
        include_str!("../runbooks/database-max-connections.md"),
    ),
    (
        "database-replication-lag",
        include_str!("../runbooks/database-replication-lag.md"),
    ),
    (
        "deadlock-thread-starvation",
        include_str!("../runbooks/deadlock-thread-starvation.md"),
    ),
    ("disk-full", include_str!("../runbooks/disk-full.md")),
    (
        "dns-resolution-failure",
        include_str!("../runbooks/dns-resolution-failure.md"),
    ),
    (
        "elasticsearch-circuit-breaker",
        include_str!("../runbooks/elasticsearch-circuit-breaker.md"),
    ),
    (
        "elasticsearch-cluster-red",
        include_str!("../runbooks/elasticsearch-cluster-red.md"),
    ),
    (
        "ephemeral-port-exhaustion",
        include_str!("../runbooks/ephemeral-port-exhaustion.md"),
    ),
    (
        "errors-after-deploy",
        include_str!("../runbooks/errors-after-deploy.md"),
    ),
    (
        "etcd-slow-or-quorum-loss",
        include_str!("../runbooks/etcd-slow-or-quorum-loss.md"),
    ),
    (
        "expired-credentials",
        include_str!("../runbooks/expired-credentials.md"),
    ),
    (
        "external-api-outage",
        include_str!("../runbooks/external-api-outage.md"),
    ),
    (
        "file-descriptor-exhaustion",
        include_str!("../runbooks/file-descriptor-exhaustion.md"),
    ),
    ("gc-pauses", include_str!("../runbooks/gc-pauses.md")),
    (
        "goroutine-leak",
        include_str!("../runbooks/goroutine-leak.md"),
    ),
    (
        "grpc-deadline-exceeded",
        include_str!("../runbooks/grpc-deadline-exceeded.md"),
    ),
    (
        "high-cpu-hot-loop",
        include_str!("../runbooks/high-cpu-hot-loop.md"),
    ),
    (
        "hpa-not-scaling",
        include_str!("../runbooks/hpa-not-scaling.md"),
    ),
    (
        "image-pull-backoff",
        include_str!("../runbooks/image-pull-backoff.md"),
    ),
    (
        "ingress-502-bad-gateway",
        include_str!("../runbooks/ingress-502-bad-gateway.md"),
    ),
    (
        "inode-exhaustion",
        include_str!("../runbooks/inode-exhaustion.md"),
    ),
    (
        "java-outofmemoryerror",
        include_str!("../runbooks/java-outofmemoryerror.md"),
    ),
    (
        "kafka-consumer-lag",
        include_str!("../runbooks/kafka-consumer-lag.md"),
    ),
    (
        "kafka-under-replicated-partitions",
        include_str!("../runbooks/kafka-under-replicated-partitions.md"),
    ),
    (
        "kubernetes-job-failed",
        include_str!("../runbooks/kubernetes-job-failed.md"),
    ),
    (
        "liveness-probe-restarts",
        include_str!("../runbooks/liveness-probe-restarts.md"),
    ),
    (
        "load-balancer-health-check-failing",
        include_str!("../runbooks/load-balancer-health-check-failing.md"),
    ),
    ("memory-leak", include_str!("../runbooks/memory-leak.md")),
    (
        "memory-pressure-swapping",
        include_str!("../runbooks/memory-pressure-swapping.md"),
    ),
    (
        "message-queue-backlog",
        include_str!("../runbooks/message-queue-backlog.md"),
    ),
    (
        "missing-secret-or-configmap",
        include_str!("../runbooks/missing-secret-or-configmap.md"),
    ),
    (
        "mongodb-primary-election",
        include_str!("../runbooks/mongodb-primary-election.md"),
    ),
    ("mtu-mismatch", include_str!("../runbooks/mtu-mismatch.md")),
    (
        "network-policy-blocking",
        include_str!("../runbooks/network-policy-blocking.md"),
    ),
    (
        "nginx-worker-connections",
        include_str!("../runbooks/nginx-worker-connections.md"),
    ),
    (
        "node-not-ready",
        include_str!("../runbooks/node-not-ready.md"),
    ),
    (
        "node-pressure-evictions",
        include_str!("../runbooks/node-pressure-evictions.md"),
    ),
    (
        "nodejs-event-loop-blocked",
        include_str!("../runbooks/nodejs-event-loop-blocked.md"),
    ),
    (
        "noisy-neighbour",
        include_str!("../runbooks/noisy-neighbour.md"),
    ),
    (
        "object-storage-throttling",
        include_str!("../runbooks/object-storage-throttling.md"),
    ),
    ("oom-killed", include_str!("../runbooks/oom-killed.md")),
    (
        "permission-denied",
        include_str!("../runbooks/permission-denied.md"),
    ),
    (
        "pgbouncer-pool-full",
        include_str!("../runbooks/pgbouncer-pool-full.md"),
    ),
    (
        "pod-pending-unschedulable",
        include_str!("../runbooks/pod-pending-unschedulable.md"),
    ),
    (
        "poison-message",
        include_str!("../runbooks/poison-message.md"),
    ),
    (
        "postgres-vacuum-bloat",
        include_str!("../runbooks/postgres-vacuum-bloat.md"),
    ),
    (
        "pvc-pending-storageclass",
        include_str!("../runbooks/pvc-pending-storageclass.md"),
    ),
    (
        "rabbitmq-resource-alarm",
        include_str!("../runbooks/rabbitmq-resource-alarm.md"),
    ),
    (
        "rate-limited-429",
        include_str!("../runbooks/rate-limited-429.md"),
    ),
    (
        "read-only-filesystem",
        include_str!("../runbooks/read-only-filesystem.md"),
    ),
    (
        "readiness-probe-failing",
        include_str!("../runbooks/readiness-probe-failing.md"),
    ),
    (
        "redis-maxmemory",
        include_str!("../runbooks/redis-maxmemory.md"),
    ),
    (
        "redis-replication-broken",
        include_str!("../runbooks/redis-replication-broken.md"),
    ),
    ("retry-storm", include_str!("../runbooks/retry-storm.md")),
    (
        "schema-migration-failure",
        include_str!("../runbooks/schema-migration-failure.md"),
    ),
    (
        "service-no-endpoints",
        include_str!("../runbooks/service-no-endpoints.md"),
    ),
    (
        "slow-database-queries",
        include_str!("../runbooks/slow-database-queries.md"),
    ),
    (
        "thread-pool-exhausted",
        include_str!("../runbooks/thread-pool-exhausted.md"),
    ),
    (
        "tls-certificate-expired",
        include_str!("../runbooks/tls-certificate-expired.md"),
    ),
    (
        "traffic-spike-overload",
        include_str!("../runbooks/traffic-spike-overload.md"),
    ),
    (
        "upstream-timeout",
        include_str!("../runbooks/upstream-timeout.md"),
    ),
    (
        "volume-mount-failure",
        include_str!("../runbooks/volume-mount-failure.md"),
    ),
];

/// The runbooks shipped with FaultMaven, parsed.
pub fn builtin_runbooks() -> Vec<Runbook> {
    BUILTIN_RUNBOOK_SOURCES
        .iter()
        .map(|(id, text)| {
            // The texts are compiled in and every one is parsed by the tests, so a failure here
            // cannot reach a release build.
            parse_runbook(id, text).unwrap_or_else(|error| panic!("builtin runbook {id}: {error}"))
        })
        .collect()
}

/// Parses every `*.md` file of `directory` (not its subdirectories) as a runbook whose id is the
/// file stem, sorted by id. One bad file fails the whole load, so a broken runbook is noticed at
/// start-up instead of silently missing.
pub fn load_runbooks_from_dir(directory: &Path) -> Result<Vec<Runbook>, KnowledgeError> {
    let io_error = |path: &Path| {
        let path = path.to_path_buf();
        move |source| KnowledgeError::Io { path, source }
    };
    let mut paths = Vec::new();
    for entry in std::fs::read_dir(directory).map_err(io_error(directory))? {
        let path = entry.map_err(io_error(directory))?.path();
        if path.extension().is_some_and(|extension| extension == "md") && path.is_file() {
            paths.push(path);
        }
    }
    paths.sort();
    let mut runbooks = Vec::with_capacity(paths.len());
    for path in paths {
        let id = path
            .file_stem()
            .and_then(|stem| stem.to_str())
            .ok_or_else(|| {
                KnowledgeError::invalid(&path.display().to_string(), None, "file name is not UTF-8")
            })?
            .to_owned();
        let text = std::fs::read_to_string(&path).map_err(io_error(&path))?;
        runbooks.push(parse_runbook(&id, &text)?);
    }
    Ok(runbooks)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn runbook_dir() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("runbooks")
    }

    #[test]
    fn every_file_in_the_directory_is_built_in_and_the_reverse() {
        let on_disk: BTreeSet<String> = std::fs::read_dir(runbook_dir())
            .expect("runbooks directory")
            .map(|entry| entry.expect("entry").path())
            .filter(|path| path.extension().is_some_and(|extension| extension == "md"))
            .map(|path| {
                path.file_stem()
                    .expect("stem")
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        let built_in: BTreeSet<String> = BUILTIN_RUNBOOK_SOURCES
            .iter()
            .map(|(id, _)| (*id).to_owned())
            .collect();
        assert_eq!(
            built_in.len(),
            BUILTIN_RUNBOOK_SOURCES.len(),
            "an id is listed twice"
        );
        assert_eq!(on_disk, built_in);
        for (id, text) in BUILTIN_RUNBOOK_SOURCES {
            let on_disk = std::fs::read_to_string(runbook_dir().join(format!("{id}.md")))
                .expect("read runbook");
            assert_eq!(&on_disk, text, "{id} is embedded from its own file");
        }
    }

    #[test]
    fn loading_the_directory_gives_the_builtin_runbooks() {
        let mut builtin = builtin_runbooks();
        builtin.sort_by(|left, right| left.id.cmp(&right.id));
        assert_eq!(
            load_runbooks_from_dir(&runbook_dir()).expect("load"),
            builtin
        );
    }

    /// What every shipped runbook must have, beyond parsing: the three sections in order, each
    /// with at least one command, and symptoms specific enough to match log text.
    #[test]
    fn builtin_runbooks_follow_the_house_format() {
        let runbooks = builtin_runbooks();
        assert!(runbooks.len() >= 60, "{} runbooks", runbooks.len());
        let mut titles = BTreeSet::new();
        for runbook in &runbooks {
            let id = &runbook.id;
            assert!(
                titles.insert(runbook.title.clone()),
                "{id}: title used twice"
            );
            assert!(
                !runbook.services.is_empty() && !runbook.tags.is_empty(),
                "{id}"
            );
            for symptom in &runbook.symptoms {
                assert!(
                    symptom.trim().len() >= 3,
                    "{id}: symptom {symptom:?} is too short to match"
                );
            }
            let sections: Vec<&str> = runbook
                .body
                .lines()
                .filter_map(|line| line.strip_prefix("## "))
                .collect();
            assert_eq!(sections, ["Confirm", "Mitigate", "Look for"], "{id}");
            for (section, next) in [("Confirm", "## Mitigate"), ("Mitigate", "## Look for")] {
                let start = runbook
                    .body
                    .find(&format!("## {section}"))
                    .expect("section");
                let end = runbook.body.find(next).expect("next section");
                assert!(
                    runbook.body[start..end].contains("```"),
                    "{id}: section {section} has no command"
                );
            }
            let look_for = runbook.body.find("## Look for").expect("section");
            assert!(
                runbook.body[look_for..].contains("```"),
                "{id}: Look for has no command"
            );
            for step in &runbook.steps {
                let description = &step.description;
                assert!(
                    description.len() >= 10 && !description.ends_with(':'),
                    "{id}: description {description:?}"
                );
                let command = step.command.as_deref().unwrap_or_default();
                assert!(
                    !command.is_empty() && !command.contains("```"),
                    "{id}: {command:?}"
                );
            }
        }
        let categories: BTreeSet<String> = runbooks
            .iter()
            .map(|runbook| format!("{:?}", runbook.category))
            .collect();
        assert!(categories.len() >= 7, "categories {categories:?}");
    }

    #[test]
    fn a_directory_with_a_bad_runbook_fails_and_other_files_are_ignored() {
        let directory = tempfile::tempdir().expect("tempdir");
        let good = "---\ntitle: Good\nsymptoms: [x y z]\ncategory: network\n---\nCheck:\n```\nping <host>\n```\n";
        std::fs::write(directory.path().join("good.md"), good).expect("write");
        std::fs::write(directory.path().join("notes.txt"), "not a runbook").expect("write");
        std::fs::create_dir(directory.path().join("nested.md")).expect("mkdir");
        let loaded = load_runbooks_from_dir(directory.path()).expect("load");
        assert_eq!(loaded.len(), 1);
        assert_eq!(loaded[0].id, "good");

        std::fs::write(directory.path().join("bad.md"), "no front matter").expect("write");
        let error = load_runbooks_from_dir(directory.path()).expect_err("bad runbook");
        assert!(error.to_string().contains("\"bad\""), "{error}");

        let missing =
            load_runbooks_from_dir(&directory.path().join("missing")).expect_err("missing");
        assert_eq!(missing.kind(), crate::KnowledgeErrorKind::Io);
    }
}
