//! Entity-grouped anomalies: lines grouped by the identifiers they carry (request, trace,
//! session, block ids, pods, hosts), and the entities whose events deviate from the others.
//!
//! While records stream, [`EntityTracker`] finds identifiers in each record (`detect`) and
//! appends the record's template to that entity's event sequence and count vector. At the end,
//! each kind of identifier with enough entities is examined (`score`) against a reference
//! population: the baseline's entities of the same kind when the baseline has enough of them,
//! else the incident's own entities. Four families of anomaly, each its own finding that lists
//! every flagged entity with its score:
//! - **failing**: entities with lines at error level (or whose template's words say failure);
//! - **sequence**: entities with a template or a transition between templates (start and end
//!   included) that is rare in the reference (n-gram novelty);
//! - **invariant**: entities that break a count invariant of the reference, `count(A) ==
//!   count(B)` held by most entities (invariant mining, Lou et al. 2010, restricted to equal
//!   counts): a missing or an extra step;
//! - **volume**: entities with far more events of one template, far more events in total, or
//!   a far longer life than the reference (robust z-score on counts with a Poisson floor).
//!
//! Memory is bounded: at most [`EntityConfig::max_entities`] entities are tracked. When the
//! cap is reached the tracker halves its sampling rate (distinct sampling, Gibbons 2001): an
//! entity is kept only when the top `level` bits of a fixed hash of its kind and id are zero,
//! so the kept entities are a uniform, deterministic 1-in-2^level sample of the whole upload
//! (not the first ones seen, which would miss an incident at the end of a long log), and the
//! same id is kept or dropped in the baseline and the incident alike. Lines naming dropped
//! ids are counted and the finding says the sampling rate;
//! at most [`EntityConfig::max_events_per_entity`] events of each entity's sequence are kept
//! (its counts stay exact) and at most [`MAX_TEMPLATES_PER_ENTITY`] distinct templates are
//! counted per entity.

mod detect;
mod finding;
mod score;

use crate::intern::FastMap;
use detect::{identifiers, Identifier};
use faultmaven_model::{AttachmentId, LogRecord};
use serde::Deserialize;
use std::hash::{BuildHasher, BuildHasherDefault};

pub(crate) use finding::entity_findings;
pub(crate) use score::{examine, TemplateView};

/// Distinct templates counted per entity; further ones are folded into the total only.
pub(crate) const MAX_TEMPLATES_PER_ENTITY: usize = 64;

/// How entity-grouped anomalies are found.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EntityConfig {
    /// Entities tracked (incident and baseline together); further ones are not tracked.
    pub max_entities: usize,
    /// Events kept per entity for sequence analysis; counts stay exact beyond it.
    pub max_events_per_entity: usize,
    /// Entities a kind needs (in the incident data) before it is examined, and a reference
    /// population needs before it is used.
    pub min_population: usize,
    /// A template or transition is rare when at most this share of the reference's other
    /// entities have it.
    pub rare_share: f64,
    /// A count invariant holds when at least this share of the reference entities that have
    /// either template satisfy it.
    pub invariant_support: f64,
    /// An entity's count (or life) is an outlier beyond this many robust standard deviations.
    pub volume_z_threshold: f64,
}

impl Default for EntityConfig {
    fn default() -> Self {
        Self {
            max_entities: 20_000,
            max_events_per_entity: 64,
            min_population: 10,
            rare_share: 0.02,
            invariant_support: 0.9,
            volume_z_threshold: 5.0,
        }
    }
}

impl EntityConfig {
    /// A copy with unusable values replaced by defaults.
    pub(crate) fn sanitized(&self) -> Self {
        let defaults = Self::default();
        let mut config = self.clone();
        config.max_events_per_entity = config.max_events_per_entity.max(2);
        config.min_population = config.min_population.max(3);
        if !(config.rare_share.is_finite() && config.rare_share > 0.0 && config.rare_share < 1.0) {
            config.rare_share = defaults.rare_share;
        }
        if !(config.invariant_support > 0.5 && config.invariant_support <= 1.0) {
            config.invariant_support = defaults.invariant_support;
        }
        if !(config.volume_z_threshold.is_finite() && config.volume_z_threshold > 0.0) {
            config.volume_z_threshold = defaults.volume_z_threshold;
        }
        config
    }
}

