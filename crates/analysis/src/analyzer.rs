//! The analysis stage: consumes records as a stream, keeps compact state, and turns it into
//! ranked findings that each point at their evidence.

use crate::bursts::{find_burst, Burst};
use crate::config::AnalysisConfig;
use crate::exceptions::{parse_exception, ExceptionSignature, PendingTrace, TraceAssembler};
use crate::histogram::{rung_at_least, rung_width, LineRef, TimeHistogram};
use crate::intern::FastMap;
use crate::metrics::{examine, MetricStore, Series, SeriesVerdict};
use crate::miner::TemplateMiner;
use crate::signals::{
    cut, entity_kind_of_key, excerpt, format_rate, format_time, format_value, implied_level,
};
use faultmaven_model::{
    AttachmentId, AttachmentRole, Evidence, Finding, FindingId, FindingKind, Level, LogRecord,
    MetricSample, RecordSink, Severity, Suspect, SuspectKind, TemplateSummary, Timestamp,
};
use std::collections::BTreeMap;

/// Example lines kept per template (the first ones seen).
const MAX_EXAMPLES: usize = 3;
/// Subjects kept per template or exception group.
const MAX_SUBJECTS: usize = 8;
/// Evidence items per finding.
const MAX_EVIDENCE: usize = 5;
/// Characters of template text quoted in a title.
const TITLE_TEMPLATE_CHARS: usize = 100;
/// No single kind of finding may take more than this share of the findings budget, so a
/// flood of one kind (hundreds of error templates) leaves room for the others.
const MAX_SHARE_PER_KIND: f64 = 0.6;

/// What the analysis established about one request's data.
#[derive(Debug, Clone, PartialEq)]
pub struct AnalysisReport {
    /// Findings, most important first (severity, then score), with ids assigned.
    pub findings: Vec<Finding>,
    /// Mined templates, most frequent in the incident data first (capped).
    pub templates: Vec<TemplateSummary>,
    /// Log records received (incident and baseline).
    pub log_records: u64,
    /// Metric samples received (incident and baseline).
    pub metric_samples: u64,
    /// Metric series of the incident data (timed and snapshot).
    pub series: usize,
    /// Earliest and latest timestamp of the incident data.
    pub time_range: Option<(Timestamp, Timestamp)>,
}

#[derive(Debug, Clone)]
struct AttachmentInfo {
    role: AttachmentRole,
    name: String,
}

/// One example line of a template or exception.
#[derive(Debug, Clone, PartialEq)]
struct Example {
    attachment: AttachmentId,
    first_line: u64,
    last_line: u64,
    excerpt: String,
}

impl Example {
    fn evidence(&self) -> Evidence {
        Evidence::LogLines {
            attachment: self.attachment,
            first_line: self.first_line,
            last_line: self.last_line,
            excerpt: Some(self.excerpt.clone()),
        }
    }

    fn order_key(&self) -> (AttachmentId, u64) {
        (self.attachment, self.first_line)
    }
}

/// Everything kept about one mined template.
#[derive(Debug, Clone, Default)]
struct TemplateStats {
    incident: u64,
    baseline: u64,
    /// Incident lines per level, indexed by `level_index`.
    level_counts: [u64; 7],
    /// Incident lines without a level.
    unleveled: u64,
    max_level: Option<Level>,
    first_time: Option<i64>,
    last_time: Option<i64>,
    examples: Vec<Example>,
    baseline_examples: Vec<Example>,
    first_incident: Option<(AttachmentId, u64)>,
    first_baseline: Option<(AttachmentId, u64)>,
    subjects: Vec<Suspect>,
    histogram: TimeHistogram,
}

fn level_index(level: Level) -> usize {
    match level {
        Level::Trace => 0,
        Level::Debug => 1,
        Level::Info => 2,
        Level::Notice => 3,
        Level::Warn => 4,
        Level::Error => 5,
        Level::Fatal => 6,
    }
}

fn min_option<T: Ord + Copy>(a: Option<T>, b: Option<T>) -> Option<T> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn max_option<T: Ord + Copy>(a: Option<T>, b: Option<T>) -> Option<T> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

fn merge_examples(into: &mut Vec<Example>, from: &[Example]) {
    into.extend(from.iter().cloned());
    into.sort_by_key(Example::order_key);
    into.dedup_by_key(|example| example.order_key());
    into.truncate(MAX_EXAMPLES);
}

