//! Isolation Forest (Liu, Ting and Zhou, 2008) over multivariate windows of recent changes:
//! each point becomes a vector (its last four steps and its distance from the recent mean,
//! in units of the typical step), and a forest trained on the recent vectors says how easily
//! the new one is isolated. It catches changes of shape (a jittery series gone smooth, a
//! sawtooth broken) that level- and spread-based detectors miss.
//!
//! The forest is retrained every `retrain_every` points on the last `buffer` vectors, with a
//! seeded generator, so results are reproducible and still online (a point is scored by a
//! forest trained on earlier points only).

use super::calibrate::{Reference, TailCalibrator};
use super::math::SplitMix64;
use super::{ensure, DetectorError, OnlineDetector, PointScore};
use serde::Deserialize;

/// Features per point.
const DIMENSIONS: usize = 5;
/// A feature never exceeds this many typical steps, so one huge jump stays comparable.
const FEATURE_CLIP: f64 = 50.0;
/// Marks a leaf node.
const LEAF: u8 = u8::MAX;

/// Settings of [`IsolationForest`].
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IsolationForestConfig {
    /// Trees in the forest.
    pub trees: usize,
    /// Vectors drawn to grow each tree (the depth limit is log2 of it).
    pub sample_size: usize,
    /// Recent vectors the trees are drawn from.
    pub buffer: usize,
    /// Points between retrainings.
    pub retrain_every: usize,
    /// Seed of the random generator.
    pub seed: u64,
    /// Scores remembered by the calibrator before old ones fade.
    pub calibration_memory: usize,
}

impl Default for IsolationForestConfig {
    fn default() -> Self {
        Self {
            trees: 24,
            sample_size: 128,
            buffer: 512,
            retrain_every: 128,
            seed: 0x5EED_F00D,
            calibration_memory: 4096,
        }
    }
}

impl IsolationForestConfig {
    /// Validates and builds.
    pub fn build(&self) -> Result<IsolationForest, DetectorError> {
        const NAME: &str = "isolation_forest";
        ensure(
            (1..=1000).contains(&self.trees),
            NAME,
            "trees",
            self.trees,
            "1..=1000",
        )?;
        ensure(
            (8..=4096).contains(&self.sample_size),
            NAME,
            "sample_size",
            self.sample_size,
            "8..=4096",
        )?;
        ensure(
            self.buffer >= self.sample_size,
            NAME,
            "buffer",
            self.buffer,
            ">= sample_size",
        )?;
        ensure(
            self.retrain_every >= 1,
            NAME,
            "retrain_every",
            self.retrain_every,
            ">= 1",
        )?;
        Ok(IsolationForest {
            random: SplitMix64::new(self.seed),
            history: [f64::NAN; 5],
            seen: 0,
            mean_step: 0.0,
            recent_mean: 0.0,
            vectors: Vec::with_capacity(self.buffer),
            next_slot: 0,
            since_training: 0,
            nodes: Vec::new(),
            roots: Vec::new(),
            depth_limit: (self.sample_size as f64).log2().ceil() as usize,
            normaliser: average_path_length(self.sample_size),
            calibrator: TailCalibrator::new(
                Reference::HistoryOnly,
                1.0 / 96.0,
                self.calibration_memory,
            ),
            config: self.clone(),
        })
    }
}

/// One node of a tree; leaves have `feature == LEAF`.
#[derive(Debug, Clone, Copy)]
struct Node {
    feature: u8,
    split: f64,
    left: u32,
    right: u32,
    /// For a leaf: its depth plus the expected remaining depth of its vectors.
    path_length: f64,
}

/// The runtime state of the Isolation Forest detector.
#[derive(Debug, Clone)]
pub struct IsolationForest {
    config: IsolationForestConfig,
    random: SplitMix64,
    /// The last five values, newest first.
    history: [f64; 5],
    seen: usize,
    mean_step: f64,
    recent_mean: f64,
    vectors: Vec<[f64; DIMENSIONS]>,
    next_slot: usize,
    since_training: usize,
    nodes: Vec<Node>,
    roots: Vec<u32>,
    depth_limit: usize,
    normaliser: f64,
    calibrator: TailCalibrator,
}

/// Average path length of an unsuccessful search in a binary search tree of `n` items
/// (the normaliser of isolation depths).
fn average_path_length(n: usize) -> f64 {
    if n <= 1 {
        return 0.0;
    }
    let n = n as f64;
    2.0 * ((n - 1.0).ln() + 0.577_215_664_9) - 2.0 * (n - 1.0) / n
}

