//! Isolation Forest (Liu, Ting and Zhou, 2008) over multivariate windows of recent changes:
//! each point becomes a vector (its last four steps and its distance from the recent mean,
//! in units of the typical step), and a forest trained on the recent vectors says how easily
//! the new one is isolated. It catches changes of shape (a jittery series gone smooth, a
//! sawtooth broken) that level- and spread-based detectors miss.
//!
//! The forest is retrained every `retrain_every` points on the last `buffer` vectors, with a
//! seeded generator, so results are reproducible and still online (a point is scored by a
//! forest trained on earlier points only).
//!
//! Each tree is stored as a complete binary tree of its depth limit (a node that stops early
//! sends everything left, to a leaf holding its path length), so scoring walks exactly
//! `depth` levels per tree with no branch to mispredict: one comparison picks the child.

use super::calibrate::{Reference, TailCalibrator};
use super::math::SplitMix64;
use super::{ensure, DetectorError, OnlineDetector, PointScore};
use serde::Deserialize;

/// Features per point.
const DIMENSIONS: usize = 5;
/// A feature never exceeds this many typical steps, so one huge jump stays comparable.
const FEATURE_CLIP: f64 = 50.0;

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
            trees: 16,
            sample_size: 64,
            buffer: 512,
            retrain_every: 512,
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
            splits: Vec::new(),
            leaf_path_lengths: Vec::new(),
            members: Vec::with_capacity(self.sample_size),
            trained: false,
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

/// One internal node: vectors with `vector[feature] >= value` go right.
#[derive(Debug, Clone, Copy)]
struct Split {
    value: f64,
    feature: usize,
}

/// A node that stops early: +inf sends everything left.
const SEND_LEFT: Split = Split {
    value: f64::INFINITY,
    feature: 0,
};

/// Vectors are padded to this length so a feature index masked with `PADDED - 1` needs no
/// bounds check.
const PADDED: usize = 8;

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
    /// Internal nodes, tree after tree, `1 << depth_limit` slots per tree (one more than the
    /// internal nodes): a power of two, so a masked index needs no bounds check.
    splits: Vec<Split>,
    /// Path length of each leaf (`1 << depth_limit` per tree).
    leaf_path_lengths: Vec<f64>,
    /// Vector indices drawn for the tree being grown.
    members: Vec<usize>,
    trained: bool,
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

    fn internal_nodes(&self) -> usize {
        (1 << self.depth_limit) - 1
    }

    fn train(&mut self) {
        let trees = self.config.trees;
        self.splits.clear();
        self.splits.resize(trees << self.depth_limit, SEND_LEFT);
        self.leaf_path_lengths.clear();
        self.leaf_path_lengths
            .resize(trees << self.depth_limit, 0.0);
        let mut members = std::mem::take(&mut self.members);
        for tree in 0..trees {
            members.clear();
            for _ in 0..self.config.sample_size {
                members.push(self.random.below(self.vectors.len()));
            }
            self.grow(tree, 0, &mut members, 0);
        }
        self.members = members;
        self.trained = true;
    }

    /// Grows the subtree of internal node `node` (numbered within `tree`, root 0, children
    /// of n at 2n+1 and 2n+2) over `members`, at `depth`.
    fn grow(&mut self, tree: usize, node: usize, members: &mut [usize], depth: usize) {
        let internal = self.internal_nodes();
        let leaf_path_length = depth as f64 + average_path_length(members.len());
        // A leaf above the depth limit: its subtree keeps the +inf splits, so the walk ends
        // at the leftmost leaf below it.
        let leftmost_leaf =
            |node: usize, depth: usize| ((node + 1) << (self.depth_limit - depth)) - 1 - internal;
        if members.len() <= 1 || depth >= self.depth_limit {
            let leaf = leftmost_leaf(node, depth);
            self.leaf_path_lengths[(tree << self.depth_limit) + leaf] = leaf_path_length;
            return;
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
            let leaf = leftmost_leaf(node, depth);
            self.leaf_path_lengths[(tree << self.depth_limit) + leaf] = leaf_path_length;
            return;
        };
        let split = low + self.random.next_f64() * (high - low);
        let mut boundary = 0;
        for position in 0..members.len() {
            if self.vectors[members[position]][feature] < split {
                members.swap(boundary, position);
                boundary += 1;
            }
        }
        self.splits[(tree << self.depth_limit) + node] = Split {
            value: split,
            feature,
        };
        let (left_members, right_members) = members.split_at_mut(boundary);
        self.grow(tree, 2 * node + 1, left_members, depth + 1);
        self.grow(tree, 2 * node + 2, right_members, depth + 1);
    }

    fn anomaly_score(&self, vector: &[f64; DIMENSIONS]) -> f64 {
        let internal = self.internal_nodes();
        let slots = 1usize << self.depth_limit;
        let mask = slots - 1;
        let mut padded = [0.0; PADDED];
        padded[..DIMENSIONS].copy_from_slice(vector);
        let mut total = 0.0;
        for (splits, leaves) in self
            .splits
            .chunks_exact(slots)
            .zip(self.leaf_path_lengths.chunks_exact(slots))
        {
            // Every index is masked to the block's power-of-two length: the walk compiles
            // to loads and compares without bounds checks.
            let mut node = 0;
            for _ in 0..self.depth_limit {
                let split = splits[node & mask];
                let go_right = padded[split.feature & (PADDED - 1)] >= split.value;
                node = 2 * node + 1 + go_right as usize;
            }
            total += leaves[(node - internal) & mask];
        }
        let mean = total / self.config.trees.max(1) as f64;
        (-mean / self.normaliser).exp2()
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
            if self.trained {
                let raw = self.anomaly_score(&vector);
                score = PointScore::from_decades(self.calibrator.observe(raw), raw);
            }
            if self.vectors.len() < self.config.buffer {
                self.vectors.push(vector);
            } else {
                self.vectors[self.next_slot] = vector;
                self.next_slot = (self.next_slot + 1) % self.config.buffer;
            }
            self.since_training += 1;
            if self.vectors.len() >= self.config.sample_size
                && (!self.trained || self.since_training >= self.config.retrain_every)
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
