//! Automatic period detection for the seasonal detector: production metrics cycle daily,
//! weekly, hourly or with a job's schedule, at whatever step they are sampled, so the period
//! is found in the data instead of assumed.
//!
//! The series is kept on a bounded time grid ([`TimeGrid`]): cells of the sampling step,
//! merged in pairs (their means averaged, the cell width doubled) whenever the grid is full,
//! so any length of history fits in [`GRID_CELLS`] values and gaps are carried forward
//! instead of shifting phases. At checkpoints (each time the covered span grows by a
//! quarter) [`find_period`] looks for a period in the grid's values:
//!
//! 1. outliers are clipped (median ± 4 robust sigmas) and a straight line is removed, so one
//!    spike or a slow trend does not dominate the correlations;
//! 2. the autocorrelation is computed at every lag up to 80 % of the length (Pearson
//!    correlation over the overlap, so long lags are not shrunk towards zero);
//! 3. a lag is a candidate when it is a local maximum, correlates at least
//!    [`MIN_CORRELATION`], rises at least [`MIN_PROMINENCE`] above the lowest correlation at
//!    any shorter lag (a random walk or a level shift decays without such a hill), is seen at
//!    least 4 times in the data, stands above the noise level of a correlation over that
//!    overlap, and its second and third harmonics (twice and three times the lag) are hills
//!    of their own: a true cycle repeats, a chance bump of a random walk or of strongly
//!    correlated noise does not;
//! 4. the fundamental wins: the shortest candidate within 85 % of the best correlation;
//! 5. the lag is refined on its largest multiple that the data still show (a peak at `m`
//!    periods locates the period `m` times more precisely) and snapped to an hour, a day or a
//!    week when within 2 % of one, so calendar cycles keep their time-of-day phase.
//!
//! Detection only ever looks at points already seen, so a seasonal detector that starts
//! using a period at point `i` stays online: the points before `i` were scored without it.

/// Values the grid holds at most; when full, neighbouring cells are merged.
pub(crate) const GRID_CELLS: usize = 2048;
const _: () = assert!(
    GRID_CELLS.is_multiple_of(2),
    "merging pairs needs an even grid"
);
/// Cells needed before the first search.
const FIRST_CHECK_CELLS: usize = 256;
/// A period must repeat at least this many times within the data.
const MIN_CYCLES: f64 = 4.0;
/// The smallest lag, in cells, that can be a period (a shape needs a few points).
const MIN_LAG: usize = 4;
/// A candidate's autocorrelation must reach this.
const MIN_CORRELATION: f64 = 0.5;
/// A candidate must rise this far above the lowest autocorrelation at shorter lags.
const MIN_PROMINENCE: f64 = 0.6;
/// A correlation on `m` overlapping values counts only above `NOISE_SIGMAS / sqrt(m)`
/// (about that many standard errors of a correlation of white noise).
const NOISE_SIGMAS: f64 = 6.0;
/// The second harmonic must keep this share of the candidate's correlation.
const HARMONIC_SHARE: f64 = 0.5;
/// Candidates within this share of the best correlation compete on being shortest.
const FUNDAMENTAL_SHARE: f64 = 0.85;
/// Relative distance within which a period snaps to a calendar period.
const CALENDAR_TOLERANCE: f64 = 0.02;
/// Calendar periods (seconds): an hour, a day, a week.
const CALENDAR_PERIODS: [i64; 3] = [3_600, 86_400, 604_800];
const NANOS_PER_SECOND: i64 = 1_000_000_000;

/// A series on a regular time grid of bounded size: means of the points in each cell,
/// coarsened by merging pairs when full.
#[derive(Debug, Clone)]
pub(crate) struct TimeGrid {
    origin: i64,
    cell_nanos: i64,
    /// Closed cells, oldest first; the open cell is number `cells.len()`.
    cells: Vec<f64>,
    open_sum: f64,
    open_count: u32,
    /// How many times cells were merged (each cell spans `2^merges` original cells).
    merges: u32,
}

impl TimeGrid {
    /// A grid starting at `origin` with cells of `cell_nanos` (at least 1).
    pub fn new(origin: i64, cell_nanos: i64) -> Self {
        Self {
            origin,
            cell_nanos: cell_nanos.max(1),
            cells: Vec::with_capacity(GRID_CELLS),
            open_sum: 0.0,
            open_count: 0,
            merges: 0,
        }
    }

