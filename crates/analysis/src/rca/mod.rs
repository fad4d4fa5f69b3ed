//! One timeline and root-cause ranking. Every signal is reduced to per-entity features on
//! one time grid (the incident window cut into buckets): from spans the entity's own work
//! (self time: span minus its children), the errors that start in it (failing spans none of
//! whose children failed), the gap between a caller's client span and the callee's server
//! span (where a network fault lives), calls to dependencies without spans of their own
//! (databases); from metrics its CPU, memory, latency and error series; from logs its error
//! lines and configuration changes. Each feature's shift is measured against a reference
//! (the baseline upload, or the part of the window before the shift), the strongest
//! mechanism per entity is kept, and entities are ranked by strength, then onset.
//!
//! The decomposition is how the call graph is used: a callee that degrades makes its callers
//! slower and failing too, but not their self time, not the errors that start in them, and
//! not the gaps on their other edges, so the callee that started it stands out.

mod entity;
mod series;
use series::{upward_shift, upward_trend, Feature, FeatureKind, Grid, Shift};

pub(crate) use entity::{pod_of_file_name, service_of};

use crate::intern::FastMap;
use crate::signals::{entity_kind_of_key, excerpt, format_time};
use crate::traces::{millis, Derived, TraceStore};
use faultmaven_model::{
    AttachmentId, AttachmentRole, Evidence, Finding, FindingKind, Level, LogRecord, Mechanism,
    MetricSample, RootCause, RootCauseEvidence, Signal, SpanKind, Suspect, SuspectKind,
    TimelineEvent, Timestamp,
};
use std::collections::{BTreeMap, BTreeSet};

/// Buckets the incident window is cut into.
const BUCKETS: usize = 40;
/// Log counts are kept per slot of this many nanoseconds until the window is known.
const LOG_SLOT: i64 = 5_000_000_000;
/// Entities tracked from logs and metrics at most (bounded memory).
const MAX_ENTITIES: usize = 2_000;
/// Points kept per entity and metric kind and role.
const MAX_METRIC_POINTS: usize = 20_000;
/// Suspects reported.
const MAX_SUSPECTS: usize = 5;
/// Timeline events reported.
const MAX_EVENTS: usize = 100;
/// A feature shift below this robust z is not an anomaly.
const ANOMALOUS_Z: f64 = 4.0;
/// Related names kept per entity.
const MAX_RELATED: usize = 6;

/// What a metric measures, from its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum MetricKind {
    Cpu,
    Memory,
    Latency,
    Errors,
}

fn metric_kind(name: &str) -> Option<MetricKind> {
    let lower = name.to_ascii_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| lower.contains(w));
    if has(&["cpu"]) {
        Some(MetricKind::Cpu)
    } else if has(&["mem", "rss", "heap", "working_set"]) {
        Some(MetricKind::Memory)
    } else if has(&["latency", "duration", "response_time", "rt_ms", "elapsed"]) {
        Some(MetricKind::Latency)
    } else if has(&["error", "fail", "5xx", "exception"]) {
        Some(MetricKind::Errors)
    } else {
        None
    }
}

#[derive(Debug, Clone, Copy)]
struct MetricPoint {
    time: i64,
    value: f64,
    attachment: AttachmentId,
    line: u64,
}

#[derive(Debug, Default)]
struct MetricTrack {
    series: String,
    incident: Vec<MetricPoint>,
    baseline: Vec<MetricPoint>,
}

#[derive(Debug, Clone)]
struct ConfigLine {
    time: i64,
    attachment: AttachmentId,
    line: u64,
    excerpt: String,
}

#[derive(Debug, Default)]
struct LogTally {
    /// Per slot: error lines, all lines.
    incident: BTreeMap<i64, [u32; 2]>,
    baseline: BTreeMap<i64, [u32; 2]>,
    config_lines: Vec<ConfigLine>,
}

/// Collects what ranking needs from logs and metrics while they stream.
#[derive(Debug, Default)]
pub(crate) struct RcaCollector {
    logs: BTreeMap<String, LogTally>,
    metrics: BTreeMap<(String, MetricKind), MetricTrack>,
    related: BTreeMap<String, BTreeSet<Suspect>>,
}

