//! Turning the analyzer's state into findings: one builder per finding kind, then ranking.

use super::{
    level_index, Analyzer, Example, MergedTemplate, TemplateStats, MAX_EVIDENCE,
    TITLE_TEMPLATE_CHARS,
};
use crate::bursts::{find_burst, Burst};
use crate::histogram::{rung_at_least, rung_width, TimeHistogram};
use crate::signals::{cut, format_rates, format_value, format_window, implied_level};
use faultmaven_model::{Evidence, Finding, FindingId, FindingKind, Level, Severity, Timestamp};
use std::collections::BTreeMap;

/// No single kind of finding may take more than this share of the findings budget, so a
/// flood of one kind (hundreds of error templates) leaves room for the others.
const MAX_SHARE_PER_KIND: f64 = 0.6;

/// How bad a template's lines are, and on what grounds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Badness {
    Fatal(u64),
    Error(u64),
    ImpliedError(u64),
    Warn(u64),
    ImpliedWarn(u64),
}

impl Badness {
    pub(super) fn of(stats: &TemplateStats, text: &str) -> Option<Badness> {
        let (errors, warnings, leveled) = stats.level_totals();
        let fatal = stats.level_counts[level_index(Level::Fatal)];
        if fatal > 0 {
            return Some(Badness::Fatal(errors));
        }
        if errors > 0 {
            return Some(Badness::Error(errors));
        }
        if warnings > 0 {
            return Some(Badness::Warn(warnings));
        }
        // A few phrases mean a process died whatever level the line carries: Kubernetes
        // reports an OOM kill in a `Normal` event, systemd logs a SIGKILL at info level.
        if is_unmistakable_failure(text) {
            return Some(Badness::ImpliedError(stats.incident.max(stats.unleveled)));
        }
        // Words decide only when no line of the template said its level.
        if leveled == 0 && stats.unleveled > 0 {
            return match implied_level(text) {
                Some(Level::Warn) => Some(Badness::ImpliedWarn(stats.unleveled)),
                Some(_) => Some(Badness::ImpliedError(stats.unleveled)),
                None => None,
            };
        }
        None
    }

    pub(super) fn is_error(self) -> bool {
        matches!(
            self,
            Self::Fatal(_) | Self::Error(_) | Self::ImpliedError(_)
        )
    }

    fn count(self) -> u64 {
        match self {
            Self::Fatal(n)
            | Self::Error(n)
            | Self::ImpliedError(n)
            | Self::Warn(n)
            | Self::ImpliedWarn(n) => n,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::Fatal(_) => "FATAL",
            Self::Error(_) => "ERROR",
            Self::ImpliedError(_) => "failure",
            Self::Warn(_) => "WARN",
            Self::ImpliedWarn(_) => "warning",
        }
    }

    /// Base score and severity of the error/warning template finding.
    fn weight(self) -> (f64, Severity) {
        match self {
            Self::Fatal(_) => (0.95, Severity::Critical),
            Self::Error(_) => (0.8, Severity::High),
            Self::ImpliedError(_) => (0.6, Severity::Medium),
            Self::Warn(_) => (0.45, Severity::Low),
            Self::ImpliedWarn(_) => (0.35, Severity::Low),
        }
    }
}

/// Phrases that say a process was killed or crashed, at any log level.
const UNMISTAKABLE_FAILURES: &[&str] = &[
    "oomkilled",
    "oom-killed",
    "oom_kill",
    "out of memory: killed process",
    "memory cgroup out of memory",
    "segmentation fault",
    "kernel panic",
    "status=9/kill",
];

/// Whether a template's text states a process death that no level can make benign.
fn is_unmistakable_failure(text: &str) -> bool {
    let lower = text.to_lowercase();
    UNMISTAKABLE_FAILURES
        .iter()
        .any(|phrase| lower.contains(phrase))
}

/// Saturating frequency factor in [0, 1): ~0.04 for one line, ~0.63 for 25, ~0.98 for 100.
fn frequency(count: u64) -> f64 {
    1.0 - (-(count as f64) / 25.0).exp()
}

