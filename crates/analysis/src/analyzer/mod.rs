//! The analysis stage: consumes records as a stream, keeps compact state, and turns it into
//! ranked findings that each point at their evidence.

mod findings;
mod metric_findings;
mod notices;
mod shifts;
mod slow;

use crate::config::AnalysisConfig;
use crate::entity::{entity_findings, examine, EntityTracker, TemplateView};
use crate::exceptions::{parse_exception, ExceptionSignature, PendingTrace, TraceAssembler};
use crate::histogram::{rung_at_least, rung_width, LineRef, TimeHistogram};
use crate::intern::FastMap;
use crate::metrics::MetricStore;
use crate::miner::TemplateMiner;
use crate::signals::{entity_kind_of_key, excerpt, syslog_host};
use faultmaven_model::{
    AttachmentId, AttachmentRole, Evidence, Finding, Level, LogRecord, MetricSample, RecordSink,
    RootCause, SeriesPlot, SpanRecord, Suspect, SuspectKind, TemplateHistogram, TemplateSummary,
    TimelineEvent, Timestamp, TraceWaterfall,
};
use findings::{rank_and_cap, Badness};
use std::collections::BTreeMap;

/// Example lines kept per template (the first ones seen).
const MAX_EXAMPLES: usize = 3;
/// Subjects kept per template or exception group.
const MAX_SUBJECTS: usize = 8;
/// Evidence items per finding.
const MAX_EVIDENCE: usize = 5;
/// Baseline buckets of a template histogram at most (a baseline much longer than the incident
/// is cut at its start plus this many incident-sized buckets).
const MAX_BASELINE_BUCKETS: usize = 512;
/// Characters of template text quoted in a title.
const TITLE_TEMPLATE_CHARS: usize = 100;

/// What the analysis established about one request's data.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
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
    /// Trace spans received (incident and baseline).
    pub span_records: u64,
    /// Suspect entities most likely to have started the incident, most likely first, each
    /// with its mechanism and evidence across signals.
    pub root_causes: Vec<RootCause>,
    /// Events of every signal on one timeline, earliest first.
    pub timeline: Vec<TimelineEvent>,
    /// The anomalous metric series, ready to plot (most important finding's series first).
    pub series_plots: Vec<SeriesPlot>,
    /// The waterfall of one slow trace (the one the top trace finding cites, or the slowest).
    pub trace_waterfall: Option<TraceWaterfall>,
    /// Log messages mined after the miner's budgets were spent (templates, tree leaf or
    /// vocabulary; see [`crate::TemplateMiner::overflowed_messages`]): non-zero means the
    /// upload had more distinct events than the miner keeps and those lines got coarser
    /// templates. Memory stays bounded either way.
    pub overflowed_log_messages: u64,
    /// What limited this analysis (a miner budget spent, ...), in words for the engineer.
    pub notices: Vec<faultmaven_model::AnalysisNotice>,
    /// Charts of the metric series that findings are about: per point the value, the
    /// ensemble's anomaly score and the expected band (thinned to a bounded size).
    pub metric_plots: Vec<crate::metrics::SeriesPlot>,
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

    fn of(record: &LogRecord<'_>) -> Self {
        Self {
            attachment: record.attachment,
            first_line: record.first_line,
            last_line: record.last_line,
            excerpt: excerpt_with_error(record),
        }
    }
}

/// Attribute keys whose value states why a structured line failed: the message of such a line
/// is often generic ("query failed") and the cause sits in the field.
const ERROR_KEYS: &[&str] = &["error", "err", "error.message", "exception", "cause"];

/// The excerpt of a record: its message, then its error field, then its other attributes
/// (`key=value`, entity fields excepted: they are subjects already), cut to the excerpt length.
/// A structured line's message is often generic ("query failed"); the cause ("connection
/// refused") and the peer (`db=orders-db:5432`) sit in its fields.
fn excerpt_with_error(record: &LogRecord<'_>) -> String {
    if record.attributes.is_empty() {
        return excerpt(&record.message);
    }
    let mut text = record.message.lines().next().unwrap_or("").to_owned();
    let is_error = |key: &str| ERROR_KEYS.contains(&key);
    let errors = record.attributes.iter().filter(|(key, _)| is_error(key));
    let others = record
        .attributes
        .iter()
        .filter(|(key, _)| !is_error(key) && entity_kind_of_key(key).is_none());
    for (key, value) in errors.chain(others) {
        if value.trim().is_empty() || text.contains(value.as_ref()) {
            continue;
        }
        text.push(' ');
        text.push_str(key);
        text.push('=');
        text.push_str(value.lines().next().unwrap_or(""));
        if text.len() > 4 * crate::signals::EXCERPT_CHARS {
            break;
        }
    }
    excerpt(&text)
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
    /// The first error/fatal lines, and their time window.
    error_lines: LevelLines,
    /// The first warning lines, and their time window.
    warning_lines: LevelLines,
    baseline_examples: Vec<Example>,
    first_incident: Option<(AttachmentId, u64)>,
    first_baseline: Option<(AttachmentId, u64)>,
    subjects: Vec<Suspect>,
    histogram: TimeHistogram,
    /// Baseline lines per time bucket.
    baseline_histogram: TimeHistogram,
}

