//! Scores the entities of each identifier kind against a reference population: failing,
//! rare sequences (n-gram novelty), broken count invariants, volume and life-time outliers.
//!
//! Everything is deterministic: entities are visited in order of first appearance, maps that
//! decide an order are `BTreeMap`s, and ties break on the entity's position.

use super::{EntityState, EntityTracker};
use crate::robust::{median, MAD_TO_SIGMA};
use faultmaven_model::AttachmentId;
use std::collections::{BTreeMap, BTreeSet};

/// Share of a kind's entities whose whole sequence is kept, needed for sequence analysis
/// (long-lived entities such as hosts have cut sequences whose n-grams mean little).
const MIN_COMPLETE_SHARE: f64 = 0.8;
/// Mean lines per entity a kind needs: ids unique to one line group nothing.
const MIN_MEAN_EVENTS: f64 = 1.5;
/// A relative family (sequence, invariant, volume) that flags more than this share of the
/// population describes the population, not its outliers, and is dropped (the same rule as
/// the metric detector's `max_flagged_fraction`). Failing ids are a fact, not a comparison,
/// and are always reported.
const MAX_FLAGGED_SHARE: f64 = 0.2;
/// Templates considered for count invariants (the most widespread ones).
const MAX_INVARIANT_TEMPLATES: usize = 50;
/// A long life is at least this many times the typical one.
const MIN_LIFE_RATIO: f64 = 3.0;
/// Floor of the robust scale of log-lifetimes, so uniform lifetimes do not make every small
/// delay an outlier (0.25 is about a 28% change).
const MIN_LOG_LIFE_SIGMA: f64 = 0.25;

/// The four kinds of entity anomaly, each reported as its own finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum EntityFamily {
    Failing,
    Sequence,
    Invariant,
    Volume,
}

/// One flagged entity.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Flagged {
    /// Index into the tracker's entities.
    pub entity: usize,
    pub score: f64,
    pub reason: String,
    pub attachment: AttachmentId,
    pub line: u64,
}

/// The entities of one kind flagged by one family.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FamilyReport {
    pub kind: usize,
    pub family: EntityFamily,
    /// Incident entities of the kind.
    pub population: usize,
    /// Entities of the reference, and whether it is the baseline.
    pub reference: usize,
    pub reference_is_baseline: bool,
    /// Flagged entities, highest score first.
    pub flagged: Vec<Flagged>,
}

/// What the scorer needs to know about templates.
pub(crate) struct TemplateView<'a> {
    /// Raw template id -> id after the miner's merges.
    pub resolve: &'a dyn Fn(u32) -> u32,
    /// Resolved id -> how a person reads it (`E7`).
    pub label: &'a dyn Fn(u32) -> String,
    /// Resolved id -> true when the template is an error template.
    pub failing: &'a dyn Fn(u32) -> bool,
}

/// An entity's data with templates resolved.
struct Profile<'a> {
    index: usize,
    state: &'a EntityState,
    sequence: Vec<u32>,
    counts: BTreeMap<u32, u64>,
}

impl Profile<'_> {
    fn count(&self, template: u32) -> u64 {
        self.counts.get(&template).copied().unwrap_or(0)
    }

    /// The line of the `nth` (0-based) event of `template`, else of the first event.
    fn line_of(&self, template: u32, nth: usize) -> (AttachmentId, u64) {
        let events = &self.state.events;
        let found = self
            .sequence
            .iter()
            .enumerate()
            .filter(|(_, &t)| t == template)
            .map(|(position, _)| position)
            .nth(nth)
            .or_else(|| self.sequence.iter().position(|&t| t == template));
        let event = found.and_then(|p| events.get(p)).or(events.first());
        event.map_or((AttachmentId::new(0), 0), |e| (e.attachment, e.line))
    }

    fn event_line(&self, position: usize) -> (AttachmentId, u64) {
        let events = &self.state.events;
        events
            .get(position)
            .or(events.last())
            .map_or((AttachmentId::new(0), 0), |e| (e.attachment, e.line))
    }
}

const START: u32 = u32::MAX;
const END: u32 = u32::MAX - 1;

/// A template (`Gram::One`) or a transition between consecutive events (`Gram::Two`), where
/// `START` and `END` mark the ends of a complete sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Gram {
    One(u32),
    Two(u32, u32),
}