impl Analyzer {
    pub(super) fn template_findings(&self, templates: &[MergedTemplate]) -> Vec<Finding> {
        let incident_lines = self.log_records - self.baseline_log_records;
        let mut findings = Vec::new();
        for template in templates {
            let stats = &template.stats;
            let Some(badness) = template.badness else {
                continue;
            };
            if stats.incident == 0 {
                continue;
            }
            let (base, severity) = badness.weight();
            let count = badness.count();
            let kind = if badness.is_error() {
                FindingKind::ErrorTemplate
            } else {
                FindingKind::WarningTemplate
            };
            // Evidence and window come from the lines at the level the finding is about.
            let (examples, first_time, last_time) = match badness {
                Badness::Fatal(_) | Badness::Error(_) => (
                    &stats.error_lines.examples,
                    stats.error_lines.first_time,
                    stats.error_lines.last_time,
                ),
                Badness::Warn(_) => (
                    &stats.warning_lines.examples,
                    stats.warning_lines.first_time,
                    stats.warning_lines.last_time,
                ),
                Badness::ImpliedError(_) | Badness::ImpliedWarn(_) => {
                    (&stats.examples, stats.first_time, stats.last_time)
                }
            };
            if examples.is_empty() {
                continue;
            }
            let window = self.window_text(first_time, last_time);
            let title = format!(
                "{} template E{} \"{}\" seen {}{}",
                badness.label(),
                template.id,
                cut(&template.text, TITLE_TEMPLATE_CHARS),
                times(count),
                window.map(|w| format!(" ({w})")).unwrap_or_default(),
            );
            let mut detail = format!(
                "{count} of {incident_lines} incident log lines ({:.1}%) match template E{}: {}.",
                100.0 * count as f64 / incident_lines.max(1) as f64,
                template.id,
                template.text,
            );
            match badness {
                Badness::ImpliedError(_) | Badness::ImpliedWarn(_) => detail
                    .push_str(" The lines carry no level; the template's words signal a problem."),
                _ => {}
            }
            let mut weight = 1.0;
            if self.baseline_log_records > 0 {
                let baseline_share = stats.baseline as f64 / self.baseline_log_records as f64;
                let share = stats.incident as f64 / incident_lines.max(1) as f64;
                if stats.baseline == 0 {
                    detail.push_str(" Never seen in the baseline.");
                } else if share >= 2.0 * baseline_share {
                    detail.push_str(&format!(
                        " Also seen {} in the baseline, where it was {:.0}x rarer (share of \
                         lines).",
                        times(stats.baseline),
                        share / baseline_share
                    ));
                } else {
                    // As common before the incident: less likely to be what changed.
                    weight = 0.7;
                    detail.push_str(&format!(
                        " About as common in the baseline ({}, {:.1}% of its lines).",
                        times(stats.baseline),
                        100.0 * baseline_share
                    ));
                }
            }
            findings.push(Finding {
                id: FindingId::new(0),
                kind,
                severity,
                title,
                detail,
                score: weight * base * (0.6 + 0.4 * frequency(count)),
                first_seen: first_time.map(Timestamp::from_unix_nanos),
                last_seen: last_time.map(Timestamp::from_unix_nanos),
                subjects: stats.subjects.clone(),
                template_id: Some(template.id),
                entities: Vec::new(),
                evidence: examples.iter().map(Example::evidence).collect(),
            });
        }
        findings
    }

    /// "14:03–14:50" for a window, with dates when the incident data spans days.
    pub(super) fn window_text(&self, first: Option<i64>, last: Option<i64>) -> Option<String> {
        Some(format_window(first?, last?, self.spans_days(), false))
    }

    pub(super) fn spans_days(&self) -> bool {
        self.incident_times.is_some_and(|(low, high)| {
            let day = 86_400 * 1_000_000_000i64;
            low.div_euclid(day) != high.div_euclid(day)
        })
    }

    pub(super) fn burst_findings(&self, templates: &[MergedTemplate]) -> Vec<Finding> {
        let Some((low, high)) = self.incident_log_times else {
            return Vec::new();
        };
        let config = &self.config.bursts;
        let target = ((high - low) / config.target_buckets as i64).max(1);
        let histograms_rung = templates
            .iter()
            .map(|t| t.stats.histogram.rung())
            .chain([self.error_lines.rung(), self.warning_lines.rung()])
            .max()
            .unwrap_or(0);
        let rung = rung_at_least(target).max(histograms_rung);
        let width = rung_width(rung);
        let first_index = low.div_euclid(width);
        let buckets = (high.div_euclid(width) - first_index + 1) as usize;
        let grid = BucketGrid {
            rung,
            width,
            first_index,
            buckets,
        };

        let mut findings = Vec::new();
        let mut error_series = self.error_lines.clone();
        let mut warning_series = self.warning_lines.clone();
        for template in templates {
            let stats = &template.stats;
            let (_, _, leveled) = stats.level_totals();
            if leveled == 0 {
                // Unleveled lines join the level series their words imply.
                match template.badness {
                    Some(Badness::ImpliedError(_)) => error_series.merge(&stats.histogram),
                    Some(Badness::ImpliedWarn(_)) => warning_series.merge(&stats.histogram),
                    _ => {}
                }
            }
            if stats.histogram.total() < config.min_lines {
                continue;
            }
            let subject = BurstSubject::Template(template);
            findings.extend(self.burst_finding(&stats.histogram, &grid, subject));
        }
        findings.extend(self.burst_finding(&error_series, &grid, BurstSubject::Level("ERROR")));
        findings.extend(self.burst_finding(&warning_series, &grid, BurstSubject::Level("WARN")));
        findings
    }