/// Words of a log line that announce a configuration change.
fn mentions_configuration(message: &str) -> bool {
    let lower = message.to_ascii_lowercase();
    ["config", "setting", "propert", "feature flag"]
        .iter()
        .any(|word| lower.contains(word))
        && ["change", "reload", "updat", "applied", "set ", "override"]
            .iter()
            .any(|word| lower.contains(word))
}

impl RcaCollector {
    fn relate(&mut self, service: &str, kind: SuspectKind, name: &str) {
        if name == service || name.is_empty() {
            return;
        }
        let set = self.related.entry(service.to_owned()).or_default();
        if set.len() < MAX_RELATED {
            set.insert(Suspect {
                kind,
                name: name.to_owned(),
            });
        }
    }

    fn entity_count(&self) -> usize {
        self.logs.len() + self.metrics.len()
    }

    /// Notes one log record: its entity's error and config lines per time slot.
    pub fn log(&mut self, record: &LogRecord<'_>, role: AttachmentRole) {
        let Some(time) = record.timestamp.map(Timestamp::unix_nanos) else {
            return;
        };
        let mut service = None;
        let mut pod = None;
        for (key, value) in &record.attributes {
            match entity_kind_of_key(key) {
                Some(SuspectKind::Service) if service.is_none() => {
                    service = Some(value.to_string())
                }
                Some(SuspectKind::Pod) if pod.is_none() => pod = Some(value.to_string()),
                _ => {}
            }
        }
        let service = match (service, &pod, &record.source) {
            (Some(service), _, _) => service,
            (None, Some(pod), _) => service_of(pod),
            (None, None, Some(source)) => service_of(source),
            (None, None, None) => return,
        };
        if !self.logs.contains_key(&service) && self.entity_count() >= MAX_ENTITIES {
            return;
        }
        if let Some(pod) = &pod {
            self.relate(&service, SuspectKind::Pod, pod);
        }
        let tally = self.logs.entry(service).or_default();
        let slots = match role {
            AttachmentRole::Baseline => &mut tally.baseline,
            AttachmentRole::Incident => &mut tally.incident,
        };
        let slot = slots.entry(time.div_euclid(LOG_SLOT)).or_default();
        slot[1] += 1;
        if record.level.is_some_and(Level::is_error) {
            slot[0] += 1;
        }
        if role == AttachmentRole::Incident
            && tally.config_lines.len() < 8
            && mentions_configuration(&record.message)
        {
            tally.config_lines.push(ConfigLine {
                time,
                attachment: record.attachment,
                line: record.first_line,
                excerpt: excerpt(&record.message),
            });
        }
    }

    /// Notes one metric sample of a known kind: entity from its labels, else from the name of
    /// the file it came from.
    pub fn metric(&mut self, sample: &MetricSample<'_>, role: AttachmentRole, file_name: &str) {
        let (Some(time), true) = (sample.timestamp, sample.value.is_finite()) else {
            return;
        };
        let Some(kind) = metric_kind(&sample.name) else {
            return;
        };
        let mut service = None;
        let mut pod = None;
        for (key, value) in &sample.labels {
            match entity_kind_of_key(key) {
                Some(SuspectKind::Service) if service.is_none() => {
                    service = Some(value.to_string())
                }
                Some(SuspectKind::Pod | SuspectKind::Container | SuspectKind::Host)
                    if pod.is_none() =>
                {
                    pod = Some(value.to_string())
                }
                _ => {}
            }
        }
        if service.is_none() && pod.is_none() {
            pod = pod_of_file_name(file_name);
        }
        let Some(service) = service.or_else(|| pod.as_deref().map(service_of)) else {
            return;
        };
        let key = (service.clone(), kind);
        if !self.metrics.contains_key(&key) && self.entity_count() >= MAX_ENTITIES {
            return;
        }
        if let Some(pod) = &pod {
            self.relate(&service, SuspectKind::Pod, pod);
        }
        let track = self.metrics.entry(key).or_default();
        if track.series.is_empty() {
            track.series = match &pod {
                Some(pod) => format!("{}{{pod=\"{pod}\"}}", sample.name),
                None => format!("{}{{service=\"{service}\"}}", sample.name),
            };
        }
        let points = match role {
            AttachmentRole::Baseline => &mut track.baseline,
            AttachmentRole::Incident => &mut track.incident,
        };
        if points.len() < MAX_METRIC_POINTS {
            points.push(MetricPoint {
                time: time.unix_nanos(),
                value: sample.value,
                attachment: sample.attachment,
                line: sample.line,
            });
        }
    }
}

