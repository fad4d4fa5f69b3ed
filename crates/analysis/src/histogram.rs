//! Streaming time histograms with a bounded number of buckets, exact to re-bucket.
//!
//! The bucket width is a rung of a ladder of "nice" widths (1 s, 5 s, 10 s, 30 s, 1 min,
//! 5 min, ...) where each width divides the next and buckets align to the Unix epoch, so a
//! histogram can always be re-bucketed to a coarser rung exactly, and two histograms can be
//! added after bringing them to the same rung. Each bucket remembers its earliest line, which
//! is the evidence for a burst found later in that bucket.

use faultmaven_model::AttachmentId;

const NANOS_PER_SECOND: i64 = 1_000_000_000;

/// The first rungs, in seconds; beyond the last one the width doubles.
const BASE_RUNGS: [i64; 13] = [
    1, 5, 10, 30, 60, 300, 600, 1800, 3600, 7200, 21_600, 43_200, 86_400,
];

/// Highest rung: one day doubled 16 times (about 180 years) still fits in i64 nanoseconds.
pub(crate) const MAX_RUNG: usize = BASE_RUNGS.len() - 1 + 16;

/// Most buckets a histogram spans before it moves to a coarser rung.
const MAX_SPAN_BUCKETS: i64 = 256;

/// Width of a rung in nanoseconds.
pub(crate) fn rung_width(rung: usize) -> i64 {
    let rung = rung.min(MAX_RUNG);
    match BASE_RUNGS.get(rung) {
        Some(seconds) => seconds * NANOS_PER_SECOND,
        None => {
            let doublings = (rung + 1 - BASE_RUNGS.len()) as u32;
            (86_400 * NANOS_PER_SECOND) << doublings
        }
    }
}

/// The finest rung whose width is at least `nanos`.
pub(crate) fn rung_at_least(nanos: i64) -> usize {
    (0..=MAX_RUNG)
        .find(|&rung| rung_width(rung) >= nanos)
        .unwrap_or(MAX_RUNG)
}

/// A line (or record) of an upload, with its time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LineRef {
    /// The upload.
    pub attachment: AttachmentId,
    /// First line of the record, 1-based.
    pub first_line: u64,
    /// Last line of the record.
    pub last_line: u64,
    /// Nanoseconds since the epoch.
    pub time: i64,
}

impl LineRef {
    fn order_key(&self) -> (i64, AttachmentId, u64) {
        (self.time, self.attachment, self.first_line)
    }
}

#[derive(Debug, Clone, PartialEq)]
struct Bucket {
    index: i64,
    count: u64,
    first: LineRef,
}

/// Counts per time bucket, sparse (only non-empty buckets are stored).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct TimeHistogram {
    rung: usize,
    buckets: Vec<Bucket>,
}

impl TimeHistogram {
    /// Counts one line at its time.
    pub fn add(&mut self, line: LineRef) {
        let index = loop {
            let index = line.time.div_euclid(rung_width(self.rung));
            let (Some(first), Some(last)) = (self.buckets.first(), self.buckets.last()) else {
                break index;
            };
            let low = first.index.min(index);
            let high = last.index.max(index);
            if high - low < MAX_SPAN_BUCKETS || self.rung >= MAX_RUNG {
                break index;
            }
            let span_nanos = (high - low + 1).saturating_mul(rung_width(self.rung));
            let needed = rung_at_least(span_nanos / MAX_SPAN_BUCKETS + 1);
            self.coarsen_to(needed.max(self.rung + 1));
        };
        let slot = match self.buckets.last() {
            Some(last) if last.index < index => self.buckets.len(),
            _ => self.buckets.partition_point(|bucket| bucket.index < index),
        };
        match self.buckets.get_mut(slot) {
            Some(bucket) if bucket.index == index => {
                bucket.count += 1;
                if line.order_key() < bucket.first.order_key() {
                    bucket.first = line;
                }
            }
            _ => self.buckets.insert(
                slot,
                Bucket {
                    index,
                    count: 1,
                    first: line,
                },
            ),
        }
    }

    /// The current rung.
    pub fn rung(&self) -> usize {
        self.rung
    }

    /// Lines counted.
    pub fn total(&self) -> u64 {
        self.buckets.iter().map(|bucket| bucket.count).sum()
    }

    /// True when nothing was counted.
    pub fn is_empty(&self) -> bool {
        self.buckets.is_empty()
    }

    /// Re-buckets to a coarser rung (no-op for a finer or equal one).
    pub fn coarsen_to(&mut self, rung: usize) {
        let rung = rung.min(MAX_RUNG);
        if rung <= self.rung {
            return;
        }
        let ratio = rung_width(rung) / rung_width(self.rung);
        self.rung = rung;
        let mut merged: Vec<Bucket> = Vec::with_capacity(self.buckets.len());
        for bucket in self.buckets.drain(..) {
            let index = bucket.index.div_euclid(ratio);
            match merged.last_mut() {
                Some(last) if last.index == index => {
                    last.count += bucket.count;
                    if bucket.first.order_key() < last.first.order_key() {
                        last.first = bucket.first;
                    }
                }
                _ => merged.push(Bucket { index, ..bucket }),
            }
        }
        self.buckets = merged;
    }