    fn burst_finding(
        &self,
        histogram: &TimeHistogram,
        grid: &BucketGrid,
        subject: BurstSubject<'_>,
    ) -> Option<Finding> {
        if histogram.is_empty() {
            return None;
        }
        let dense = histogram.dense(grid.rung, grid.first_index, grid.buckets);
        let counts: Vec<u64> = dense.iter().map(|(count, _)| *count).collect();
        let burst: Burst = find_burst(&counts, &self.config.bursts)?;
        let evidence: Vec<Evidence> = dense[burst.start..=burst.end]
            .iter()
            .filter_map(|(_, line)| *line)
            .take(MAX_EVIDENCE)
            .map(|line| Evidence::LogLines {
                attachment: line.attachment,
                first_line: line.first_line,
                last_line: line.last_line,
                excerpt: None,
            })
            .collect();
        if evidence.is_empty() {
            return None;
        }
        let window_start = (grid.first_index + burst.start as i64) * grid.width;
        let window_end = (grid.first_index + burst.end as i64 + 1) * grid.width;
        let with_date = self.spans_days();
        let minute = 60 * 1_000_000_000;
        let precise = window_start % minute != 0 || window_end % minute != 0;
        let window = format_window(window_start, window_end, with_date, precise);
        let (from, to) = format_rates(burst.baseline, burst.peak as f64, grid.width);
        let ratio = burst.ratio();
        let strength = 1.0 - 1.0 / ratio.max(1.0).sqrt();
        let (what, base, severity, subjects, template_id) = match subject {
            BurstSubject::Level(level) => {
                let (base, severity) = if level == "ERROR" {
                    (0.85, Severity::High)
                } else {
                    (0.65, Severity::Medium)
                };
                (format!("{level} lines"), base, severity, Vec::new(), None)
            }
            BurstSubject::Template(template) => {
                let (base, severity) = match template.badness {
                    Some(badness) if badness.is_error() => (0.8, Severity::High),
                    Some(_) => (0.6, Severity::Medium),
                    None if ratio >= 10.0 => (0.45, Severity::Medium),
                    None => (0.4, Severity::Low),
                };
                (
                    format!(
                        "Template E{} \"{}\"",
                        template.id,
                        cut(&template.text, TITLE_TEMPLATE_CHARS)
                    ),
                    base,
                    severity,
                    template.stats.subjects.clone(),
                    Some(template.id),
                )
            }
        };
        let title = format!("{what} jumped from ~{from} to {to} at {window}");
        let bucket_text = humanize_duration(grid.width);
        let mut detail = format!(
            "{} lines between {} and {} (peak {} per {bucket_text} bucket) against a typical {} \
             per bucket over the incident data ({:.0}x).",
            burst.total,
            Timestamp::from_unix_nanos(window_start),
            Timestamp::from_unix_nanos(window_end),
            burst.peak,
            format_value(burst.baseline),
            ratio,
        );
        if burst.other_windows > 0 {
            detail.push_str(&format!(
                " {} other window(s) of this series also cleared the burst bars.",
                burst.other_windows
            ));
        }
        Some(Finding {
            id: FindingId::new(0),
            kind: FindingKind::LogBurst,
            severity,
            title,
            detail,
            score: base * (0.5 + 0.5 * strength),
            first_seen: Some(Timestamp::from_unix_nanos(window_start)),
            last_seen: Some(Timestamp::from_unix_nanos(window_end)),
            subjects,
            template_id,
            evidence,
            entities: Vec::new(),
        })
    }