fn add_subject(subjects: &mut Vec<Suspect>, kind: SuspectKind, name: &str) {
    if name.is_empty()
        || subjects.len() >= MAX_SUBJECTS
        || subjects.iter().any(|s| s.kind == kind && s.name == name)
    {
        return;
    }
    subjects.push(Suspect {
        kind,
        name: name.to_owned(),
    });
}

/// Entities a record names: typed attributes (service, host, pod, container), then its
/// source as a component unless an attribute already named it.
fn record_subjects(record: &LogRecord<'_>, subjects: &mut Vec<Suspect>) {
    for (key, value) in &record.attributes {
        if let Some(kind) = entity_kind_of_key(key) {
            add_subject(subjects, kind, value);
        }
    }
    if let Some(source) = &record.source {
        let named = record
            .attributes
            .iter()
            .any(|(key, value)| value == source && entity_kind_of_key(key).is_some());
        if !named {
            add_subject(subjects, SuspectKind::Component, source);
        }
    }
}

impl TemplateStats {
    fn merge(&mut self, other: &TemplateStats) {
        self.incident += other.incident;
        self.baseline += other.baseline;
        for (count, more) in self.level_counts.iter_mut().zip(other.level_counts) {
            *count += more;
        }
        self.unleveled += other.unleveled;
        self.max_level = max_option(self.max_level, other.max_level);
        self.first_time = min_option(self.first_time, other.first_time);
        self.last_time = max_option(self.last_time, other.last_time);
        merge_examples(&mut self.examples, &other.examples);
        merge_examples(&mut self.baseline_examples, &other.baseline_examples);
        self.first_incident = min_option(self.first_incident, other.first_incident);
        self.first_baseline = min_option(self.first_baseline, other.first_baseline);
        for subject in &other.subjects {
            add_subject(&mut self.subjects, subject.kind, &subject.name);
        }
        self.histogram.merge(&other.histogram);
    }

    /// Lines at error or fatal level, at warning level, and with any level.
    fn level_totals(&self) -> (u64, u64, u64) {
        let errors = self.level_counts[level_index(Level::Error)]
            + self.level_counts[level_index(Level::Fatal)];
        let warnings = self.level_counts[level_index(Level::Warn)];
        let leveled = self.level_counts.iter().sum();
        (errors, warnings, leveled)
    }
}

/// How bad a template's lines are, and on what grounds.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Badness {
    Fatal(u64),
    Error(u64),
    ImpliedError(u64),
    Warn(u64),
    ImpliedWarn(u64),
}