    /// Adds another histogram's counts to this one (both end at the coarser rung).
    pub fn merge(&mut self, other: &TimeHistogram) {
        if other.is_empty() {
            return;
        }
        let mut other = other.clone();
        let rung = self.rung.max(other.rung);
        self.coarsen_to(rung);
        other.coarsen_to(rung);
        let mut merged = Vec::with_capacity(self.buckets.len() + other.buckets.len());
        let mut left = std::mem::take(&mut self.buckets).into_iter().peekable();
        let mut right = other.buckets.into_iter().peekable();
        loop {
            let next = match (left.peek(), right.peek()) {
                (Some(a), Some(b)) if a.index == b.index => {
                    let (Some(mut a), Some(b)) = (left.next(), right.next()) else {
                        break;
                    };
                    a.count += b.count;
                    if b.first.order_key() < a.first.order_key() {
                        a.first = b.first;
                    }
                    a
                }
                (Some(a), Some(b)) if a.index < b.index => match left.next() {
                    Some(bucket) => bucket,
                    None => break,
                },
                (Some(_), None) => match left.next() {
                    Some(bucket) => bucket,
                    None => break,
                },
                (_, Some(_)) => match right.next() {
                    Some(bucket) => bucket,
                    None => break,
                },
                (None, None) => break,
            };
            merged.push(next);
        }
        self.buckets = merged;
        // Merging can widen the span past the limit; coarsen until it fits again.
        while let (Some(first), Some(last)) = (self.buckets.first(), self.buckets.last()) {
            if last.index - first.index < MAX_SPAN_BUCKETS || self.rung >= MAX_RUNG {
                break;
            }
            self.coarsen_to(self.rung + 1);
        }
    }

    /// Dense counts at `rung` (at least the histogram's own) for the `count` buckets starting
    /// at bucket `first_index` of that rung, with the earliest line of each bucket.
    pub fn dense(
        &self,
        rung: usize,
        first_index: i64,
        count: usize,
    ) -> Vec<(u64, Option<LineRef>)> {
        let mut copy;
        let histogram = if rung > self.rung {
            copy = self.clone();
            copy.coarsen_to(rung);
            &copy
        } else {
            self
        };
        let mut dense = vec![(0u64, None); count];
        for bucket in &histogram.buckets {
            let offset = bucket.index - first_index;
            if offset >= 0 && (offset as usize) < count {
                dense[offset as usize] = (bucket.count, Some(bucket.first));
            }
        }
        dense
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(seconds: i64, number: u64) -> LineRef {
        LineRef {
            attachment: AttachmentId::new(1),
            first_line: number,
            last_line: number,
            time: seconds * NANOS_PER_SECOND,
        }
    }

    #[test]
    fn ladder_rungs_divide_each_other() {
        for rung in 0..MAX_RUNG {
            assert_eq!(rung_width(rung + 1) % rung_width(rung), 0, "rung {rung}");
        }
        assert_eq!(rung_at_least(60 * NANOS_PER_SECOND), 4);
        assert_eq!(rung_at_least(61 * NANOS_PER_SECOND), 5);
    }

    #[test]
    fn counts_coarsen_when_the_span_grows() {
        let mut histogram = TimeHistogram::default();
        for second in 0..2_000 {
            histogram.add(line(1_000_000 + second, second as u64 + 1));
        }
        assert_eq!(histogram.total(), 2_000);
        assert!(
            histogram.rung() >= 1,
            "2000 s do not fit 512 one-second buckets"
        );
        let width = rung_width(histogram.rung()) / NANOS_PER_SECOND;
        let first = 1_000_000 / width;
        let dense = histogram.dense(histogram.rung(), first, (2_000 / width + 2) as usize);
        assert_eq!(dense.iter().map(|(count, _)| count).sum::<u64>(), 2_000);
        assert_eq!(dense[0].1.map(|l| l.first_line), Some(1));
    }

    #[test]
    fn merge_adds_counts_and_keeps_earliest_lines() {
        let mut a = TimeHistogram::default();
        let mut b = TimeHistogram::default();
        a.add(line(100, 5));
        b.add(line(100, 2));
        b.add(line(5_000, 3));
        a.merge(&b);
        assert_eq!(a.total(), 3);
        let rung = a.rung();
        let width = rung_width(rung) / NANOS_PER_SECOND;
        let dense = a.dense(rung, 100 / width, 1);
        assert_eq!(dense[0].0, 2);
        assert_eq!(dense[0].1.map(|l| l.first_line), Some(2));
    }

    #[test]
    fn out_of_order_and_negative_times() {
        let mut histogram = TimeHistogram::default();
        histogram.add(line(10, 1));
        histogram.add(line(-10, 2));
        histogram.add(line(0, 3));
        assert_eq!(histogram.total(), 3);
        let dense = histogram.dense(0, -10, 21);
        assert_eq!(dense[0].0, 1);
        assert_eq!(dense[10].0, 1);
        assert_eq!(dense[20].0, 1);
    }
}