    pub(super) fn baseline_findings(&self, templates: &[MergedTemplate]) -> Vec<Finding> {
        if self.baseline_log_records == 0 {
            return Vec::new();
        }
        let mut findings = Vec::new();
        for template in templates {
            let stats = &template.stats;
            let text = cut(&template.text, TITLE_TEMPLATE_CHARS);
            if stats.incident > 0 && stats.baseline == 0 && !stats.examples.is_empty() {
                let (base, severity) = match template.badness {
                    Some(badness) if badness.is_error() => (0.75, Severity::High),
                    Some(_) => (0.55, Severity::Medium),
                    None => (0.35, Severity::Low),
                };
                let window = self.window_text(stats.first_time, stats.last_time);
                findings.push(Finding {
                    id: FindingId::new(0),
                    kind: FindingKind::NewTemplate,
                    severity,
                    title: format!(
                        "New template E{} \"{text}\": {}{}, never in the baseline",
                        template.id,
                        times(stats.incident),
                        window.map(|w| format!(" ({w})")).unwrap_or_default(),
                    ),
                    detail: format!(
                        "Template E{} ({}) appears {} in the incident data and not once in {} \
                         baseline log lines.",
                        template.id,
                        template.text,
                        times(stats.incident),
                        self.baseline_log_records
                    ),
                    score: base * (0.6 + 0.4 * frequency(stats.incident)),
                    first_seen: stats.first_time.map(Timestamp::from_unix_nanos),
                    last_seen: stats.last_time.map(Timestamp::from_unix_nanos),
                    subjects: stats.subjects.clone(),
                    template_id: Some(template.id),
                    entities: Vec::new(),
                    evidence: stats.examples.iter().map(Example::evidence).collect(),
                });
            } else if stats.incident == 0
                && stats.baseline > 0
                && !stats.baseline_examples.is_empty()
            {
                let severity = if stats.baseline >= 3 {
                    Severity::Low
                } else {
                    Severity::Info
                };
                findings.push(Finding {
                    id: FindingId::new(0),
                    kind: FindingKind::VanishedTemplate,
                    severity,
                    title: format!(
                        "Template E{} \"{text}\" stopped: {} in the baseline, none in the \
                         incident data",
                        template.id,
                        times(stats.baseline)
                    ),
                    detail: format!(
                        "Template E{} ({}) appears {} in the baseline and not once in {} \
                         incident log lines: something that used to happen no longer does.",
                        template.id,
                        template.text,
                        times(stats.baseline),
                        self.log_records - self.baseline_log_records
                    ),
                    score: 0.3 * (0.6 + 0.4 * frequency(stats.baseline)),
                    first_seen: None,
                    last_seen: None,
                    subjects: stats.subjects.clone(),
                    template_id: Some(template.id),
                    entities: Vec::new(),
                    evidence: stats
                        .baseline_examples
                        .iter()
                        .map(Example::evidence)
                        .collect(),
                });
            }
        }
        findings
    }

    pub(super) fn exception_findings(&self) -> Vec<Finding> {
        let mut findings = Vec::new();
        for group in &self.exceptions {
            let Some(first) = &group.first else {
                continue;
            };
            if group.incident == 0 {
                continue;
            }
            let signature = &group.signature;
            let fatal = signature.fatal || group.fatal_level;
            let (base, severity) = if fatal {
                (0.95, Severity::Critical)
            } else {
                (0.8, Severity::High)
            };
            let place = match &signature.top_frame {
                Some(frame) => format!(" at {}", cut(frame, TITLE_TEMPLATE_CHARS)),
                None if !signature.message.is_empty() => {
                    format!(": {}", cut(&signature.message, TITLE_TEMPLATE_CHARS))
                }
                None => String::new(),
            };
            let title = format!("{}{place} ({})", signature.kind, times(group.incident));
            let mut detail = format!(
                "{}{} thrown {}; first in {} line {}",
                signature.kind,
                if fatal { " (fatal)" } else { "" },
                times(group.incident),
                self.attachment_name(first.attachment),
                first.first_line,
            );
            if let Some(time) = group.first_time {
                detail.push_str(&format!(" at {}", Timestamp::from_unix_nanos(time)));
            }
            detail.push('.');
            if !signature.message.is_empty() {
                detail.push_str(&format!(" Message: {}.", signature.message));
            }
            if let Some(cause) = &signature.root_cause {
                detail.push_str(&format!(" Root cause: {cause}."));
            }
            if group.baseline > 0 {
                detail.push_str(&format!(
                    " Also thrown {} in the baseline.",
                    times(group.baseline)
                ));
            }
            if !group.frames.is_empty() {
                let frames: Vec<&str> = group.frames.iter().map(|f| f.excerpt.as_str()).collect();
                detail.push_str(&format!(" Top frames: {}.", frames.join(", ")));
            }
            let mut evidence = vec![first.evidence()];
            if let Some(last) = &group.last {
                if last != first {
                    evidence.push(last.evidence());
                }
            }
            evidence.extend(group.frames.iter().map(Example::evidence));
            // Seen in the baseline too: less likely to be what changed.
            let baseline_discount = if group.baseline > 0 { 0.8 } else { 1.0 };
            findings.push(Finding {
                id: FindingId::new(0),
                kind: FindingKind::Exception,
                severity,
                title,
                detail,
                score: base * baseline_discount * (0.7 + 0.3 * frequency(group.incident)),
                first_seen: group.first_time.map(Timestamp::from_unix_nanos),
                last_seen: group.last_time.map(Timestamp::from_unix_nanos),
                subjects: group.subjects.clone(),
                template_id: None,
                entities: Vec::new(),
                evidence,
            });
        }
        findings
    }
}

