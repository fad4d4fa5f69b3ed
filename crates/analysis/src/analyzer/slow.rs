//! Slow operations: durations read from log lines (`crate::durations`), kept per upload and
//! kind of operation as a log-scale histogram plus the slowest lines, and turned into one
//! finding per group whose operations crossed the kind's "slow" floor: long GC pauses, slow
//! queries, long lock waits, slow requests. A real on-call tool flags these from the text
//! because the lines that report them are usually INFO (a GC log, a slow-query log), so no
//! error or warning finding ever points at them.

use super::{add_record_subjects, Example, MAX_EVIDENCE};
use crate::durations::{timed_field, timed_operation, OperationKind, TimedOperation};
use crate::signals::{format_window, EXCERPT_CHARS};
use faultmaven_model::{
    AttachmentId, AttachmentRole, Finding, FindingId, FindingKind, LogRecord, Severity, Suspect,
    Timestamp,
};
use std::collections::BTreeMap;

/// Half-octave buckets of a duration histogram, from one microsecond up (64 half-octaves
/// reach past an hour).
const BUCKETS: usize = 64;
/// Slowest lines kept per group as evidence.
const SLOWEST_KEPT: usize = 3;

/// Durations of one group at one role, as a log-scale histogram.
#[derive(Debug, Clone)]
struct DurationStats {
    count: u64,
    /// Operations at or above the kind's slow floor.
    slow: u64,
    max_seconds: f64,
    buckets: [u64; BUCKETS],
}

impl Default for DurationStats {
    fn default() -> Self {
        Self {
            count: 0,
            slow: 0,
            max_seconds: 0.0,
            buckets: [0; BUCKETS],
        }
    }
}

fn bucket_of(seconds: f64) -> usize {
    let micros = (seconds * 1e6).max(1.0);
    ((2.0 * micros.log2()).floor() as usize).min(BUCKETS - 1)
}

/// The geometric middle of a bucket, in seconds.
fn bucket_middle(bucket: usize) -> f64 {
    2f64.powf((bucket as f64 + 0.5) / 2.0) * 1e-6
}

impl DurationStats {
    fn add(&mut self, seconds: f64, slow: bool) {
        self.count += 1;
        self.slow += u64::from(slow);
        self.max_seconds = self.max_seconds.max(seconds);
        self.buckets[bucket_of(seconds)] += 1;
    }

    /// The median duration (to within a half-octave bucket).
    fn median(&self) -> Option<f64> {
        let half = self.count.div_ceil(2);
        let mut seen = 0;
        for (bucket, &count) in self.buckets.iter().enumerate() {
            seen += count;
            if count > 0 && seen >= half {
                return Some(bucket_middle(bucket));
            }
        }
        None
    }
}

/// Everything kept about one upload's operations of one kind.
#[derive(Debug, Clone, Default)]
struct OperationGroup {
    incident: DurationStats,
    baseline: DurationStats,
    first_slow: Option<Example>,
    /// The slowest incident lines, slowest first.
    slowest: Vec<(f64, Example)>,
    first_slow_time: Option<i64>,
    last_slow_time: Option<i64>,
    subjects: Vec<Suspect>,
}

/// Slow-operation state of an analysis.
#[derive(Debug, Default)]
pub(super) struct SlowOperations {
    groups: BTreeMap<(AttachmentId, OperationKind), OperationGroup>,
}

/// The duration a record reports: in its message, else in a duration field.
fn record_operation(record: &LogRecord<'_>) -> Option<TimedOperation> {
    let first_line = record.message.lines().next().unwrap_or("");
    timed_operation(first_line).or_else(|| {
        record
            .attributes
            .iter()
            .find_map(|(key, value)| timed_field(key, value, first_line))
    })
}