/// Examples and time window of a template's lines at one level group.
#[derive(Debug, Clone, Default)]
struct LevelLines {
    examples: Vec<Example>,
    first_time: Option<i64>,
    last_time: Option<i64>,
}

impl LevelLines {
    fn observe(&mut self, record: &LogRecord<'_>, time: Option<i64>) {
        if self.examples.len() < MAX_EXAMPLES {
            self.examples.push(Example::of(record));
        }
        self.first_time = min_option(self.first_time, time);
        self.last_time = max_option(self.last_time, time);
    }

    fn merge(&mut self, other: &LevelLines) {
        merge_examples(&mut self.examples, &other.examples);
        self.first_time = min_option(self.first_time, other.first_time);
        self.last_time = max_option(self.last_time, other.last_time);
    }
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

/// Adds the entities a record names: typed attributes (service, host, pod, container), then
/// its source as a component unless an attribute already named it. Allocates only for an
/// entity not yet in `subjects`.
fn add_record_subjects(record: &LogRecord<'_>, subjects: &mut Vec<Suspect>) {
    let mut named_host = false;
    for (key, value) in &record.attributes {
        if let Some(kind) = entity_kind_of_key(key) {
            add_subject(subjects, kind, value);
            named_host |= kind == SuspectKind::Host;
        }
    }
    if !named_host {
        if let Some(host) = syslog_host(&record.message) {
            add_subject(subjects, SuspectKind::Host, host);
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
        self.error_lines.merge(&other.error_lines);
        self.warning_lines.merge(&other.warning_lines);
        merge_examples(&mut self.baseline_examples, &other.baseline_examples);
        self.first_incident = min_option(self.first_incident, other.first_incident);
        self.first_baseline = min_option(self.first_baseline, other.first_baseline);
        for subject in &other.subjects {
            add_subject(&mut self.subjects, subject.kind, &subject.name);
        }
        self.histogram.merge(&other.histogram);
        self.baseline_histogram.merge(&other.baseline_histogram);
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

/// Frames of a pasted trace cited as evidence of its exception.
const MAX_EVIDENCE_FRAMES: usize = 3;

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
    /// The top frames of a pasted trace (code snippet), each citing its line.
    frames: Vec<Example>,
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
    configs: crate::config_diff::ConfigStore,
    templates: Vec<TemplateStats>,
    /// Incident lines with an explicit error/fatal level, and warning level.
    error_lines: TimeHistogram,
    warning_lines: TimeHistogram,
    assemblers: BTreeMap<AttachmentId, TraceAssembler<TraceContext>>,
    exceptions: Vec<ExceptionGroup>,
    exception_index: FastMap<(String, Option<String>), usize>,
    metrics: MetricStore,
    entities: EntityTracker,
    last_template: Option<u32>,
    log_records: u64,
    baseline_log_records: u64,
    metric_samples: u64,
    incident_log_times: Option<(i64, i64)>,
    baseline_log_times: Option<(i64, i64)>,
    incident_times: Option<(i64, i64)>,
    traces: crate::traces::TraceStore,
    rca: crate::rca::RcaCollector,
    span_records: u64,
    /// Durations the log lines report (queries, lock waits, GC pauses, requests).
    slow_operations: slow::SlowOperations,
}

impl Analyzer {
    /// An analyzer with the given settings (invalid values fall back to defaults; use
    /// [`AnalysisConfig::validate`] to report them).
    pub fn new(config: &AnalysisConfig) -> Self {
        let config = config.sanitized();
        Self {
            entities: EntityTracker::new(&config.entities),
            last_template: None,
            miner: TemplateMiner::new(&config.miner),
            config,
            attachments: FastMap::default(),
            configs: crate::config_diff::ConfigStore::default(),
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
            baseline_log_times: None,
            incident_times: None,
            traces: crate::traces::TraceStore::default(),
            rca: crate::rca::RcaCollector::default(),
            span_records: 0,
            slow_operations: slow::SlowOperations::default(),
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
        // Quote the line that names the exception, not whatever message preceded it.
        let header = trace
            .text
            .lines()
            .find(|line| line.contains(signature.kind.as_str()))
            .unwrap_or(&trace.text);
        let example = Example {
            attachment,
            first_line: trace.first_line,
            last_line: trace.last_line,
            excerpt: excerpt(header),
        };
        self.add_exception(signature, example, &trace.context, Vec::new());
    }

    /// Counts one sighting of an exception; `frames` are evidence of where it was thrown,
    /// kept from the first incident sighting that has them.
    fn add_exception(
        &mut self,
        signature: ExceptionSignature,
        example: Example,
        context: &TraceContext,
        frames: Vec<Example>,
    ) {
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
                    frames: Vec::new(),
                });
                self.exception_index.insert(key, self.exceptions.len() - 1);
                self.exceptions.len() - 1
            }
        };
        let group = &mut self.exceptions[index];
        if context.role == AttachmentRole::Baseline {
            group.baseline += 1;
            return;
        }
        group.incident += 1;
        if group.first.is_none() {
            group.first = Some(example.clone());
        }
        group.last = Some(example);
        if group.frames.is_empty() {
            group.frames = frames;
        }
        if let Some(time) = context.time {
            group.first_time = min_option(group.first_time, Some(time));
            group.last_time = max_option(group.last_time, Some(time));
        }
        group.fatal_level |= context.level == Some(Level::Fatal);
        for subject in &context.subjects {
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
        findings.extend(self.frequency_shift_findings(&merged));
        findings.extend(self.exception_findings());
        findings.extend(self.entity_anomaly_findings(&merged));
        findings.extend(
            self.slow_operations
                .findings(&|id| self.attachment_name(id), self.spans_days()),
        );
        let series = std::mem::take(&mut self.metrics).into_series();
        let (metric_findings, mut metric_plots) = self.metric_findings(&series);
        findings.extend(metric_findings);
        findings.extend(self.configs.findings());

        let derived = self.traces.derive();
        findings.extend(self.traces.findings(&derived, self.spans_days()));

        let findings = rank_and_cap(findings, self.config.max_findings, first_finding_number);
        metric_findings::attach_plots(&mut metric_plots, &findings);
        let attachment_names: FastMap<AttachmentId, String> = self
            .attachments
            .iter()
            .map(|(id, info)| (*id, info.name.clone()))
            .collect();
        let (root_causes, timeline) = self.rca.rank(&crate::rca::RankInput {
            traces: &self.traces,
            derived: &derived,
            findings: &findings,
            attachment_names: &attachment_names,
            with_date: self.spans_days(),
        });
        let templates = self.template_summaries(&merged);
        let plots = crate::plots::build(&crate::plots::PlotInput {
            series: &series,
            findings: &findings,
            traces: &self.traces,
            derived: &derived,
            ensemble: &metric_plots,
            alarm_score: self.config.metrics.alarm_score,
            band_sigmas: crate::metrics::BAND_SIGMAS,
            relative_floor: self.config.metrics.min_relative_scale,
        });
        AnalysisReport {
            findings,
            templates,
            log_records: self.log_records,
            metric_samples: self.metric_samples,
            series: series.len(),
            time_range: self.incident_times.map(|(low, high)| {
                (
                    Timestamp::from_unix_nanos(low),
                    Timestamp::from_unix_nanos(high),
                )
            }),
            span_records: self.span_records,
            root_causes,
            timeline,
            series_plots: plots.series,
            trace_waterfall: plots.trace_waterfall,
            overflowed_log_messages: self.miner.overflowed_messages(),
            notices: notices::analysis_notices(&notices::NoticeInput {
                log_records: self.log_records,
                overflowed_log_messages: self.miner.overflowed_messages(),
                miner: &self.config.miner,
            }),
            metric_plots,
        }
    }

    /// The template id each raw miner id ends up with in the report (`result[raw - 1]`, 0 for
    /// none), as of now: for evaluation tools that label lines by template. Call it after
    /// the last record and before [`Analyzer::finish`].
    pub fn report_template_ids(&self) -> Vec<u32> {
        let mut roots: BTreeMap<u32, u32> = BTreeMap::new();
        for (index, stats) in self.templates.iter().enumerate() {
            if stats.incident + stats.baseline > 0 {
                roots.insert(self.miner.resolve(index as u32 + 1), 0);
            }
        }
        for (dense, id) in roots.values_mut().enumerate() {
            *id = dense as u32 + 1;
        }
        (1..=self.templates.len() as u32)
            .map(|raw| roots.get(&self.miner.resolve(raw)).copied().unwrap_or(0))
            .collect()
    }

    /// The raw miner id of the last record received (see [`Analyzer::report_template_ids`]).
    pub fn last_template(&self) -> Option<u32> {
        self.last_template
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
                    root,
                    badness: Badness::of(&stats, &text),
                    text,
                    stats,
                }
            })
            .collect()
    }

    /// Entities grouped by identifier and scored; one finding per kind and family.
    fn entity_anomaly_findings(&self, templates: &[MergedTemplate]) -> Vec<Finding> {
        let by_root: BTreeMap<u32, &MergedTemplate> =
            templates.iter().map(|t| (t.root, t)).collect();
        let resolve = |raw: u32| self.miner.resolve(raw);
        let label = |root: u32| {
            by_root
                .get(&root)
                .map_or_else(|| "E?".to_owned(), |t| format!("E{}", t.id))
        };
        let failing = |root: u32| {
            by_root
                .get(&root)
                .and_then(|t| t.badness)
                .is_some_and(|badness| badness.is_error())
        };
        let view = TemplateView {
            resolve: &resolve,
            label: &label,
            failing: &failing,
        };
        let reports = examine(&self.entities, &view);
        entity_findings(&self.entities, &reports)
    }

    /// The shared bucket grid of the template histograms.
    fn histogram_grid(&self, templates: &[MergedTemplate]) -> Option<HistogramGrid> {
        let (low, high) = self.incident_log_times?;
        let target = ((high - low) / self.config.bursts.target_buckets as i64).max(1);
        let rung = templates
            .iter()
            .flat_map(|t| [t.stats.histogram.rung(), t.stats.baseline_histogram.rung()])
            .max()
            .unwrap_or(0)
            .max(rung_at_least(target));
        let width = rung_width(rung);
        let first = low.div_euclid(width);
        let buckets = (high.div_euclid(width) - first + 1) as usize;
        let baseline = self.baseline_log_times.map(|(low, high)| {
            let first = low.div_euclid(width);
            let buckets = (high.div_euclid(width) - first + 1) as usize;
            (first, buckets.min(MAX_BASELINE_BUCKETS))
        });
        Some((rung, first, buckets, baseline))
    }

    fn template_summaries(&self, templates: &[MergedTemplate]) -> Vec<TemplateSummary> {
        let grid = self.histogram_grid(templates);
        let histogram_of = |stats: &TemplateStats| -> Option<TemplateHistogram> {
            let (rung, first, buckets, baseline) = grid?;
            let width = rung_width(rung);
            let counts = |histogram: &TimeHistogram, first: i64, buckets: usize| -> Vec<u64> {
                histogram
                    .dense(rung, first, buckets)
                    .into_iter()
                    .map(|(count, _)| count)
                    .collect()
            };
            Some(TemplateHistogram {
                bucket_seconds: width / 1_000_000_000,
                start: Timestamp::from_unix_nanos(first * width),
                counts: counts(&stats.histogram, first, buckets),
                baseline_start: baseline
                    .map(|(first, _)| Timestamp::from_unix_nanos(first * width)),
                baseline_counts: baseline
                    .map(|(first, buckets)| counts(&stats.baseline_histogram, first, buckets))
                    .unwrap_or_default(),
            })
        };
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
                    histogram: histogram_of(stats),
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

/// Rung, incident first bucket index, incident buckets, and the baseline's first bucket index
/// and buckets when the baseline is timed.
type HistogramGrid = (usize, i64, usize, Option<(i64, usize)>);

/// A template after merging, with its dense id and final text.
#[derive(Debug)]
struct MergedTemplate {
    id: u32,
    /// The miner's id of the template the others merged into.
    root: u32,
    text: String,
    stats: TemplateStats,
    badness: Option<Badness>,
}

impl RecordSink for Analyzer {
    /// A pasted trace becomes an exception sighting like a trace inside a log, with its top
    /// frames as evidence. Source without an exception yields nothing.
    fn code(&mut self, snippet: faultmaven_model::CodeSnippet<'_>) {
        let Some(signature) = crate::exceptions::snippet_exception(&snippet) else {
            return;
        };
        let header = snippet
            .text
            .lines()
            .enumerate()
            .find(|(_, line)| line.contains(signature.kind.as_str()))
            .map_or((0, snippet.text.lines().next().unwrap_or("")), |(i, l)| {
                (i, l)
            });
        let example = Example {
            attachment: snippet.attachment,
            first_line: snippet.first_line + header.0 as u64,
            last_line: snippet.last_line,
            excerpt: excerpt(header.1),
        };
        let frames = snippet
            .frames
            .iter()
            .take(MAX_EVIDENCE_FRAMES)
            .map(|frame| Example {
                attachment: snippet.attachment,
                first_line: frame.upload_line,
                last_line: frame.upload_line,
                excerpt: excerpt(&crate::exceptions::describe_frame(frame)),
            })
            .collect();
        let context = TraceContext {
            role: self.role(snippet.attachment),
            time: None,
            level: None,
            subjects: Vec::new(),
        };
        self.add_exception(signature, example, &context, frames);
    }

    fn attachment(&mut self, id: AttachmentId, role: AttachmentRole, name: &str) {
        self.register_attachment(id, role, name);
    }

    fn config(&mut self, entry: faultmaven_model::ConfigEntry<'_>) {
        let role = self.role(entry.attachment);
        self.configs.add(role, &entry);
    }

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
        self.last_template = Some(raw as u32);
        if self.templates.len() < raw {
            self.templates.resize_with(raw, TemplateStats::default);
        }
        let stats = &mut self.templates[raw - 1];
        stats.max_level = max_option(stats.max_level, record.level);
        match role {
            AttachmentRole::Baseline => {
                stats.baseline += 1;
                stats.first_baseline = min_option(
                    stats.first_baseline,
                    Some((record.attachment, record.first_line)),
                );
                if stats.baseline_examples.len() < MAX_EXAMPLES {
                    stats.baseline_examples.push(Example::of(&record));
                }
                if let Some(time) = time {
                    stats.baseline_histogram.add(LineRef {
                        attachment: record.attachment,
                        first_line: record.first_line,
                        last_line: record.last_line,
                        time,
                    });
                    Self::observe_time(&mut self.baseline_log_times, time);
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
                if stats.examples.len() < MAX_EXAMPLES {
                    stats.examples.push(Example::of(&record));
                }
                match record.level {
                    Some(level) if level.is_error() => stats.error_lines.observe(&record, time),
                    Some(Level::Warn) => stats.warning_lines.observe(&record, time),
                    _ => {}
                }
                add_record_subjects(&record, &mut stats.subjects);
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

        let error_level = record.level.is_some_and(Level::is_error);
        self.entities.observe(
            &record,
            raw as u32,
            role == AttachmentRole::Baseline,
            time,
            error_level,
        );

        self.slow_operations.observe(&record, role, time);
        self.rca.log(&record, role);
        let assembler = self.assemblers.entry(record.attachment).or_default();
        let finished = assembler.push(&record.message, record.first_line, record.last_line, || {
            let mut subjects = Vec::new();
            add_record_subjects(&record, &mut subjects);
            TraceContext {
                role,
                time,
                level: record.level,
                subjects,
            }
        });
        if let Some(trace) = finished {
            self.observe_exception(trace, record.attachment);
        }
    }

    fn metric(&mut self, sample: MetricSample<'_>) {
        self.metric_samples += 1;
        let role = self.role(sample.attachment);
        let file_name = self
            .attachments
            .get(&sample.attachment)
            .map_or("", |info| info.name.as_str());
        self.rca.metric(&sample, role, file_name);
        if role == AttachmentRole::Baseline {
            return;
        }
        if let Some(time) = sample.timestamp {
            if sample.value.is_finite() {
                Self::observe_time(&mut self.incident_times, time.unix_nanos());
            }
        }
        self.metrics.add(&sample, &self.config.metrics);
    }

    fn span(&mut self, span: SpanRecord<'_>) {
        self.span_records += 1;
        let role = self.role(span.attachment);
        if role == AttachmentRole::Incident {
            Self::observe_time(&mut self.incident_times, span.start.unix_nanos());
        }
        self.traces.add(&span, role);
    }
}