/// Everything measured about one entity.
#[derive(Debug, Default)]
struct EntityFeatures {
    features: BTreeMap<FeatureKind, Feature>,
    has_spans: bool,
}

/// A candidate root cause before it is written up.
#[derive(Debug, Clone)]
struct Candidate {
    entity: String,
    kind: SuspectKind,
    mechanism: Mechanism,
    strength: f64,
    onset: Option<i64>,
    shifts: Vec<(FeatureKind, Shift)>,
    network: Option<(f64, usize, String)>,
    config_line: Option<ConfigLine>,
}

/// What ranking reads besides the collector.
pub(crate) struct RankInput<'a> {
    pub traces: &'a TraceStore,
    pub derived: &'a [Derived],
    pub findings: &'a [Finding],
    pub attachment_names: &'a FastMap<AttachmentId, String>,
    pub with_date: bool,
}

/// First and last time, ns since the epoch.
type TimeWindow = (i64, i64);

/// The incident and baseline windows over every timed signal.
fn windows(
    collector: &RcaCollector,
    traces: &TraceStore,
) -> (Option<TimeWindow>, Option<TimeWindow>) {
    let mut incident: Option<(i64, i64)> = None;
    let mut baseline: Option<(i64, i64)> = None;
    let see = |window: &mut Option<(i64, i64)>, time: i64| {
        *window = Some(match *window {
            Some((low, high)) => (low.min(time), high.max(time)),
            None => (time, time),
        });
    };
    for span in &traces.spans {
        see(
            if span.baseline {
                &mut baseline
            } else {
                &mut incident
            },
            span.start,
        );
    }
    for track in collector.metrics.values() {
        for point in &track.incident {
            see(&mut incident, point.time);
        }
        for point in &track.baseline {
            see(&mut baseline, point.time);
        }
    }
    for tally in collector.logs.values() {
        if let (Some(first), Some(last)) =
            (tally.incident.keys().next(), tally.incident.keys().last())
        {
            see(&mut incident, first * LOG_SLOT);
            see(&mut incident, last * LOG_SLOT);
        }
        if let (Some(first), Some(last)) =
            (tally.baseline.keys().next(), tally.baseline.keys().last())
        {
            see(&mut baseline, first * LOG_SLOT);
            see(&mut baseline, last * LOG_SLOT);
        }
    }
    (incident, baseline)
}