    /// Adds a finite point (times non-decreasing; an earlier time joins the open cell).
    pub fn push(&mut self, time_nanos: i64, value: f64) {
        loop {
            let index = (time_nanos.saturating_sub(self.origin) / self.cell_nanos).max(0);
            let open = self.cells.len() as i64;
            if index <= open {
                self.open_sum += value;
                self.open_count += 1;
                return;
            }
            // The open cell closes; cells of a gap repeat the last known mean.
            let closed = if self.open_count > 0 {
                self.open_sum / f64::from(self.open_count)
            } else {
                self.cells.last().copied().unwrap_or(value)
            };
            self.cells.push(closed);
            self.open_sum = 0.0;
            self.open_count = 0;
            while (self.cells.len() as i64) < index && self.cells.len() < GRID_CELLS {
                self.cells.push(closed);
            }
            if self.cells.len() >= GRID_CELLS {
                self.merge_pairs();
            }
        }
    }

    /// Halves the resolution: cell j becomes the mean of cells 2j and 2j+1.
    fn merge_pairs(&mut self) {
        // Only called with exactly GRID_CELLS (even) closed cells and an empty open cell, so
        // the open cell stays number `cells.len()` after the merge.
        let pairs = self.cells.len() / 2;
        for index in 0..pairs {
            self.cells[index] = 0.5 * (self.cells[2 * index] + self.cells[2 * index + 1]);
        }
        self.cells.truncate(pairs);
        self.cell_nanos = self.cell_nanos.saturating_mul(2);
        self.merges += 1;
    }

    /// The closed cells' values, oldest first.
    pub fn values(&self) -> &[f64] {
        &self.cells
    }

    /// The time at the middle of closed cell `index`.
    pub fn cell_middle(&self, index: usize) -> i64 {
        self.origin
            .saturating_add((index as i64).saturating_mul(self.cell_nanos))
            .saturating_add(self.cell_nanos / 2)
    }

    /// The span the closed cells cover, in cells of the original width.
    pub fn covered(&self) -> u64 {
        (self.cells.len() as u64) << self.merges
    }

    /// The width of one cell now.
    pub fn cell_nanos(&self) -> i64 {
        self.cell_nanos
    }

    /// Where the grid starts.
    pub fn origin(&self) -> i64 {
        self.origin
    }
}

/// A period found in the data.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct DetectedPeriod {
    /// The period.
    pub period_nanos: i64,
    /// Phases are measured from here: 0 (the epoch, UTC) for a calendar period, so a daily
    /// cycle keeps its time of day; the grid's origin otherwise.
    pub anchor_nanos: i64,
}

/// Watches a series and reports a period once the data show one.
#[derive(Debug, Clone)]
pub(crate) struct PeriodFinder {
    grid: TimeGrid,
    next_check: u64,
}

impl PeriodFinder {
    /// A finder for a series sampled every `step_nanos`, starting at `origin`.
    pub fn new(origin: i64, step_nanos: i64) -> Self {
        Self {
            grid: TimeGrid::new(origin, step_nanos),
            next_check: FIRST_CHECK_CELLS as u64,
        }
    }

    /// The grid the search runs on (to seed a seasonal model from history).
    pub fn grid(&self) -> &TimeGrid {
        &self.grid
    }

    /// Adds a point and, at a checkpoint, searches for a period.
    pub fn push(&mut self, time_nanos: i64, value: f64) -> Option<DetectedPeriod> {
        self.grid.push(time_nanos, value);
        if self.grid.covered() < self.next_check {
            return None;
        }
        // The next search after a quarter more data: a few dozen searches over any length.
        self.next_check = self.grid.covered() + self.grid.covered().div_ceil(4);
        let lag_cells = find_period(self.grid.values())?;
        let period_nanos = lag_cells * self.grid.cell_nanos() as f64;
        Some(snap_to_calendar(period_nanos, self.grid.origin()))
    }
}

/// The calendar period within [`CALENDAR_TOLERANCE`] of `period_nanos`, anchored at the
/// epoch; else the period itself, anchored at `origin`.
fn snap_to_calendar(period_nanos: f64, origin: i64) -> DetectedPeriod {
    for seconds in CALENDAR_PERIODS {
        let calendar = (seconds * NANOS_PER_SECOND) as f64;
        if ((period_nanos - calendar) / calendar).abs() <= CALENDAR_TOLERANCE {
            return DetectedPeriod {
                period_nanos: seconds * NANOS_PER_SECOND,
                anchor_nanos: 0,
            };
        }
    }
    DetectedPeriod {
        period_nanos: period_nanos.round().max(1.0) as i64,
        anchor_nanos: origin,
    }
}