impl IsolationForest {
    fn features(&self, value: f64) -> [f64; DIMENSIONS] {
        let scale = self.mean_step.max(1e-9 * value.abs()).max(1e-12);
        let clip = |x: f64| (x / scale).clamp(-FEATURE_CLIP, FEATURE_CLIP);
        let h = &self.history;
        [
            clip(value - h[0]),
            clip(h[0] - h[1]),
            clip(h[1] - h[2]),
            clip(h[2] - h[3]),
            clip(value - self.recent_mean),
        ]
    }

    fn train(&mut self) {
        self.nodes.clear();
        self.roots.clear();
        let mut sample: Vec<usize> = Vec::with_capacity(self.config.sample_size);
        for _ in 0..self.config.trees {
            sample.clear();
            for _ in 0..self.config.sample_size {
                sample.push(self.random.below(self.vectors.len()));
            }
            let root = self.grow(&mut sample.clone(), 0);
            self.roots.push(root);
        }
    }

    fn grow(&mut self, members: &mut [usize], depth: usize) -> u32 {
        let index = self.nodes.len() as u32;
        let leaf = Node {
            feature: LEAF,
            split: 0.0,
            left: 0,
            right: 0,
            path_length: depth as f64 + average_path_length(members.len()),
        };
        if members.len() <= 1 || depth >= self.depth_limit {
            self.nodes.push(leaf);
            return index;
        }
        // Pick a random feature that still varies among the members.
        let start = self.random.below(DIMENSIONS);
        let mut chosen = None;
        for offset in 0..DIMENSIONS {
            let feature = (start + offset) % DIMENSIONS;
            let (low, high) =
                members
                    .iter()
                    .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &m| {
                        let x = self.vectors[m][feature];
                        (lo.min(x), hi.max(x))
                    });
            if high > low {
                chosen = Some((feature, low, high));
                break;
            }
        }
        let Some((feature, low, high)) = chosen else {
            self.nodes.push(leaf);
            return index;
        };
        let split = low + self.random.next_f64() * (high - low);
        let mut boundary = 0;
        for position in 0..members.len() {
            if self.vectors[members[position]][feature] < split {
                members.swap(boundary, position);
                boundary += 1;
            }
        }
        self.nodes.push(Node {
            feature: feature as u8,
            split,
            left: 0,
            right: 0,
            path_length: 0.0,
        });
        let (left_members, right_members) = members.split_at_mut(boundary);
        let left = self.grow(left_members, depth + 1);
        let right = self.grow(right_members, depth + 1);
        let node = &mut self.nodes[index as usize];
        node.left = left;
        node.right = right;
        index
    }

    fn anomaly_score(&self, vector: &[f64; DIMENSIONS]) -> f64 {
        let mut total = 0.0;
        for &root in &self.roots {
            let mut node = &self.nodes[root as usize];
            while node.feature != LEAF {
                let next = if vector[node.feature as usize] < node.split {
                    node.left
                } else {
                    node.right
                };
                node = &self.nodes[next as usize];
            }
            total += node.path_length;
        }
        let mean = total / self.roots.len().max(1) as f64;
        2f64.powf(-mean / self.normaliser)
    }
}

impl OnlineDetector for IsolationForest {
    fn name(&self) -> &'static str {
        "isolation_forest"
    }

    fn update(&mut self, _time_nanos: i64, value: f64) -> PointScore {
        if !value.is_finite() {
            return PointScore::QUIET;
        }
        let mut score = PointScore::QUIET;
        if self.seen >= self.history.len() {
            let vector = self.features(value);
            if !self.roots.is_empty() {
                let raw = self.anomaly_score(&vector);
                score = PointScore::from_p_value(self.calibrator.observe(raw), raw);
            }
            if self.vectors.len() < self.config.buffer {
                self.vectors.push(vector);
            } else {
                self.vectors[self.next_slot] = vector;
                self.next_slot = (self.next_slot + 1) % self.config.buffer;
            }
            self.since_training += 1;
            if self.vectors.len() >= self.config.sample_size
                && (self.roots.is_empty() || self.since_training >= self.config.retrain_every)
            {
                self.train();
                self.since_training = 0;
            }
        }
        if self.seen > 0 {
            let step = (value - self.history[0]).abs();
            if self.seen < 32 {
                self.mean_step += (step - self.mean_step) / self.seen as f64;
            } else {
                // Clipped, so one jump does not make the next ones look normal.
                let clipped = step.min(20.0 * self.mean_step.max(1e-12));
                self.mean_step += (clipped - self.mean_step) / 64.0;
            }
            self.recent_mean += (value - self.recent_mean) / 16.0;
        } else {
            self.recent_mean = value;
        }
        self.history.rotate_right(1);
        self.history[0] = value;
        self.seen += 1;
        score
    }
}