impl RcaCollector {
    /// Ranks suspect entities and lays out the timeline.
    pub fn rank(&self, input: &RankInput<'_>) -> (Vec<RootCause>, Vec<TimelineEvent>) {
        let (Some((low, high)), baseline_window) = windows(self, input.traces) else {
            return (Vec::new(), timeline_of_findings(input.findings));
        };
        let grid = Grid::new(low, high, None);
        let baseline_grid =
            baseline_window.map(|(b_low, b_high)| Grid::new(b_low, b_high, Some(grid.width)));
        let grid_for = |baseline: bool| {
            if baseline {
                baseline_grid.as_ref()
            } else {
                Some(&grid)
            }
        };

        let mut entities: BTreeMap<String, EntityFeatures> = BTreeMap::new();
        let mut edges: BTreeMap<(String, String), Feature> = BTreeMap::new();
        let mut related: BTreeMap<String, BTreeSet<Suspect>> = self.related.clone();
        let traces = input.traces;
        let service_names: Vec<String> = traces.name_list.iter().map(|n| service_of(n)).collect();
        let add = |entities: &mut BTreeMap<String, EntityFeatures>,
                   entity: &str,
                   kind: FeatureKind,
                   baseline: bool,
                   time: i64,
                   value: f64,
                   weight: f64| {
            let Some(role_grid) = grid_for(baseline) else {
                return;
            };
            let Some(bucket) = role_grid.bucket(time) else {
                return;
            };
            let features = entities.entry(entity.to_owned()).or_default();
            let slot = features
                .features
                .entry(kind)
                .or_insert_with(|| Feature::new(&grid, baseline_grid.as_ref()));
            let target = if baseline {
                &mut slot.baseline
            } else {
                &mut slot.incident
            };
            target.add(bucket, value, weight);
        };

        for (index, span) in traces.spans.iter().enumerate() {
            let derived = input.derived[index];
            let service = &service_names[span.service as usize];
            entities.entry(service.clone()).or_default().has_spans = true;
            if let Some(pod) = span.pod {
                let set = related.entry(service.clone()).or_default();
                let name = traces.name(pod);
                if set.len() < MAX_RELATED && name != service {
                    set.insert(Suspect {
                        kind: SuspectKind::Pod,
                        name: name.to_owned(),
                    });
                }
            }
            let peer = span.peer.map(|p| service_names[p as usize].clone());
            let dependency_call =
                span.kind == SpanKind::Client && derived.gap.is_none() && peer.is_some();
            if span.kind != SpanKind::Client {
                add(
                    &mut entities,
                    service,
                    FeatureKind::SelfTime,
                    span.baseline,
                    span.start,
                    derived.self_time as f64 / 1e6,
                    1.0,
                );
            }
            if dependency_call {
                let peer = peer.as_deref().unwrap_or_default();
                add(
                    &mut entities,
                    peer,
                    FeatureKind::PeerErrors,
                    span.baseline,
                    span.start,
                    f64::from(u8::from(span.is_error)),
                    1.0,
                );
                add(
                    &mut entities,
                    peer,
                    FeatureKind::PeerLatency,
                    span.baseline,
                    span.start,
                    span.duration as f64 / 1e6,
                    1.0,
                );
            } else {
                let originates = derived.originates_error;
                add(
                    &mut entities,
                    service,
                    FeatureKind::OwnErrors,
                    span.baseline,
                    span.start,
                    f64::from(u8::from(originates)),
                    1.0,
                );
            }
            if let Some((callee, gap)) = derived.gap {
                let key = (service.clone(), service_names[callee as usize].clone());
                let edge = edges
                    .entry(key)
                    .or_insert_with(|| Feature::new(&grid, baseline_grid.as_ref()));
                if let Some(g) = grid_for(span.baseline) {
                    if let Some(bucket) = g.bucket(span.start) {
                        let target = if span.baseline {
                            &mut edge.baseline
                        } else {
                            &mut edge.incident
                        };
                        target.add(bucket, gap.max(0) as f64 / 1e6, 1.0);
                    }
                }
            }
        }
        for ((service, kind), track) in &self.metrics {
            for (points, baseline) in [(&track.incident, false), (&track.baseline, true)] {
                for point in points.iter() {
                    add(
                        &mut entities,
                        service,
                        FeatureKind::Metric(*kind),
                        baseline,
                        point.time,
                        point.value,
                        1.0,
                    );
                }
            }
        }
        for (service, tally) in &self.logs {
            for (slots, baseline) in [(&tally.incident, false), (&tally.baseline, true)] {
                for (slot, counts) in slots {
                    add(
                        &mut entities,
                        service,
                        FeatureKind::LogErrors,
                        baseline,
                        slot * LOG_SLOT,
                        f64::from(counts[0]),
                        0.0,
                    );
                }
            }
        }

        // Shifts per entity and feature.
        let mut shifts: BTreeMap<String, Vec<(FeatureKind, Shift)>> = BTreeMap::new();
        for (entity, features) in &entities {
            for (kind, feature) in &features.features {
                let min_count = match kind {
                    FeatureKind::LogErrors => 0.0,
                    FeatureKind::Metric(_) => 1.0,
                    _ => 2.0,
                };
                let series = if *kind == FeatureKind::LogErrors {
                    feature.incident.sum.iter().map(|v| Some(*v)).collect()
                } else {
                    feature.incident.means(min_count)
                };
                let reference = if *kind == FeatureKind::LogErrors {
                    feature.baseline.sum.iter().map(|v| Some(*v)).collect()
                } else {
                    feature.baseline.means(min_count)
                };
                if let Some(shift) = upward_shift(
                    &series,
                    &reference,
                    kind.floor(),
                    kind.relative_floor(),
                    matches!(
                        kind,
                        FeatureKind::OwnErrors | FeatureKind::PeerErrors | FeatureKind::LogErrors
                    ),
                ) {
                    shifts
                        .entry(entity.clone())
                        .or_default()
                        .push((*kind, shift));
                }
                // A leak is a climb, not a level: its memory may stay inside the range the
                // reference covers while no reference ever rose like that.
                if *kind == FeatureKind::Metric(MetricKind::Memory) {
                    let trend_kind = FeatureKind::Trend(MetricKind::Memory);
                    if let Some(trend) = upward_trend(
                        &series,
                        &reference,
                        trend_kind.floor(),
                        trend_kind.relative_floor(),
                    ) {
                        shifts
                            .entry(entity.clone())
                            .or_default()
                            .push((trend_kind, trend));
                    }
                }
            }
        }
        // Network: per entity, the mean shift of the gaps on its edges (in and out).
        let mut edge_shifts: BTreeMap<String, Vec<(f64, String)>> = BTreeMap::new();
        for ((caller, callee), feature) in &edges {
            let z = upward_shift(
                &feature.incident.means(2.0),
                &feature.baseline.means(2.0),
                2.0,
                0.1,
                false,
            )
            .map_or(0.0, |s| s.z.clamp(0.0, 60.0));
            edge_shifts
                .entry(caller.clone())
                .or_default()
                .push((z, format!("{caller} → {callee}")));
            edge_shifts
                .entry(callee.clone())
                .or_default()
                .push((z, format!("{caller} → {callee}")));
        }
        let edge_onsets: BTreeMap<(String, String), Option<Shift>> = edges
            .iter()
            .map(|(key, f)| {
                (
                    key.clone(),
                    upward_shift(
                        &f.incident.means(2.0),
                        &f.baseline.means(2.0),
                        2.0,
                        0.1,
                        false,
                    ),
                )
            })
            .collect();

        let config_entities: BTreeSet<String> = input
            .findings
            .iter()
            .filter(|f| f.kind == FindingKind::ConfigIssue)
            .flat_map(|f| f.subjects.iter())
            .filter(|s| {
                matches!(
                    s.kind,
                    SuspectKind::Service | SuspectKind::Pod | SuspectKind::Container
                )
            })
            .map(|s| service_of(&s.name))
            .collect();

        let mut candidates = Vec::new();
        let names: BTreeSet<&String> = entities.keys().chain(edge_shifts.keys()).collect();
        for entity in names {
            let list = shifts.get(entity).cloned().unwrap_or_default();
            let z_of = |kind: FeatureKind| list.iter().find(|(k, _)| *k == kind).map(|(_, s)| *s);
            let z = |kind: FeatureKind| z_of(kind).map_or(0.0, |s| s.z);
            let has_spans = entities.get(entity).is_some_and(|e| e.has_spans);
            let mut options: Vec<(Mechanism, f64, Option<usize>)> = Vec::new();
            let network = edge_shifts.get(entity).map(|list| {
                let mean = list.iter().map(|(z, _)| z).sum::<f64>() / list.len() as f64;
                let worst = list
                    .iter()
                    .max_by(|a, b| a.0.total_cmp(&b.0))
                    .map(|(_, n)| n.clone())
                    .unwrap_or_default();
                (mean, list.len(), worst)
            });
            if let Some((mean, _, worst)) = &network {
                let onset = edge_onsets
                    .iter()
                    .find(|((a, b), _)| &format!("{a} → {b}") == worst)
                    .and_then(|(_, s)| s.map(|s| s.onset));
                options.push((Mechanism::NetworkLatency, *mean, onset));
            }
            let cpu = z(FeatureKind::Metric(MetricKind::Cpu));
            let self_time = z(FeatureKind::SelfTime);
            let self_onset = z_of(FeatureKind::SelfTime).map(|s| s.onset);
            if self_time >= ANOMALOUS_Z {
                let mechanism = if cpu >= ANOMALOUS_Z {
                    Mechanism::CpuSaturation
                } else {
                    Mechanism::Latency
                };
                options.push((mechanism, self_time + 0.3 * cpu.min(self_time), self_onset));
            } else if cpu >= ANOMALOUS_Z {
                // CPU alone, without the entity's own work slowing, explains little.
                options.push((
                    Mechanism::CpuSaturation,
                    (0.5 * cpu).min(2.0 * ANOMALOUS_Z),
                    z_of(FeatureKind::Metric(MetricKind::Cpu)).map(|s| s.onset),
                ));
            }
            // Memory that moved up and keeps rising, or whose slope grew beyond the
            // reference's (a leak), is the mechanism; a level that moved and stayed is half
            // as telling (a cache filled, a pod restarted).
            let memory_level = z_of(FeatureKind::Metric(MetricKind::Memory));
            let memory_trend =
                z_of(FeatureKind::Trend(MetricKind::Memory)).filter(|trend| trend.z >= ANOMALOUS_Z);
            let memory_climb = memory_level
                .filter(|level| level.rising && level.z >= ANOMALOUS_Z)
                .into_iter()
                .chain(memory_trend)
                .max_by(|a, b| a.z.total_cmp(&b.z));
            if let Some(climb) = memory_climb {
                options.push((Mechanism::Memory, climb.z.max(self_time), Some(climb.onset)));
            } else if let Some(memory) = memory_level {
                options.push((Mechanism::Memory, 0.5 * memory.z, Some(memory.onset)));
            }
            let own_errors = z(FeatureKind::OwnErrors);
            let error_metric = z(FeatureKind::Metric(MetricKind::Errors));
            let log_errors = z(FeatureKind::LogErrors);
            let error_strength = own_errors.max(0.5 * error_metric).max(if has_spans {
                0.2 * log_errors
            } else {
                0.5 * log_errors
            });
            let error_onset = [
                FeatureKind::OwnErrors,
                FeatureKind::Metric(MetricKind::Errors),
                FeatureKind::LogErrors,
            ]
            .iter()
            .find_map(|k| z_of(*k).filter(|s| s.z >= ANOMALOUS_Z).map(|s| s.onset));
            options.push((Mechanism::Errors, error_strength, error_onset));
            // Slower calls alone count half: a network fault at the caller also slows them;
            // an outage makes them fail.
            let dependency = z(FeatureKind::PeerErrors)
                .min(60.0)
                .max(0.5 * z(FeatureKind::PeerLatency).min(60.0));
            if !has_spans && dependency > 0.0 {
                let onset = [FeatureKind::PeerErrors, FeatureKind::PeerLatency]
                    .iter()
                    .find_map(|k| z_of(*k).filter(|s| s.z >= ANOMALOUS_Z).map(|s| s.onset));
                options.push((Mechanism::DependencyOutage, dependency, onset));
            }
            let Some(&(mut mechanism, strength, onset_bucket)) =
                options.iter().max_by(|a, b| a.1.total_cmp(&b.1))
            else {
                continue;
            };
            if strength < ANOMALOUS_Z {
                continue;
            }
            let onset = onset_bucket.map(|b| grid.start(b));
            // A configuration change in the entity near the onset of its anomaly explains it.
            let config_line = self.logs.get(entity).and_then(|tally| {
                tally
                    .config_lines
                    .iter()
                    .find(|line| onset.is_some_and(|t| (line.time - t).abs() <= 3 * grid.width))
                    .cloned()
            });
            let mut strength = strength;
            if matches!(
                mechanism,
                Mechanism::Errors | Mechanism::Latency | Mechanism::CpuSaturation
            ) && (config_line.is_some() || config_entities.contains(entity))
            {
                mechanism = Mechanism::Configuration;
                strength += 2.0;
            }
            candidates.push(Candidate {
                entity: entity.clone(),
                kind: if has_spans || self.metrics.keys().any(|(e, _)| e == entity) {
                    SuspectKind::Service
                } else {
                    SuspectKind::Dependency
                },
                mechanism,
                strength,
                onset,
                shifts: list,
                network,
                config_line,
            });
        }
        candidates.sort_by(|a, b| {
            let close = (a.strength - b.strength).abs() <= 0.15 * a.strength.max(b.strength);
            if close {
                if let (Some(x), Some(y)) = (a.onset, b.onset) {
                    if x != y {
                        return x.cmp(&y);
                    }
                }
            }
            b.strength
                .total_cmp(&a.strength)
                .then(a.entity.cmp(&b.entity))
        });
        candidates.truncate(MAX_SUSPECTS);
        let root_causes = candidates
            .iter()
            .enumerate()
            .map(|(rank, candidate)| self.write_up(rank, candidate, input, &related, &grid))
            .collect();
        let mut timeline = timeline_of_findings(input.findings);
        for (entity, list) in &shifts {
            for (kind, shift) in list.iter().filter(|(_, s)| s.z >= ANOMALOUS_Z) {
                timeline.push(TimelineEvent {
                    at: Timestamp::from_unix_nanos(grid.start(shift.onset)),
                    signal: kind.signal(),
                    entity: Some(Suspect {
                        kind: SuspectKind::Service,
                        name: entity.clone(),
                    }),
                    description: describe(*kind, shift, entity),
                    strength: (shift.z / (shift.z + 10.0)).clamp(0.0, 1.0),
                    finding_id: None,
                });
            }
        }
        timeline.sort_by(|a, b| a.at.cmp(&b.at).then(b.strength.total_cmp(&a.strength)));
        timeline.truncate(MAX_EVENTS);
        (root_causes, timeline)
    }