/// The time buckets every burst series is cut into.
#[derive(Debug)]
struct BucketGrid {
    rung: usize,
    width: i64,
    first_index: i64,
    buckets: usize,
}

enum BurstSubject<'a> {
    Level(&'static str),
    Template(&'a MergedTemplate),
}

/// "1 time", "12 times".
fn times(count: u64) -> String {
    if count == 1 {
        "1 time".to_owned()
    } else {
        format!("{count} times")
    }
}

/// `60 s` -> "1-minute", for details.
fn humanize_duration(nanos: i64) -> String {
    let seconds = nanos / 1_000_000_000;
    match seconds {
        s if s % 86_400 == 0 => format!("{}-day", s / 86_400),
        s if s % 3_600 == 0 => format!("{}-hour", s / 3_600),
        s if s % 60 == 0 => format!("{}-minute", s / 60),
        s => format!("{s}-second"),
    }
}

fn kind_order(kind: FindingKind) -> u8 {
    match kind {
        FindingKind::Exception => 0,
        FindingKind::ErrorTemplate => 1,
        FindingKind::LogBurst => 2,
        FindingKind::MetricAnomaly => 3,
        FindingKind::MetricShift => 4,
        FindingKind::MetricSaturation => 12,
        FindingKind::NewTemplate => 5,
        FindingKind::WarningTemplate => 6,
        FindingKind::TraceAnomaly => 7,
        FindingKind::ConfigIssue => 8,
        FindingKind::VanishedTemplate => 9,
        FindingKind::FrequencyShift => 10,
        FindingKind::EntityAnomaly => 11,
        FindingKind::SlowOperation => 13,
    }
}

/// Sorts by severity then score, keeps at most `max_findings` (no kind above its share),
/// and numbers them from `first_number`. Findings without evidence are dropped.
pub(super) fn rank_and_cap(
    mut findings: Vec<Finding>,
    max_findings: usize,
    first_number: u32,
) -> Vec<Finding> {
    findings.retain(|finding| !finding.evidence.is_empty());
    for finding in &mut findings {
        finding.score = finding.score.clamp(0.0, 1.0);
        finding.evidence.truncate(MAX_EVIDENCE);
    }
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(b.score.total_cmp(&a.score))
            .then(kind_order(a.kind).cmp(&kind_order(b.kind)))
            .then(a.title.cmp(&b.title))
    });
    let per_kind = ((max_findings as f64 * MAX_SHARE_PER_KIND).ceil() as usize).max(1);
    let mut taken: BTreeMap<u8, usize> = BTreeMap::new();
    let mut kept = Vec::with_capacity(max_findings.min(findings.len()));
    let mut overflow = Vec::new();
    for finding in findings {
        let count = taken.entry(kind_order(finding.kind)).or_default();
        if *count < per_kind {
            *count += 1;
            kept.push(finding);
        } else {
            overflow.push(finding);
        }
    }
    // When the other kinds leave room, the held-back findings fill it, best first.
    if kept.len() < max_findings {
        kept.extend(overflow.into_iter().take(max_findings - kept.len()));
        kept.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then(b.score.total_cmp(&a.score))
                .then(kind_order(a.kind).cmp(&kind_order(b.kind)))
                .then(a.title.cmp(&b.title))
        });
    }
    kept.truncate(max_findings);
    for (offset, finding) in kept.iter_mut().enumerate() {
        finding.id = FindingId::new(first_number.saturating_add(offset as u32));
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn process_deaths_are_failures_at_any_level() {
        assert!(is_unmistakable_failure(
            "Killing pod/<*> Container api exceeded its memory limit; Exit Code <*>, Reason: OOMKilled"
        ));
        assert!(is_unmistakable_failure(
            "<*> Memory cgroup out of memory: Killed process <*> (node)"
        ));
        assert!(is_unmistakable_failure(
            "worker.service: Main process exited, code=killed, status=9/KILL"
        ));
        assert!(!is_unmistakable_failure("memory usage at <*>%"));
        assert!(!is_unmistakable_failure(
            "Killing container with id <*>: need to restart"
        ));
    }
}