impl SlowOperations {
    /// Reads the duration a record reports, if any.
    pub(super) fn observe(
        &mut self,
        record: &LogRecord<'_>,
        role: AttachmentRole,
        time: Option<i64>,
    ) {
        let Some(operation) = record_operation(record) else {
            return;
        };
        let slow = operation.seconds >= operation.kind.slow_floor_seconds();
        let group = self
            .groups
            .entry((record.attachment, operation.kind))
            .or_default();
        if role == AttachmentRole::Baseline {
            group.baseline.add(operation.seconds, slow);
            return;
        }
        group.incident.add(operation.seconds, slow);
        if !slow {
            return;
        }
        if group.first_slow.is_none() {
            group.first_slow = Some(Example::of(record));
        }
        if let Some(time) = time {
            group.first_slow_time = Some(group.first_slow_time.map_or(time, |t| t.min(time)));
            group.last_slow_time = Some(group.last_slow_time.map_or(time, |t| t.max(time)));
        }
        let slower_than_kept = group.slowest.len() < SLOWEST_KEPT
            || group
                .slowest
                .last()
                .is_some_and(|(seconds, _)| operation.seconds > *seconds);
        if slower_than_kept {
            group.slowest.push((operation.seconds, Example::of(record)));
            group.slowest.sort_by(|a, b| b.0.total_cmp(&a.0));
            group.slowest.truncate(SLOWEST_KEPT);
        }
        add_record_subjects(record, &mut group.subjects);
    }

    /// One finding per group whose slow operations are real and stand out.
    pub(super) fn findings(
        &self,
        attachment_name: &dyn Fn(AttachmentId) -> String,
        with_date: bool,
    ) -> Vec<Finding> {
        self.groups
            .iter()
            .filter_map(|(&(attachment, kind), group)| {
                finding(kind, group, &attachment_name(attachment), with_date)
            })
            .collect()
    }
}

/// "1.5 s", "250 ms", "40 µs".
fn format_duration(seconds: f64) -> String {
    let value = |v: f64| crate::signals::format_value((v * 10.0).round() / 10.0);
    if seconds >= 60.0 {
        format!("{} min", value(seconds / 60.0))
    } else if seconds >= 1.0 {
        format!("{} s", value(seconds))
    } else if seconds >= 1e-3 {
        format!("{} ms", value(seconds * 1e3))
    } else {
        format!("{} µs", value(seconds * 1e6))
    }
}

/// Saturating count factor in [0, 1): ~0.1 for one line, ~0.63 for 10, ~0.99 for 50.
fn frequency(count: u64) -> f64 {
    1.0 - (-(count as f64) / 10.0).exp()
}