    fn write_up(
        &self,
        rank: usize,
        candidate: &Candidate,
        input: &RankInput<'_>,
        related: &BTreeMap<String, BTreeSet<Suspect>>,
        grid: &Grid,
    ) -> RootCause {
        let entity = &candidate.entity;
        let mut evidence: Vec<RootCauseEvidence> = Vec::new();
        if let Some((mean, count, worst)) = &candidate.network {
            if *mean >= ANOMALOUS_Z {
                evidence.push(RootCauseEvidence {
                    signal: Signal::Trace,
                    description: format!(
                        "the gap between callers' client spans and callees' server spans grew on its {count} call edge(s) (mean z = {mean:.1}; strongest on {worst}): time lost on the network, not inside either service"
                    ),
                    finding_id: None,
                    evidence: self.span_pointer(input, entity, |span, derived| derived.gap.map(|g| (g.1, span.baseline))),
                });
            }
        }
        let mut shifts = candidate.shifts.clone();
        shifts.sort_by(|a, b| b.1.z.total_cmp(&a.1.z));
        for (kind, shift) in shifts.iter().filter(|(_, s)| s.z >= ANOMALOUS_Z) {
            let pointer = match kind {
                FeatureKind::SelfTime => self.span_pointer(input, entity, |span, derived| {
                    (span.kind != SpanKind::Client).then_some((derived.self_time, span.baseline))
                }),
                FeatureKind::OwnErrors => self.span_pointer(input, entity, |span, derived| {
                    derived
                        .originates_error
                        .then_some((span.duration, span.baseline))
                }),
                FeatureKind::Metric(metric) | FeatureKind::Trend(metric) => {
                    self.metric_pointer(entity, *metric)
                }
                _ => None,
            };
            evidence.push(RootCauseEvidence {
                signal: kind.signal(),
                description: describe(*kind, shift, entity),
                finding_id: None,
                evidence: pointer,
            });
        }
        if let Some(line) = &candidate.config_line {
            evidence.insert(
                0,
                RootCauseEvidence {
                    signal: Signal::Config,
                    description: format!(
                        "configuration change logged at {} near the onset: {}",
                        format_time(line.time, input.with_date, true),
                        line.excerpt
                    ),
                    finding_id: None,
                    evidence: Some(Evidence::LogLines {
                        attachment: line.attachment,
                        first_line: line.line,
                        last_line: line.line,
                        excerpt: Some(line.excerpt.clone()),
                    }),
                },
            );
        }
        let related_names: Vec<Suspect> = related
            .get(entity)
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default();
        for finding in input.findings {
            if evidence.len() >= 8 {
                break;
            }
            let about = finding.subjects.iter().any(|s| {
                s.name == *entity
                    || related_names.iter().any(|r| r.name == s.name)
                    || service_of(&s.name) == *entity
            }) || finding.evidence.iter().any(|e| {
                input
                    .attachment_names
                    .get(&e.attachment())
                    .and_then(|name| pod_of_file_name(name))
                    .is_some_and(|pod| service_of(&pod) == *entity)
                    && matches!(e, Evidence::MetricPoint { .. })
            });
            if about {
                evidence.push(RootCauseEvidence {
                    signal: match finding.kind {
                        FindingKind::MetricAnomaly
                        | FindingKind::MetricShift
                        | FindingKind::MetricSaturation => Signal::Metric,
                        FindingKind::TraceAnomaly => Signal::Trace,
                        FindingKind::ConfigIssue => Signal::Config,
                        _ => Signal::Log,
                    },
                    description: finding.title.clone(),
                    finding_id: Some(finding.id),
                    evidence: None,
                });
            }
        }
        let onset_text = candidate
            .onset
            .map(|t| format!(" from {}", format_time(t, input.with_date, false)))
            .unwrap_or_default();
        let strongest = evidence
            .first()
            .map(|e| e.description.clone())
            .unwrap_or_default();
        let _ = grid;
        RootCause {
            rank: rank as u32 + 1,
            entity: Suspect {
                kind: candidate.kind,
                name: entity.clone(),
            },
            related: related_names,
            mechanism: candidate.mechanism,
            score: (candidate.strength / (candidate.strength + 10.0)).clamp(0.0, 1.0),
            onset: candidate.onset.map(Timestamp::from_unix_nanos),
            summary: format!(
                "{entity}: {}{onset_text}; {strongest}",
                candidate.mechanism.describe()
            ),
            evidence,
        }
    }

