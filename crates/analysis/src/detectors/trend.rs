//! Trend and saturation: a bounded metric (a disk, a memory limit, a connection pool) that
//! keeps growing will hit its capacity. The detector follows an exponentially weighted
//! linear fit of value on time and scores by how soon the fitted line reaches the capacity:
//! 0 when it never does within `horizon_seconds`, rising to 1 when it is full now.
//! Without a known capacity it stays quiet. [`fit_saturation`] is the offline counterpart
//! used for findings ("full in ~3h at current rate").

use super::calibrate::p_value_of_score;
use super::{ensure, DetectorError, OnlineDetector, PointScore};
use serde::Deserialize;

/// Settings of [`Trend`].
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrendConfig {
    /// The value at which the resource is full (100 for a percentage); `None`: unknown,
    /// the detector stays quiet.
    pub capacity: Option<f64>,
    /// Points after which an old point weighs half as much in the fit.
    pub half_life_points: f64,
    /// Time-to-full at which the score starts rising above 0.
    pub horizon_seconds: f64,
    /// Points needed before the first score.
    pub min_points: usize,
}

impl Default for TrendConfig {
    fn default() -> Self {
        Self {
            capacity: None,
            half_life_points: 64.0,
            horizon_seconds: 6.0 * 3600.0,
            min_points: 16,
        }
    }
}

impl TrendConfig {
    /// Validates and builds.
    pub fn build(&self) -> Result<Trend, DetectorError> {
        const NAME: &str = "trend";
        ensure(
            self.capacity.is_none_or(f64::is_finite),
            NAME,
            "capacity",
            format!("{:?}", self.capacity),
            "a finite number",
        )?;
        ensure(
            self.half_life_points >= 2.0,
            NAME,
            "half_life_points",
            self.half_life_points,
            ">= 2",
        )?;
        ensure(
            self.horizon_seconds > 0.0,
            NAME,
            "horizon_seconds",
            self.horizon_seconds,
            "> 0",
        )?;
        Ok(Trend {
            decay: 0.5f64.powf(1.0 / self.half_life_points),
            origin: None,
            sums: [0.0; 5],
            points: 0,
            config: self.clone(),
        })
    }
}

/// The runtime state of the trend detector.
#[derive(Debug, Clone)]
pub struct Trend {
    config: TrendConfig,
    decay: f64,
    origin: Option<i64>,
    /// Weighted sums of 1, t, x, t*t, t*x (t in seconds from the first point).
    sums: [f64; 5],
    points: usize,
}

impl Trend {
    /// The fitted value now and the slope per second, once warmed up.
    pub fn fit(&self, time_nanos: i64) -> Option<(f64, f64)> {
        if self.points < self.config.min_points {
            return None;
        }
        let [weight, sum_t, sum_x, sum_tt, sum_tx] = self.sums;
        let mean_t = sum_t / weight;
        let mean_x = sum_x / weight;
        let variance_t = sum_tt / weight - mean_t * mean_t;
        if variance_t <= 0.0 {
            return None;
        }
        let slope = (sum_tx / weight - mean_t * mean_x) / variance_t;
        let t = self.seconds_since_origin(time_nanos);
        Some((mean_x + slope * (t - mean_t), slope))
    }

    /// Seconds until the fitted line reaches the capacity (0 when already there); `None`
    /// without capacity, before warm-up, or when the line is flat or falling.
    pub fn time_to_full_seconds(&self, time_nanos: i64) -> Option<f64> {
        let capacity = self.config.capacity?;
        let (level, slope) = self.fit(time_nanos)?;
        time_to_reach(level, slope, capacity)
    }

    fn seconds_since_origin(&self, time_nanos: i64) -> f64 {
        self.origin
            .map_or(0.0, |origin| (time_nanos - origin) as f64 / 1e9)
    }
}

fn time_to_reach(level: f64, slope_per_second: f64, capacity: f64) -> Option<f64> {
    if level >= capacity {
        return Some(0.0);
    }
    (slope_per_second > 0.0).then(|| (capacity - level) / slope_per_second)
}

impl OnlineDetector for Trend {
    fn name(&self) -> &'static str {
        "trend"
    }

    fn update(&mut self, time_nanos: i64, value: f64) -> PointScore {
        if !value.is_finite() {
            return PointScore::QUIET;
        }
        self.origin.get_or_insert(time_nanos);
        let t = self.seconds_since_origin(time_nanos);
        for sum in &mut self.sums {
            *sum *= self.decay;
        }
        self.sums[0] += 1.0;
        self.sums[1] += t;
        self.sums[2] += value;
        self.sums[3] += t * t;
        self.sums[4] += t * value;
        self.points += 1;
        // The fit includes this point: saturation is about where the series is now.
        match self.time_to_full_seconds(time_nanos) {
            Some(seconds) => {
                let score = (1.0 - seconds / self.config.horizon_seconds).clamp(0.0, 1.0);
                PointScore::from_p_value(p_value_of_score(score), seconds)
            }
            None => PointScore::QUIET,
        }
    }
}

/// A resource heading for full, from the recent points.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Saturation {
    /// The fitted value at the last point.
    pub level: f64,
    /// Growth per hour of the fitted line.
    pub slope_per_hour: f64,
    /// Seconds from the last point until the line reaches the capacity.
    pub time_to_full_seconds: f64,
    /// Share of the variance the line explains (R^2), in [0, 1].
    pub fit_quality: f64,
}

/// Least-squares line through the last `recent` points (time in ns, value); `Some` when it
/// rises, explains at least `min_fit_quality` of the variance and reaches `capacity`.
pub fn fit_saturation(
    points: &[(i64, f64)],
    capacity: f64,
    recent: usize,
    min_fit_quality: f64,
) -> Option<Saturation> {
    let tail = &points[points.len().saturating_sub(recent.max(3))..];
    if tail.len() < 3 {
        return None;
    }
    let origin = tail[0].0;
    let count = tail.len() as f64;
    let seconds = |time: i64| (time - origin) as f64 / 1e9;
    let mean_t = tail.iter().map(|&(t, _)| seconds(t)).sum::<f64>() / count;
    let mean_x = tail.iter().map(|&(_, x)| x).sum::<f64>() / count;
    let (mut s_tt, mut s_tx, mut s_xx) = (0.0, 0.0, 0.0);
    for &(time, value) in tail {
        let dt = seconds(time) - mean_t;
        let dx = value - mean_x;
        s_tt += dt * dt;
        s_tx += dt * dx;
        s_xx += dx * dx;
    }
    if s_tt <= 0.0 || s_xx <= 0.0 {
        return None;
    }
    let slope = s_tx / s_tt;
    let fit_quality = (s_tx * s_tx / (s_tt * s_xx)).clamp(0.0, 1.0);
    if slope <= 0.0 || fit_quality < min_fit_quality {
        return None;
    }
    let last_time = tail[tail.len() - 1].0;
    let level = mean_x + slope * (seconds(last_time) - mean_t);
    let time_to_full_seconds = time_to_reach(level, slope, capacity)?;
    Some(Saturation {
        level,
        slope_per_hour: slope * 3600.0,
        time_to_full_seconds,
        fit_quality,
    })
}