impl Badness {
    fn of(stats: &TemplateStats, text: &str) -> Option<Badness> {
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

    fn is_error(self) -> bool {
        matches!(self, Self::Fatal(_) | Self::Error(_) | Self::ImpliedError(_))
    }

    fn count(self) -> u64 {
        match self {
            Self::Fatal(n) | Self::Error(n) | Self::ImpliedError(n) | Self::Warn(n)
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

/// Saturating frequency factor in [0, 1): ~0.04 for one line, ~0.63 for 25, ~0.98 for 100.
fn frequency(count: u64) -> f64 {
    1.0 - (-(count as f64) / 25.0).exp()
}

/// Context kept for a trace while its frames arrive.
#[derive(Debug, Clone)]
struct TraceContext {
    role: AttachmentRole,
    time: Option<i64>,
    level: Option<Level>,
    subjects: Vec<Suspect>,
}

/// Occurrences of one exception type thrown from one frame.
#[derive(Debug, Clone)]
struct ExceptionGroup {
    signature: ExceptionSignature,
    incident: u64,
    baseline: u64,
    first: Option<Example>,
    last: Option<Example>,
    first_time: Option<i64>,
    last_time: Option<i64>,
    fatal_level: bool,
    subjects: Vec<Suspect>,
}

/// The streaming analyzer. Register attachments, feed records through [`RecordSink`], then
/// call [`Analyzer::finish`].
///
/// It is pure and deterministic: no I/O, no clock, no randomness; the same records in the
/// same order give the same report.
#[derive(Debug)]
pub struct Analyzer {
    config: AnalysisConfig,
    miner: TemplateMiner,
    attachments: FastMap<AttachmentId, AttachmentInfo>,
    templates: Vec<TemplateStats>,
    /// Incident lines with an explicit error/fatal level, and warning level.
    error_lines: TimeHistogram,
    warning_lines: TimeHistogram,
    assemblers: BTreeMap<AttachmentId, TraceAssembler<TraceContext>>,
    exceptions: Vec<ExceptionGroup>,
    exception_index: FastMap<(String, Option<String>), usize>,
    metrics: MetricStore,
    log_records: u64,
    baseline_log_records: u64,
    metric_samples: u64,
    incident_log_times: Option<(i64, i64)>,
    incident_times: Option<(i64, i64)>,
    subjects_buffer: Vec<Suspect>,
}

impl Analyzer {
    /// An analyzer with the given settings (invalid values fall back to defaults; use
    /// [`AnalysisConfig::validate`] to report them).
    pub fn new(config: &AnalysisConfig) -> Self {
        let config = config.sanitized();
        Self {
            miner: TemplateMiner::new(&config.miner),
            config,
            attachments: FastMap::default(),
            templates: Vec::new(),
            error_lines: TimeHistogram::default(),
            warning_lines: TimeHistogram::default(),
            assemblers: BTreeMap::new(),
            exceptions: Vec::new(),
            exception_index: FastMap::default(),
            metrics: MetricStore::default(),
            log_records: 0,
            baseline_log_records: 0,
            metric_samples: 0,
            incident_log_times: None,
            incident_times: None,
            subjects_buffer: Vec::new(),
        }
    }

    /// Declares an upload before its records arrive. Records of undeclared uploads count as
    /// incident data.
    pub fn register_attachment(&mut self, id: AttachmentId, role: AttachmentRole, name: &str) {
        self.attachments.insert(
            id,
            AttachmentInfo {
                role,
                name: name.to_owned(),
            },
        );
    }

    fn role(&self, id: AttachmentId) -> AttachmentRole {
        self.attachments
            .get(&id)
            .map_or(AttachmentRole::Incident, |info| info.role)
    }

    fn attachment_name(&self, id: AttachmentId) -> String {
        self.attachments
            .get(&id)
            .map_or_else(|| id.to_string(), |info| info.name.clone())
    }

    fn observe_time(range: &mut Option<(i64, i64)>, time: i64) {
        *range = Some(match *range {
            Some((low, high)) => (low.min(time), high.max(time)),
            None => (time, time),
        });
    }

    fn observe_exception(&mut self, trace: PendingTrace<TraceContext>, attachment: AttachmentId) {
        let Some(signature) = parse_exception(&trace.text) else {
            return;
        };
        let key = (signature.kind.clone(), signature.top_frame.clone());
        let index = match self.exception_index.get(&key) {
            Some(&index) => index,
            None => {
                self.exceptions.push(ExceptionGroup {
                    signature,
                    incident: 0,
                    baseline: 0,
                    first: None,
                    last: None,
                    first_time: None,
                    last_time: None,
                    fatal_level: false,
                    subjects: Vec::new(),
                });
                self.exception_index.insert(key, self.exceptions.len() - 1);
                self.exceptions.len() - 1
            }
        };
        let group = &mut self.exceptions[index];
        if trace.context.role == AttachmentRole::Baseline {
            group.baseline += 1;
            return;
        }
        let example = Example {
            attachment,
            first_line: trace.first_line,
            last_line: trace.last_line,
            excerpt: excerpt(&trace.text),
        };
        group.incident += 1;
        if group.first.is_none() {
            group.first = Some(example.clone());
        }
        group.last = Some(example);
        if let Some(time) = trace.context.time {
            group.first_time = min_option(group.first_time, Some(time));
            group.last_time = max_option(group.last_time, Some(time));
        }
        group.fatal_level |= trace.context.level == Some(Level::Fatal);
        for subject in &trace.context.subjects {
            add_subject(&mut group.subjects, subject.kind, &subject.name);
        }
    }

    /// Ends the analysis and builds the report. Finding ids are `F{first_finding_number}`,
    /// `F{first_finding_number + 1}`, ... in rank order.
    pub fn finish(mut self, first_finding_number: u32) -> AnalysisReport {
        let pending: Vec<(AttachmentId, PendingTrace<TraceContext>)> = self
            .assemblers
            .iter_mut()
            .filter_map(|(&attachment, assembler)| assembler.finish().map(|t| (attachment, t)))
            .collect();
        for (attachment, trace) in pending {
            self.observe_exception(trace, attachment);
        }

        let merged = self.merged_templates();
        let mut findings: Vec<Finding> = Vec::new();
        findings.extend(self.template_findings(&merged));
        findings.extend(self.burst_findings(&merged));
        findings.extend(self.baseline_findings(&merged));
        findings.extend(self.exception_findings());
        let series = std::mem::take(&mut self.metrics).into_series();
        findings.extend(self.metric_findings(&series));

        let findings = rank_and_cap(findings, self.config.max_findings, first_finding_number);
        let templates = self.template_summaries(&merged);
        AnalysisReport {
            findings,
            templates,
            log_records: self.log_records,
            metric_samples: self.metric_samples,
            series: series.len(),
            time_range: self.incident_times.map(|(low, high)| {
                (Timestamp::from_unix_nanos(low), Timestamp::from_unix_nanos(high))
            }),
        }
    }

    /// Template statistics merged along the miner's merges, with dense ids (1, 2, ... in
    /// order of first appearance) and final texts.
    fn merged_templates(&self) -> Vec<MergedTemplate> {
        let mut by_root: BTreeMap<u32, TemplateStats> = BTreeMap::new();
        for (index, stats) in self.templates.iter().enumerate() {
            let raw = index as u32 + 1;
            if stats.incident + stats.baseline == 0 {
                continue;
            }
            let root = self.miner.resolve(raw);
            by_root
                .entry(root)
                .and_modify(|merged| merged.merge(stats))
                .or_insert_with(|| stats.clone());
        }
        by_root
            .into_iter()
            .enumerate()
            .map(|(dense, (root, stats))| {
                let text = self.miner.template_text(root).unwrap_or_default();
                MergedTemplate {
                    id: dense as u32 + 1,
                    badness: Badness::of(&stats, &text),
                    text,
                    stats,
                }
            })
            .collect()
    }

    fn template_findings(&self, templates: &[MergedTemplate]) -> Vec<Finding> {
        let incident_lines = self.log_records - self.baseline_log_records;
        let mut findings = Vec::new();
        for template in templates {
            let stats = &template.stats;
            let Some(badness) = template.badness else {
                continue;
            };
            if stats.incident == 0 || stats.examples.is_empty() {
                continue;
            }
            let (base, severity) = badness.weight();
            let count = badness.count();
            let kind = if badness.is_error() {
                FindingKind::ErrorTemplate
            } else {
                FindingKind::WarningTemplate
            };
            let window = self.window_text(stats.first_time, stats.last_time);
            let title = format!(
                "{} template E{} \"{}\" seen {} times{}",
                badness.label(),
                template.id,
                cut(&template.text, TITLE_TEMPLATE_CHARS),
                count,
                window.map(|w| format!(" ({w})")).unwrap_or_default(),
            );
            let mut detail = format!(
                "{count} of {incident_lines} incident log lines ({:.1}%) match template E{}: {}.",
                100.0 * count as f64 / incident_lines.max(1) as f64,
                template.id,
                template.text,
            );
            match badness {
                Badness::ImpliedError(_) | Badness::ImpliedWarn(_) => detail.push_str(
                    " The lines carry no level; the template's words signal a problem.",
                ),
                _ => {}
            }
            if stats.baseline > 0 {
                detail.push_str(&format!(" Also seen {} times in the baseline.", stats.baseline));
            }
            findings.push(Finding {
                id: FindingId::new(0),
                kind,
                severity,
                title,
                detail,
                score: base * (0.6 + 0.4 * frequency(count)),
                first_seen: stats.first_time.map(Timestamp::from_unix_nanos),
                last_seen: stats.last_time.map(Timestamp::from_unix_nanos),
                subjects: stats.subjects.clone(),
                template_id: Some(template.id),
                evidence: stats.examples.iter().map(Example::evidence).collect(),
            });
        }
        findings
    }

    /// "14:03–14:50" for a window, with dates when the incident data spans days.
    fn window_text(&self, first: Option<i64>, last: Option<i64>) -> Option<String> {
        let (first, last) = (first?, last?);
        let with_date = self.spans_days();
        let start = format_time(first, with_date, false);
        let end = format_time(last, with_date, false);
        Some(if start == end {
            start
        } else {
            format!("{start}–{end}")
        })
    }

    fn spans_days(&self) -> bool {
        self.incident_times.is_some_and(|(low, high)| {
            let day = 86_400 * 1_000_000_000i64;
            low.div_euclid(day) != high.div_euclid(day)
        })
    }

    fn burst_findings(&self, templates: &[MergedTemplate]) -> Vec<Finding> {
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
        let precise = grid.width < 60 * 1_000_000_000;
        let window = format!(
            "{}–{}",
            format_time(window_start, with_date, precise),
            format_time(window_end, with_date, precise)
        );
        let from = format_rate(burst.baseline, grid.width);
        let to = format_rate(burst.peak as f64, grid.width);
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
        })
    }

    fn baseline_findings(&self, templates: &[MergedTemplate]) -> Vec<Finding> {
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
                        "New template E{} \"{text}\": {} times{}, never in the baseline",
                        template.id,
                        stats.incident,
                        window.map(|w| format!(" ({w})")).unwrap_or_default(),
                    ),
                    detail: format!(
                        "Template E{} ({}) appears {} times in the incident data and not once \
                         in {} baseline log lines.",
                        template.id, template.text, stats.incident, self.baseline_log_records
                    ),
                    score: base * (0.6 + 0.4 * frequency(stats.incident)),
                    first_seen: stats.first_time.map(Timestamp::from_unix_nanos),
                    last_seen: stats.last_time.map(Timestamp::from_unix_nanos),
                    subjects: stats.subjects.clone(),
                    template_id: Some(template.id),
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
                        "Template E{} \"{text}\" stopped: {} times in the baseline, none in the \
                         incident data",
                        template.id, stats.baseline
                    ),
                    detail: format!(
                        "Template E{} ({}) appears {} times in the baseline and not once in {} \
                         incident log lines: something that used to happen no longer does.",
                        template.id,
                        template.text,
                        stats.baseline,
                        self.log_records - self.baseline_log_records
                    ),
                    score: 0.3 * (0.6 + 0.4 * frequency(stats.baseline)),
                    first_seen: None,
                    last_seen: None,
                    subjects: stats.subjects.clone(),
                    template_id: Some(template.id),
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

    fn exception_findings(&self) -> Vec<Finding> {
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
            let title = format!(
                "{}{place} ({} time{})",
                signature.kind,
                group.incident,
                if group.incident == 1 { "" } else { "s" }
            );
            let mut detail = format!(
                "{} {} thrown {} times; first in {} line {}",
                signature.kind,
                if fatal { "(fatal)" } else { "" },
                group.incident,
                self.attachment_name(first.attachment),
                first.first_line,
            )
            .replace("  ", " ");
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
                detail.push_str(&format!(" Also thrown {} times in the baseline.", group.baseline));
            }
            let mut evidence = vec![first.evidence()];
            if let Some(last) = &group.last {
                if last != first {
                    evidence.push(last.evidence());
                }
            }
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
                evidence,
            });
        }
        findings
    }

    fn metric_findings(&self, series: &[Series]) -> Vec<Finding> {
        let mut findings = Vec::new();
        for one in series {
            if one.points.is_empty() {
                continue;
            }
            let verdict = examine(&one.points, &self.config.metrics);
            findings.extend(self.shift_finding(one, &verdict));
            findings.extend(self.anomaly_finding(one, &verdict));
        }
        findings
    }

    fn point_evidence(series: &Series, point: &crate::metrics::Point) -> Evidence {
        Evidence::MetricPoint {
            attachment: series.attachment,
            series: series.display.clone(),
            timestamp: Some(Timestamp::from_unix_nanos(point.time)),
            value: point.value,
            line: point.line,
        }
    }

    fn anomaly_finding(&self, series: &Series, verdict: &SeriesVerdict) -> Option<Finding> {
        let anomaly = verdict.anomaly.as_ref()?;
        let headline = anomaly.episodes.get(anomaly.headline)?;
        let points = &verdict.points;
        let extreme = points.get(headline.extreme)?;
        let start = points.get(headline.start)?;
        let end = points.get(headline.end)?;
        let with_date = self.spans_days();
        let when = if headline.start == headline.end {
            format_time(start.time, with_date, false)
        } else {
            format!(
                "{}–{}",
                format_time(start.time, with_date, false),
                format_time(end.time, with_date, false)
            )
        };
        let direction = if headline.z > 0.0 { "spiked to" } else { "dropped to" };
        let title = format!(
            "{} {direction} {} at {when} (typical {})",
            cut(&series.display, TITLE_TEMPLATE_CHARS),
            format_value(extreme.value),
            format_value(anomaly.typical),
        );
        let detail = format!(
            "{} of {} points lie more than {} robust standard deviations from the median {} \
             (robust sigma {}), in {} episode(s); the strongest reaches z = {:.1} at {}.",
            anomaly.flagged,
            points.len(),
            self.config.metrics.z_threshold,
            format_value(anomaly.typical),
            format_value(anomaly.sigma),
            anomaly.episodes.len(),
            headline.z,
            Timestamp::from_unix_nanos(extreme.time),
        );
        let mut evidence_indices = vec![headline.extreme];
        for &(index, _) in &anomaly.ranked {
            if evidence_indices.len() >= MAX_EVIDENCE {
                break;
            }
            if !evidence_indices.contains(&index) {
                evidence_indices.push(index);
            }
        }
        let evidence: Vec<Evidence> = evidence_indices
            .iter()
            .filter_map(|&index| points.get(index))
            .map(|point| Self::point_evidence(series, point))
            .collect();
        let magnitude = headline.z.abs();
        let threshold = self.config.metrics.z_threshold;
        let severity = if magnitude >= 10.0 {
            Severity::High
        } else if magnitude >= 6.0 {
            Severity::Medium
        } else {
            Severity::Low
        };
        let strength = 1.0 - (-(magnitude - threshold).max(0.0) / (2.0 * threshold)).exp();
        Some(Finding {
            id: FindingId::new(0),
            kind: FindingKind::MetricAnomaly,
            severity,
            title,
            detail,
            score: 0.8 * (0.5 + 0.5 * strength),
            first_seen: Some(Timestamp::from_unix_nanos(start.time)),
            last_seen: Some(Timestamp::from_unix_nanos(end.time)),
            subjects: series.subjects.clone(),
            template_id: None,
            evidence,
        })
    }

    fn shift_finding(&self, series: &Series, verdict: &SeriesVerdict) -> Option<Finding> {
        let shift = verdict.shift.as_ref()?;
        let points = &verdict.points;
        let before = points.get(shift.change.checked_sub(1)?)?;
        let after = points.get(shift.change)?;
        let last = points.last()?;
        let with_date = self.spans_days();
        let title = format!(
            "{} moved from ~{} to ~{} at {} and stayed",
            cut(&series.display, TITLE_TEMPLATE_CHARS),
            format_value(shift.before),
            format_value(shift.after),
            format_time(after.time, with_date, false),
        );
        let detail = format!(
            "Median {} over {} points before {}, median {} over {} points from then on: {:.1} \
             pooled robust standard deviations apart ({:+.0}%).",
            format_value(shift.before),
            shift.change,
            Timestamp::from_unix_nanos(after.time),
            format_value(shift.after),
            points.len() - shift.change,
            shift.z,
            if shift.before != 0.0 {
                100.0 * (shift.after - shift.before) / shift.before.abs()
            } else {
                0.0
            },
        );
        let severity = if shift.z >= 12.0 {
            Severity::Medium
        } else {
            Severity::Low
        };
        let threshold = self.config.metrics.shift_threshold;
        let strength = 1.0 - (-(shift.z - threshold).max(0.0) / (2.0 * threshold)).exp();
        Some(Finding {
            id: FindingId::new(0),
            kind: FindingKind::MetricShift,
            severity,
            title,
            detail,
            score: 0.75 * (0.5 + 0.5 * strength),
            first_seen: Some(Timestamp::from_unix_nanos(after.time)),
            last_seen: Some(Timestamp::from_unix_nanos(last.time)),
            subjects: series.subjects.clone(),
            template_id: None,
            evidence: vec![
                Self::point_evidence(series, before),
                Self::point_evidence(series, after),
                Self::point_evidence(series, last),
            ],
        })
    }

    fn template_summaries(&self, templates: &[MergedTemplate]) -> Vec<TemplateSummary> {
        let mut summaries: Vec<TemplateSummary> = templates
            .iter()
            .filter_map(|template| {
                let stats = &template.stats;
                let (attachment, line) = stats.first_incident.or(stats.first_baseline)?;
                Some(TemplateSummary {
                    id: template.id,
                    template: template.text.clone(),
                    count: stats.incident,
                    baseline_count: stats.baseline,
                    level: stats.max_level,
                    first_attachment: attachment,
                    first_line: line,
                })
            })
            .collect();
        summaries.sort_by(|a, b| {
            b.count
                .cmp(&a.count)
                .then(b.baseline_count.cmp(&a.baseline_count))
                .then(a.id.cmp(&b.id))
        });
        summaries.truncate(self.config.max_templates_reported);
        summaries
    }
}