    /// The incident span of the entity that maximizes `measure` (a span to open first).
    fn span_pointer(
        &self,
        input: &RankInput<'_>,
        entity: &str,
        measure: impl Fn(&crate::traces::CompactSpan, &Derived) -> Option<(i64, bool)>,
    ) -> Option<Evidence> {
        let traces = input.traces;
        let mut best: Option<(i64, usize)> = None;
        for (index, span) in traces.spans.iter().enumerate() {
            if service_of(traces.name(span.service)) != entity {
                continue;
            }
            if let Some((value, false)) = measure(span, &input.derived[index]) {
                if best.is_none_or(|(b, _)| value > b) {
                    best = Some((value, index));
                }
            }
        }
        best.map(|(_, index)| {
            let span = &traces.spans[index];
            Evidence::Span {
                attachment: span.attachment,
                trace_id: traces.trace_ids[span.trace as usize].to_string(),
                span_id: span.span_id.to_string(),
            }
        })
    }

    fn metric_pointer(&self, entity: &str, kind: MetricKind) -> Option<Evidence> {
        let track = self.metrics.get(&(entity.to_owned(), kind))?;
        let point = track
            .incident
            .iter()
            .max_by(|a, b| a.value.total_cmp(&b.value))?;
        Some(Evidence::MetricPoint {
            attachment: point.attachment,
            series: track.series.clone(),
            timestamp: Some(Timestamp::from_unix_nanos(point.time)),
            value: point.value,
            line: point.line,
        })
    }
}