/// Each gram of a profile once, with the position of the event that shows it first.
fn grams(profile: &Profile<'_>) -> BTreeMap<Gram, usize> {
    let mut grams = BTreeMap::new();
    let sequence = &profile.sequence;
    let mut previous = START;
    for (position, &template) in sequence.iter().enumerate() {
        grams.entry(Gram::One(template)).or_insert(position);
        grams
            .entry(Gram::Two(previous, template))
            .or_insert(position);
        previous = template;
    }
    if profile.state.complete() && !sequence.is_empty() {
        grams
            .entry(Gram::Two(previous, END))
            .or_insert(sequence.len() - 1);
    }
    grams
}

fn profile<'a>(index: usize, state: &'a EntityState, view: &TemplateView<'_>) -> Profile<'a> {
    let sequence = state
        .events
        .iter()
        .map(|e| (view.resolve)(e.template))
        .collect();
    let mut counts = BTreeMap::new();
    for &(raw, count) in &state.counts {
        *counts.entry((view.resolve)(raw)).or_insert(0) += count;
    }
    Profile {
        index,
        state,
        sequence,
        counts,
    }
}

/// Every family report with at least one flagged entity, by kind then family.
pub(crate) fn examine(tracker: &EntityTracker, view: &TemplateView<'_>) -> Vec<FamilyReport> {
    let config = tracker.config();
    let mut by_kind: BTreeMap<usize, (Vec<Profile<'_>>, Vec<Profile<'_>>)> = BTreeMap::new();
    for (index, state) in tracker.entities().iter().enumerate() {
        let slot = by_kind.entry(state.kind).or_default();
        let profile = profile(index, state, view);
        if state.baseline {
            slot.1.push(profile);
        } else {
            slot.0.push(profile);
        }
    }
    let mut reports = Vec::new();
    for (kind, (incident, baseline)) in &by_kind {
        if incident.len() < config.min_population {
            continue;
        }
        let lines: u64 = incident.iter().map(|p| p.state.total).sum();
        if (lines as f64) < MIN_MEAN_EVENTS * incident.len() as f64 {
            continue;
        }
        let (reference, reference_is_baseline) = if baseline.len() >= config.min_population {
            (baseline.as_slice(), true)
        } else {
            (incident.as_slice(), false)
        };
        let scorer = KindScorer {
            incident,
            reference,
            reference_is_baseline,
            config,
            view,
        };
        let complete = incident.iter().filter(|p| p.state.complete()).count();
        let sequences_usable = complete as f64 >= MIN_COMPLETE_SHARE * incident.len() as f64;
        let families = [
            (EntityFamily::Failing, scorer.failing()),
            (
                EntityFamily::Sequence,
                if sequences_usable {
                    scorer.sequence()
                } else {
                    Vec::new()
                },
            ),
            (EntityFamily::Invariant, scorer.invariants()),
            (EntityFamily::Volume, scorer.volume()),
        ];
        for (family, mut flagged) in families {
            if flagged.is_empty() {
                continue;
            }
            let relative = family != EntityFamily::Failing;
            if relative && flagged.len() as f64 > MAX_FLAGGED_SHARE * incident.len() as f64 {
                continue;
            }
            flagged.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.entity.cmp(&b.entity)));
            reports.push(FamilyReport {
                kind: *kind,
                family,
                population: incident.len(),
                reference: reference.len(),
                reference_is_baseline,
                flagged,
            });
        }
    }
    reports
}

struct KindScorer<'a, 'b> {
    incident: &'a [Profile<'b>],
    reference: &'a [Profile<'b>],
    reference_is_baseline: bool,
    config: &'a super::EntityConfig,
    view: &'a TemplateView<'a>,
}

impl KindScorer<'_, '_> {
    fn failing(&self) -> Vec<Flagged> {
        let mut flagged = Vec::new();
        for profile in self.incident {
            let mut failing_lines = 0u64;
            let mut first: Option<(u32, AttachmentId, u64)> = None;
            for (event, &template) in profile.state.events.iter().zip(&profile.sequence) {
                if event.error || (self.view.failing)(template) {
                    failing_lines += 1;
                    first.get_or_insert((template, event.attachment, event.line));
                }
            }
            if first.is_none() {
                if let Some((attachment, line, raw)) = profile.state.first_error {
                    first = Some(((self.view.resolve)(raw), attachment, line));
                    failing_lines = 1;
                }
            }
            let Some((template, attachment, line)) = first else {
                continue;
            };
            let share = failing_lines as f64 / profile.state.events.len().max(1) as f64;
            flagged.push(Flagged {
                entity: profile.index,
                score: 0.5 + 0.5 * share.min(1.0),
                reason: format!(
                    "{} failing line(s), first {}",
                    failing_lines,
                    (self.view.label)(template)
                ),
                attachment,
                line,
            });
        }
        flagged
    }