/// A template after merging, with its dense id and final text.
#[derive(Debug)]
struct MergedTemplate {
    id: u32,
    text: String,
    stats: TemplateStats,
    badness: Option<Badness>,
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
        FindingKind::NewTemplate => 5,
        FindingKind::WarningTemplate => 6,
        FindingKind::TraceAnomaly => 7,
        FindingKind::ConfigIssue => 8,
        FindingKind::VanishedTemplate => 9,
    }
}

/// Sorts by severity then score, keeps at most `max_findings` (no kind above its share),
/// and numbers them from `first_number`. Findings without evidence are dropped.
fn rank_and_cap(mut findings: Vec<Finding>, max_findings: usize, first_number: u32) -> Vec<Finding> {
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

impl RecordSink for Analyzer {
    fn log(&mut self, record: LogRecord<'_>) {
        let role = self.role(record.attachment);
        self.log_records += 1;
        if role == AttachmentRole::Baseline {
            self.baseline_log_records += 1;
        }
        let time = record.timestamp.map(Timestamp::unix_nanos);
        // Mine the first line only: the frames of a stack trace would split templates.
        let first_line = record.message.lines().next().unwrap_or("");
        let raw = self.miner.add(first_line) as usize;
        if self.templates.len() < raw {
            self.templates.resize_with(raw, TemplateStats::default);
        }
        self.subjects_buffer.clear();
        if role == AttachmentRole::Incident {
            record_subjects(&record, &mut self.subjects_buffer);
        }
        let stats = &mut self.templates[raw - 1];
        stats.max_level = max_option(stats.max_level, record.level);
        let example = |stats_examples: &Vec<Example>| {
            (stats_examples.len() < MAX_EXAMPLES).then(|| Example {
                attachment: record.attachment,
                first_line: record.first_line,
                last_line: record.last_line,
                excerpt: excerpt(&record.message),
            })
        };
        match role {
            AttachmentRole::Baseline => {
                stats.baseline += 1;
                stats.first_baseline = min_option(
                    stats.first_baseline,
                    Some((record.attachment, record.first_line)),
                );
                if let Some(example) = example(&stats.baseline_examples) {
                    stats.baseline_examples.push(example);
                }
            }
            AttachmentRole::Incident => {
                stats.incident += 1;
                match record.level {
                    Some(level) => stats.level_counts[level_index(level)] += 1,
                    None => stats.unleveled += 1,
                }
                stats.first_incident = min_option(
                    stats.first_incident,
                    Some((record.attachment, record.first_line)),
                );
                if let Some(example) = example(&stats.examples) {
                    stats.examples.push(example);
                }
                for subject in &self.subjects_buffer {
                    add_subject(&mut stats.subjects, subject.kind, &subject.name);
                }
                if let Some(time) = time {
                    stats.first_time = min_option(stats.first_time, Some(time));
                    stats.last_time = max_option(stats.last_time, Some(time));
                    let line = LineRef {
                        attachment: record.attachment,
                        first_line: record.first_line,
                        last_line: record.last_line,
                        time,
                    };
                    stats.histogram.add(line);
                    match record.level {
                        Some(level) if level.is_error() => self.error_lines.add(line),
                        Some(Level::Warn) => self.warning_lines.add(line),
                        _ => {}
                    }
                    Self::observe_time(&mut self.incident_log_times, time);
                    Self::observe_time(&mut self.incident_times, time);
                }
            }
        }

        let subjects = &self.subjects_buffer;
        let assembler = self.assemblers.entry(record.attachment).or_default();
        let finished = assembler.push(&record.message, record.first_line, record.last_line, || {
            TraceContext {
                role,
                time,
                level: record.level,
                subjects: subjects.clone(),
            }
        });
        if let Some(trace) = finished {
            self.observe_exception(trace, record.attachment);
        }
    }

    fn metric(&mut self, sample: MetricSample<'_>) {
        self.metric_samples += 1;
        if self.role(sample.attachment) == AttachmentRole::Baseline {
            return;
        }
        if let Some(time) = sample.timestamp {
            if sample.value.is_finite() {
                Self::observe_time(&mut self.incident_times, time.unix_nanos());
            }
        }
        self.metrics.add(&sample, &self.config.metrics);
    }
}