fn metric_label(metric: MetricKind) -> &'static str {
    match metric {
        MetricKind::Cpu => "CPU",
        MetricKind::Memory => "memory",
        MetricKind::Latency => "latency",
        MetricKind::Errors => "error",
    }
}

fn describe(kind: FeatureKind, shift: &Shift, entity: &str) -> String {
    let what = match kind {
        FeatureKind::SelfTime => format!(
            "self time of {entity}'s own spans (children excluded) {} → {}",
            millis((shift.before * 1e6) as i64),
            millis((shift.after * 1e6) as i64)
        ),
        FeatureKind::OwnErrors => format!(
            "errors starting in {entity}'s spans {:.1}% → {:.1}% of spans",
            shift.before * 100.0,
            shift.after * 100.0
        ),
        FeatureKind::PeerErrors => format!(
            "calls to {entity} failing {:.1}% → {:.1}%",
            shift.before * 100.0,
            shift.after * 100.0
        ),
        FeatureKind::PeerLatency => format!(
            "calls to {entity} taking {} → {}",
            millis((shift.before * 1e6) as i64),
            millis((shift.after * 1e6) as i64)
        ),
        FeatureKind::Metric(metric) => format!(
            "{} metric of {entity} {:.3} → {:.3}{}",
            metric_label(metric),
            shift.before,
            shift.after,
            if shift.rising {
                " and still rising"
            } else {
                ""
            }
        ),
        FeatureKind::Trend(metric) => format!(
            "{} metric of {entity} climbing faster than its reference: {:.3} → {:.3} at the end",
            metric_label(metric),
            shift.before,
            shift.after,
        ),
        FeatureKind::LogErrors => format!(
            "error log lines of {entity} per interval {:.1} → {:.1}",
            shift.before, shift.after
        ),
    };
    format!("{what} (z = {:.1})", shift.z)
}

fn timeline_of_findings(findings: &[Finding]) -> Vec<TimelineEvent> {
    findings
        .iter()
        .filter_map(|finding| {
            Some(TimelineEvent {
                at: finding.first_seen?,
                signal: match finding.kind {
                    FindingKind::MetricAnomaly
                    | FindingKind::MetricShift
                    | FindingKind::MetricSaturation => Signal::Metric,
                    FindingKind::TraceAnomaly => Signal::Trace,
                    FindingKind::ConfigIssue => Signal::Config,
                    _ => Signal::Log,
                },
                entity: finding.subjects.first().cloned(),
                description: finding.title.clone(),
                strength: finding.score,
                finding_id: Some(finding.id),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests;