    fn sequence(&self) -> Vec<Flagged> {
        let mut document_frequency: BTreeMap<Gram, usize> = BTreeMap::new();
        for profile in self.reference {
            if !profile.state.complete() {
                continue;
            }
            for gram in grams(profile).into_keys() {
                *document_frequency.entry(gram).or_insert(0) += 1;
            }
        }
        let reference_size = self.reference.iter().filter(|p| p.state.complete()).count();
        let self_reference = usize::from(!self.reference_is_baseline);
        let others = reference_size.saturating_sub(self_reference);
        if others < self.config.min_population {
            return Vec::new();
        }
        let rare_bar = self.config.rare_share * others as f64;
        let mut flagged = Vec::new();
        for profile in self.incident {
            let own = grams(profile);
            let counted = profile.state.complete();
            let rarest = own
                .iter()
                .map(|(gram, &position)| {
                    let frequency = document_frequency.get(gram).copied().unwrap_or(0);
                    // An entity of the reference does not count as evidence for itself.
                    let frequency = if counted {
                        frequency.saturating_sub(self_reference)
                    } else {
                        frequency
                    };
                    (frequency, *gram, position)
                })
                .filter(|(frequency, _, _)| *frequency as f64 <= rare_bar)
                .min_by_key(|(frequency, gram, _)| (*frequency, *gram));
            let Some((frequency, gram, position)) = rarest else {
                continue;
            };
            let label = |t: u32| match t {
                START => "start".to_owned(),
                END => "end".to_owned(),
                t => (self.view.label)(t),
            };
            let what = match gram {
                Gram::One(t) => format!("template {}", label(t)),
                Gram::Two(a, b) => format!("transition {} -> {}", label(a), label(b)),
            };
            let (attachment, line) = profile.event_line(position);
            flagged.push(Flagged {
                entity: profile.index,
                score: 1.0 - 0.5 * frequency as f64 / rare_bar.max(1.0),
                reason: format!("{what} seen in {frequency} of {others} other ids"),
                attachment,
                line,
            });
        }
        flagged
    }

    fn invariants(&self) -> Vec<Flagged> {
        let min_population = self.config.min_population;
        let mut spread: BTreeMap<u32, usize> = BTreeMap::new();
        for profile in self.reference {
            for &template in profile.counts.keys() {
                *spread.entry(template).or_insert(0) += 1;
            }
        }
        let mut candidates: Vec<(u32, usize)> = spread
            .into_iter()
            .filter(|&(_, count)| count >= min_population)
            .collect();
        candidates.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        candidates.truncate(MAX_INVARIANT_TEMPLATES);
        let templates: Vec<u32> = candidates.into_iter().map(|(t, _)| t).collect();
        let matrix: Vec<Vec<u64>> = self
            .reference
            .iter()
            .map(|p| templates.iter().map(|&t| p.count(t)).collect())
            .collect();
        // (a, b, support) for every pair whose counts are equal in most entities that have
        // either.
        let mut invariants: Vec<(u32, u32, f64, usize)> = Vec::new();
        for a in 0..templates.len() {
            for b in a + 1..templates.len() {
                let mut either = 0usize;
                let mut equal = 0usize;
                for row in &matrix {
                    if row[a] > 0 || row[b] > 0 {
                        either += 1;
                        if row[a] == row[b] {
                            equal += 1;
                        }
                    }
                }
                if either >= min_population
                    && equal as f64 >= self.config.invariant_support * either as f64
                {
                    invariants.push((
                        templates[a],
                        templates[b],
                        equal as f64 / either as f64,
                        either,
                    ));
                }
            }
        }
        if invariants.is_empty() {
            return Vec::new();
        }
        let support = self.config.invariant_support;
        let mut flagged = Vec::new();
        for profile in self.incident {
            let worst = invariants
                .iter()
                .filter(|(a, b, _, _)| profile.count(*a) != profile.count(*b))
                .max_by(|x, y| x.2.total_cmp(&y.2).then(y.0.cmp(&x.0)).then(y.1.cmp(&x.1)));
            let Some(&(a, b, held, either)) = worst else {
                continue;
            };
            let (count_a, count_b) = (profile.count(a), profile.count(b));
            let (more, fewer) = if count_a >= count_b { (a, b) } else { (b, a) };
            let (attachment, line) =
                profile.line_of(more, profile.count(fewer).min(u64::from(u32::MAX)) as usize);
            flagged.push(Flagged {
                entity: profile.index,
                score: 0.5 + 0.5 * ((held - support) / (1.0 - support).max(1e-9)).clamp(0.0, 1.0),
                reason: format!(
                    "{} x{} but {} x{} (equal in {:.0}% of {} ids)",
                    (self.view.label)(a),
                    count_a,
                    (self.view.label)(b),
                    count_b,
                    100.0 * held,
                    either
                ),
                attachment,
                line,
            });
        }
        flagged
    }