/// The period of `values` (equally spaced) in samples, fractional, if they have one (see
/// the module documentation for the test).
pub(crate) fn find_period(values: &[f64]) -> Option<f64> {
    let length = values.len();
    let longest_candidate = (length as f64 / MIN_CYCLES) as usize;
    if longest_candidate < MIN_LAG + 2 {
        return None;
    }
    let prepared = clipped_and_detrended(values)?;
    // Lags up to three times the longest candidate (its third harmonic), within 80 % of the
    // data.
    let max_lag = (3 * longest_candidate + 2).min(length * 4 / 5);
    let correlations = autocorrelations(&prepared, max_lag);
    let candidates = candidate_lags(&correlations, longest_candidate, length);
    let best = candidates
        .iter()
        .map(|&lag| correlations[lag])
        .fold(f64::NEG_INFINITY, f64::max);
    let fundamental = candidates
        .into_iter()
        .find(|&lag| correlations[lag] >= FUNDAMENTAL_SHARE * best)?;
    Some(refine(&correlations, fundamental))
}

/// Values with outliers clipped to median ± 4 robust sigmas and the least-squares line
/// removed; `None` when they do not vary.
fn clipped_and_detrended(values: &[f64]) -> Option<Vec<f64>> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let median = sorted[sorted.len() / 2];
    let mut deviations: Vec<f64> = sorted.iter().map(|v| (v - median).abs()).collect();
    deviations.sort_by(f64::total_cmp);
    let mut sigma = 1.4826 * deviations[deviations.len() / 2];
    if sigma <= 0.0 {
        // Mostly one value (a quiet line with periodic bursts): the mean deviation.
        sigma = 1.253_314 * deviations.iter().sum::<f64>() / deviations.len() as f64;
    }
    if sigma <= 0.0 || !sigma.is_finite() {
        return None;
    }
    let (low, high) = (median - 4.0 * sigma, median + 4.0 * sigma);
    let clipped: Vec<f64> = values.iter().map(|v| v.clamp(low, high)).collect();
    let count = clipped.len() as f64;
    let mean_index = (count - 1.0) / 2.0;
    let mean = clipped.iter().sum::<f64>() / count;
    let (mut covariance, mut index_variance) = (0.0, 0.0);
    for (index, value) in clipped.iter().enumerate() {
        let centred_index = index as f64 - mean_index;
        covariance += centred_index * (value - mean);
        index_variance += centred_index * centred_index;
    }
    let slope = covariance / index_variance.max(f64::MIN_POSITIVE);
    Some(
        clipped
            .iter()
            .enumerate()
            .map(|(index, value)| value - mean - slope * (index as f64 - mean_index))
            .collect(),
    )
}

/// Pearson correlation of `values[..n - lag]` with `values[lag..]` for every lag in
/// `0..=max_lag` (each side centred on its own mean over the overlap).
fn autocorrelations(values: &[f64], max_lag: usize) -> Vec<f64> {
    let length = values.len();
    // Prefix sums make each lag's means and variances O(1); the cross product is the loop.
    let mut sums = vec![0.0; length + 1];
    let mut squares = vec![0.0; length + 1];
    for (index, value) in values.iter().enumerate() {
        sums[index + 1] = sums[index] + value;
        squares[index + 1] = squares[index] + value * value;
    }
    (0..=max_lag.min(length.saturating_sub(2)))
        .map(|lag| {
            let overlap = length - lag;
            let head = &values[..overlap];
            let tail = &values[lag..];
            let cross = dot(head, tail);
            let count = overlap as f64;
            let (head_sum, tail_sum) = (sums[overlap], sums[length] - sums[lag]);
            let head_variance = squares[overlap] - head_sum * head_sum / count;
            let tail_variance = squares[length] - squares[lag] - tail_sum * tail_sum / count;
            let covariance = cross - head_sum * tail_sum / count;
            let denominator = (head_variance * tail_variance).sqrt();
            if denominator > 0.0 {
                covariance / denominator
            } else {
                0.0
            }
        })
        .collect()
}