fn finding(
    kind: OperationKind,
    group: &OperationGroup,
    file: &str,
    with_date: bool,
) -> Option<Finding> {
    let floor = kind.slow_floor_seconds();
    let stats = &group.incident;
    // One slow line is noise unless it is far beyond the floor (a 30 s query).
    if stats.slow == 0 || (stats.slow == 1 && stats.max_seconds < 10.0 * floor) {
        return None;
    }
    let first = group.first_slow.as_ref()?;
    let median = stats.median().unwrap_or(stats.max_seconds);
    // A GC pause, a query or a lock wait of a second is slow on any system. Other operations
    // (a backup, a build, a batch job, a cache warm-up) may take minutes by design: they are
    // slow only against their own kind, when the typical one in the file is fast.
    if kind == OperationKind::Operation && median >= floor / 2.0 {
        return None;
    }
    let (what, noun) = match kind {
        OperationKind::GcPause => ("Long GC pause", "pauses"),
        OperationKind::Query => ("Slow query", "queries"),
        OperationKind::LockWait => ("Long lock wait", "lock waits"),
        OperationKind::Operation => ("Slow operations", "timed operations"),
    };
    let window = match (group.first_slow_time, group.last_slow_time) {
        (Some(start), Some(end)) => format!(" ({})", format_window(start, end, with_date, false)),
        _ => String::new(),
    };
    let title = format!(
        "{what}: {} of {} {noun} took {} or more (max {}, median {}){window}",
        stats.slow,
        stats.count,
        format_duration(floor),
        format_duration(stats.max_seconds),
        format_duration(median),
    );
    let slowest = &group.slowest[0].1;
    let mut detail = format!(
        "{} of {} {noun} reported in {file} took {} or more; the slowest took {}: {}.",
        stats.slow,
        stats.count,
        format_duration(floor),
        format_duration(stats.max_seconds),
        crate::signals::cut(&slowest.excerpt, EXCERPT_CHARS),
    );
    // As slow in the baseline: less likely to be what changed.
    let mut weight = 1.0;
    let baseline = &group.baseline;
    if baseline.count > 0 {
        let incident_share = stats.slow as f64 / stats.count as f64;
        let baseline_share = baseline.slow as f64 / baseline.count as f64;
        if incident_share < 2.0 * baseline_share {
            weight = 0.6;
            detail.push_str(&format!(
                " The baseline was about as slow ({} of {} at or above the floor).",
                baseline.slow, baseline.count
            ));
        } else {
            detail.push_str(&format!(
                " In the baseline {} of {} were (median {}).",
                baseline.slow,
                baseline.count,
                format_duration(baseline.median().unwrap_or_default())
            ));
        }
    }
    // How far beyond the floor the slowest went: 10x the floor counts fully.
    let magnitude = (stats.max_seconds / floor).log10().clamp(0.0, 1.0);
    let score = weight * 0.8 * (0.55 + 0.25 * frequency(stats.slow) + 0.2 * magnitude);
    let severity = if stats.slow >= 5 || magnitude >= 1.0 {
        Severity::High
    } else {
        Severity::Medium
    };
    let mut evidence = vec![first.evidence()];
    for (_, example) in &group.slowest {
        if evidence.len() < MAX_EVIDENCE && example != first {
            evidence.push(example.evidence());
        }
    }
    Some(Finding {
        id: FindingId::new(0),
        kind: FindingKind::SlowOperation,
        severity,
        title,
        detail,
        score,
        first_seen: group.first_slow_time.map(Timestamp::from_unix_nanos),
        last_seen: group.last_slow_time.map(Timestamp::from_unix_nanos),
        subjects: group.subjects.clone(),
        template_id: None,
        entities: Vec::new(),
        evidence,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_medians_are_within_a_half_octave() {
        let mut stats = DurationStats::default();
        for millis in [10.0, 12.0, 15.0, 20.0, 5000.0] {
            stats.add(millis / 1e3, millis >= 1000.0);
        }
        let median = stats.median().unwrap();
        assert!((0.0106..0.0213).contains(&median), "{median}");
        assert_eq!(stats.slow, 1);
        assert_eq!(stats.max_seconds, 5.0);
    }

    fn group_of(kind: OperationKind, seconds: &[f64]) -> OperationGroup {
        let mut group = OperationGroup::default();
        for &value in seconds {
            let slow = value >= kind.slow_floor_seconds();
            group.incident.add(value, slow);
            if slow {
                let example = Example {
                    attachment: AttachmentId::new(1),
                    first_line: 1,
                    last_line: 1,
                    excerpt: format!("took {value} s"),
                };
                group.first_slow.get_or_insert(example.clone());
                group.slowest.push((value, example));
            }
        }
        group
    }

    #[test]
    fn long_operations_are_slow_only_against_their_own_kind() {
        let mut usual = vec![0.05; 40];
        usual.extend([4.0, 6.5, 5.2]);
        let spikes = group_of(OperationKind::Operation, &usual);
        assert!(finding(OperationKind::Operation, &spikes, "api.log", false).is_some());
        // Nightly backups of ten minutes: long by design.
        let backups = group_of(OperationKind::Operation, &[600.0, 610.0, 590.0]);
        assert!(finding(OperationKind::Operation, &backups, "backup.log", false).is_none());
        // Queries of seconds are slow whatever their neighbours.
        let queries = group_of(OperationKind::Query, &[3.0, 5.0, 4.0]);
        let found = finding(OperationKind::Query, &queries, "db.log", false).unwrap();
        assert!(
            found.title.starts_with("Slow query: 3 of 3 queries"),
            "{}",
            found.title
        );
        // One slow query among many fast ones is noise.
        let mut one = vec![0.02; 30];
        one.push(2.0);
        let single = group_of(OperationKind::Query, &one);
        assert!(finding(OperationKind::Query, &single, "db.log", false).is_none());
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(format_duration(4.2304), "4.2 s");
        assert_eq!(format_duration(0.025), "25 ms");
        assert_eq!(format_duration(120.0), "2 min");
        assert_eq!(format_duration(0.00004), "40 µs");
    }
}