    fn volume(&self) -> Vec<Flagged> {
        let threshold = self.config.volume_z_threshold;
        let strength = |z: f64| 0.5 + 0.5 * (1.0 - (-(z - threshold) / threshold).exp());
        let mut templates: BTreeSet<u32> = BTreeSet::new();
        for profile in self.incident {
            templates.extend(profile.counts.keys().copied());
        }
        // Robust typical count and scale per template over the reference (zeros included).
        let mut typical: BTreeMap<u32, (f64, f64)> = BTreeMap::new();
        for &template in &templates {
            let values: Vec<f64> = self
                .reference
                .iter()
                .map(|p| p.count(template) as f64)
                .collect();
            typical.insert(template, count_scale(&values));
        }
        let totals: Vec<f64> = self
            .reference
            .iter()
            .map(|p| p.state.total as f64)
            .collect();
        let total_typical = count_scale(&totals);
        let lives: Vec<f64> = self
            .reference
            .iter()
            .filter_map(|p| life_seconds(p.state))
            .map(f64::ln_1p)
            .collect();
        let life_typical = median(&lives).map(|center| {
            let deviations: Vec<f64> = lives.iter().map(|v| (v - center).abs()).collect();
            let sigma = MAD_TO_SIGMA * median(&deviations).unwrap_or(0.0);
            (center, sigma.max(MIN_LOG_LIFE_SIGMA))
        });
        let mut flagged = Vec::new();
        for profile in self.incident {
            let mut best: Option<(f64, String, (AttachmentId, u64))> = None;
            let mut consider = |z: f64, reason: String, at: (AttachmentId, u64)| {
                if z >= threshold && best.as_ref().is_none_or(|(bz, _, _)| z > *bz) {
                    best = Some((z, reason, at));
                }
            };
            for (&template, &count) in &profile.counts {
                let Some(&(center, sigma)) = typical.get(&template) else {
                    continue;
                };
                let count = count as f64;
                if count < 2.0 * center {
                    continue;
                }
                let z = (count - center) / sigma;
                let at = profile.line_of(template, center.ceil() as usize);
                consider(
                    z,
                    format!(
                        "{} x{} (typical {})",
                        (self.view.label)(template),
                        count,
                        center
                    ),
                    at,
                );
            }
            let total = profile.state.total as f64;
            if total >= 2.0 * total_typical.0 {
                let z = (total - total_typical.0) / total_typical.1;
                let at = profile.event_line(total_typical.0.ceil() as usize);
                consider(
                    z,
                    format!("{} lines (typical {})", total, total_typical.0),
                    at,
                );
            }
            if let (Some((center, sigma)), Some(life)) = (life_typical, life_seconds(profile.state))
            {
                let log_life = life.ln_1p();
                if life >= MIN_LIFE_RATIO * center.exp_m1() {
                    let z = (log_life - center) / sigma;
                    let at = profile.event_line(usize::MAX);
                    consider(
                        z,
                        format!(
                            "lived {} (typical {})",
                            seconds_text(life),
                            seconds_text(center.exp_m1())
                        ),
                        at,
                    );
                }
            }
            if let Some((z, reason, (attachment, line))) = best {
                flagged.push(Flagged {
                    entity: profile.index,
                    score: strength(z),
                    reason,
                    attachment,
                    line,
                });
            }
        }
        flagged
    }
}

/// Median and a robust scale of counts, floored at the Poisson scale sqrt(max(median, 1)).
fn count_scale(values: &[f64]) -> (f64, f64) {
    let center = median(values).unwrap_or(0.0);
    let deviations: Vec<f64> = values.iter().map(|v| (v - center).abs()).collect();
    let sigma = MAD_TO_SIGMA * median(&deviations).unwrap_or(0.0);
    (center, sigma.max(center.max(1.0).sqrt()))
}

fn life_seconds(state: &EntityState) -> Option<f64> {
    let (first, last) = (state.first_time?, state.last_time?);
    Some((last - first) as f64 / 1e9)
}

fn seconds_text(seconds: f64) -> String {
    if seconds >= 120.0 {
        format!("{:.0} min", seconds / 60.0)
    } else {
        format!("{seconds:.1} s")
    }
}