/// One line of an entity: its raw template and where it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct EntityEvent {
    /// Raw template id from the miner (resolved through merges at the end).
    pub template: u32,
    /// At error level, or unleveled with failure words (decided at the end).
    pub error: bool,
    pub attachment: AttachmentId,
    pub line: u64,
}

/// Everything kept about one entity.
#[derive(Debug, Clone)]
pub(crate) struct EntityState {
    pub kind: usize,
    pub id: Box<str>,
    /// Sampling hash of the kind and id.
    pub hash: u64,
    pub baseline: bool,
    /// The first events, in order.
    pub events: Vec<EntityEvent>,
    /// Lines of the entity (exact).
    pub total: u64,
    /// Lines per raw template (exact for the first [`MAX_TEMPLATES_PER_ENTITY`] templates).
    pub counts: Vec<(u32, u64)>,
    pub first_time: Option<i64>,
    pub last_time: Option<i64>,
    /// The first error line, if any.
    pub first_error: Option<(AttachmentId, u64, u32)>,
}

impl EntityState {
    /// True when every event is in `events`.
    pub fn complete(&self) -> bool {
        self.events.len() as u64 == self.total
    }
}

/// Groups log lines by the identifiers they carry, with bounded memory.
#[derive(Debug, Default)]
pub(crate) struct EntityTracker {
    config: EntityConfig,
    kinds: Vec<String>,
    kind_index: FastMap<String, usize>,
    index: FastMap<(usize, bool, Box<str>), usize>,
    entities: Vec<EntityState>,
    /// Lines that named an entity the sampling left out.
    untracked_lines: u64,
    /// Entities are kept when the top `sampling_level` bits of their hash are zero.
    sampling_level: u32,
}

impl EntityTracker {
    pub fn new(config: &EntityConfig) -> Self {
        Self {
            config: config.sanitized(),
            ..Self::default()
        }
    }

    pub fn config(&self) -> &EntityConfig {
        &self.config
    }

    /// Records one line: its raw template, role, time, and whether its level is an error
    /// (`None` when the record has no level).
    pub fn observe(
        &mut self,
        record: &LogRecord<'_>,
        template: u32,
        baseline: bool,
        time: Option<i64>,
        error: bool,
    ) {
        let mut found: Vec<Identifier<'_>> = Vec::new();
        identifiers(record, &mut found);
        for identifier in &found {
            let kind = match self.kind_index.get(identifier.kind.as_str()) {
                Some(&kind) => kind,
                None => {
                    self.kinds.push(identifier.kind.clone());
                    self.kind_index
                        .insert(identifier.kind.clone(), self.kinds.len() - 1);
                    self.kinds.len() - 1
                }
            };
            let key = (kind, baseline, Box::<str>::from(identifier.value));
            let entity = match self.index.get(&key) {
                Some(&entity) => entity,
                None => {
                    let hash = sampling_hash(&identifier.kind, identifier.value);
                    if !self.sampled(hash) {
                        self.untracked_lines += 1;
                        continue;
                    }
                    if self.entities.len() >= self.config.max_entities {
                        self.halve_sample();
                        if !self.sampled(hash) {
                            self.untracked_lines += 1;
                            continue;
                        }
                    }
                    self.entities.push(EntityState {
                        kind,
                        id: key.2.clone(),
                        hash,
                        baseline,
                        events: Vec::new(),
                        total: 0,
                        counts: Vec::new(),
                        first_time: None,
                        last_time: None,
                        first_error: None,
                    });
                    self.index.insert(key, self.entities.len() - 1);
                    self.entities.len() - 1
                }
            };
            let state = &mut self.entities[entity];
            state.total += 1;
            if state.events.len() < self.config.max_events_per_entity {
                state.events.push(EntityEvent {
                    template,
                    error,
                    attachment: record.attachment,
                    line: record.first_line,
                });
            }
            let room = state.counts.len() < MAX_TEMPLATES_PER_ENTITY;
            match state.counts.iter_mut().find(|(t, _)| *t == template) {
                Some((_, count)) => *count += 1,
                None if room => state.counts.push((template, 1)),
                None => {}
            }
            if error && state.first_error.is_none() {
                state.first_error = Some((record.attachment, record.first_line, template));
            }
            if let Some(time) = time {
                state.first_time = Some(state.first_time.map_or(time, |t| t.min(time)));
                state.last_time = Some(state.last_time.map_or(time, |t| t.max(time)));
            }
        }
    }