/// The dot product with four running sums (a single sum cannot be vectorised).
fn dot(left: &[f64], right: &[f64]) -> f64 {
    let mut partial = [0.0; 4];
    let (left_chunks, right_chunks) = (left.chunks_exact(4), right.chunks_exact(4));
    let tail: f64 = left_chunks
        .remainder()
        .iter()
        .zip(right_chunks.remainder())
        .map(|(a, b)| a * b)
        .sum();
    for (a, b) in left_chunks.zip(right_chunks) {
        for lane in 0..4 {
            partial[lane] += a[lane] * b[lane];
        }
    }
    partial.iter().sum::<f64>() + tail
}

/// Lags (shortest first, up to `longest`) that pass the peak tests on a series of `length`.
fn candidate_lags(correlations: &[f64], longest: usize, length: usize) -> Vec<usize> {
    let mut candidates = Vec::new();
    let mut lowest_before = f64::INFINITY;
    let last = correlations.len().saturating_sub(3).min(longest);
    for lag in 1..=last {
        lowest_before = lowest_before.min(correlations[lag - 1].min(correlations[lag]));
        if lag < MIN_LAG {
            continue;
        }
        let value = correlations[lag];
        let neighbourhood = lag.saturating_sub(2)..=(lag + 2);
        let is_local_maximum = neighbourhood
            .clone()
            .all(|other| correlations.get(other).is_none_or(|&c| c <= value));
        let noise_level = NOISE_SIGMAS / ((length - lag) as f64).sqrt();
        if !is_local_maximum
            || value < MIN_CORRELATION.max(noise_level)
            || value - lowest_before < MIN_PROMINENCE
        {
            continue;
        }
        let mut previous = lag;
        let harmonics_repeat = (2..=3).all(|multiple| {
            let Some((harmonic, harmonic_value)) = harmonic_peak(correlations, lag, multiple)
            else {
                return false;
            };
            let valley = correlations[previous.min(harmonic)..=harmonic]
                .iter()
                .copied()
                .fold(f64::INFINITY, f64::min);
            previous = harmonic;
            harmonic_value >= HARMONIC_SHARE * value
                && harmonic_value - valley >= HARMONIC_SHARE * MIN_PROMINENCE
        });
        if harmonics_repeat {
            candidates.push(lag);
        }
    }
    candidates
}

/// The highest correlation near `multiple` times `lag` (within a twentieth of it, at least
/// two lags), with its lag; `None` beyond the computed lags.
fn harmonic_peak(correlations: &[f64], lag: usize, multiple: usize) -> Option<(usize, f64)> {
    let centre = lag * multiple;
    let reach = (centre / 20).max(2);
    if centre >= correlations.len() {
        return None;
    }
    let range = centre.saturating_sub(reach)..=(centre + reach).min(correlations.len() - 1);
    range
        .map(|other| (other, correlations[other]))
        .max_by(|a, b| a.1.total_cmp(&b.1))
}

/// The period, refined on its largest multiple still visible (the peak of `m` periods fixes
/// the period to a fraction `1/m` of a lag), with a parabola through the peak's neighbours.
fn refine(correlations: &[f64], lag: usize) -> f64 {
    let threshold = HARMONIC_SHARE * correlations[lag];
    let mut estimate = lag as f64;
    let mut best = (lag, 1usize);
    for multiple in 2.. {
        let centre = (estimate * multiple as f64).round() as usize;
        // Never as far as half a period, so the neighbouring multiple's peak stays out.
        let reach = (centre / 20).min(lag / 4).max(1);
        if centre + reach + 1 >= correlations.len() {
            break;
        }
        let Some((peak, value)) = (centre - reach..=centre + reach)
            .map(|other| (other, correlations[other]))
            .max_by(|a, b| a.1.total_cmp(&b.1))
        else {
            break;
        };
        if value < threshold {
            break;
        }
        best = (peak, multiple);
        estimate = peak as f64 / multiple as f64;
    }
    let (peak, multiple) = best;
    let (left, centre, right) = (
        correlations[peak - 1],
        correlations[peak],
        correlations[peak + 1],
    );
    let curvature = left - 2.0 * centre + right;
    let offset = if curvature < 0.0 {
        (0.5 * (left - right) / curvature).clamp(-0.5, 0.5)
    } else {
        0.0
    };
    (peak as f64 + offset) / multiple as f64
}

#[cfg(test)]
#[path = "period_tests.rs"]
mod tests;