    fn sampled(&self, hash: u64) -> bool {
        self.sampling_level == 0 || hash.leading_zeros() >= self.sampling_level
    }

    /// Halves the sampling rate until the kept entities fit under the cap again.
    fn halve_sample(&mut self) {
        while self.entities.len() >= self.config.max_entities && self.sampling_level < 63 {
            self.sampling_level += 1;
            let level = self.sampling_level;
            let before: u64 = self.entities.iter().map(|e| e.total).sum();
            self.entities.retain(|e| e.hash.leading_zeros() >= level);
            let after: u64 = self.entities.iter().map(|e| e.total).sum();
            self.untracked_lines += before - after;
        }
        self.index.clear();
        for (position, entity) in self.entities.iter().enumerate() {
            self.index
                .insert((entity.kind, entity.baseline, entity.id.clone()), position);
        }
    }

    /// One in how many ids is tracked (1 until the cap is reached).
    pub fn sampling_rate(&self) -> u64 {
        1u64 << self.sampling_level.min(63)
    }

    /// Kinds of identifier, by index.
    pub fn kinds(&self) -> &[String] {
        &self.kinds
    }

    /// Every tracked entity, in order of first appearance.
    pub fn entities(&self) -> &[EntityState] {
        &self.entities
    }

    /// Lines that named an entity beyond the cap.
    pub fn untracked_lines(&self) -> u64 {
        self.untracked_lines
    }
}

/// A well-mixed hash of an entity's kind and id for sampling (FxHash, then the SplitMix64
/// finalizer so the top bits are uniform).
fn sampling_hash(kind: &str, id: &str) -> u64 {
    let mut hash = BuildHasherDefault::<crate::intern::FastHasher>::default().hash_one((kind, id));
    hash ^= hash >> 30;
    hash = hash.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    hash ^= hash >> 27;
    hash = hash.wrapping_mul(0x94d0_49bb_1331_11eb);
    hash ^ (hash >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use faultmaven_model::AttachmentId;
    use std::borrow::Cow;

    #[test]
    fn the_cap_keeps_a_uniform_sample_of_the_whole_upload() {
        let config = EntityConfig {
            max_entities: 100,
            ..EntityConfig::default()
        };
        let mut tracker = EntityTracker::new(&config);
        for number in 0..2_000u64 {
            let message = format!("handled req-{number:08x}");
            for repeat in 0..2 {
                let record = LogRecord {
                    attachment: AttachmentId::new(1),
                    first_line: number * 2 + repeat + 1,
                    last_line: number * 2 + repeat + 1,
                    timestamp: None,
                    level: None,
                    source: None,
                    message: Cow::Borrowed(&message),
                    attributes: Vec::new(),
                };
                tracker.observe(&record, 1, false, None, false);
            }
        }
        let kept = tracker.entities();
        assert!(kept.len() < 100 && kept.len() > 20, "{}", kept.len());
        assert!(tracker.sampling_rate() >= 16);
        // Kept ids come from the whole upload, not only its start, and keep every line.
        assert!(kept.iter().any(|e| e.events[0].line > 3_000));
        assert!(kept.iter().all(|e| e.total == 2));
        let lines = 4_000 - 2 * kept.len() as u64;
        assert_eq!(tracker.untracked_lines(), lines);
    }
}
