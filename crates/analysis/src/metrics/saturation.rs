//! Saturation: a bounded resource (a disk, a memory limit, a queue with a capacity) whose
//! usage rises steadily will reach its limit. A series is treated as such a resource when
//! its limit is known from the data itself:
//!
//! - a percentage of a resource (`disk_used_percent`, `memory_utilization`): limit 100, or 1
//!   for a ratio whose values never pass 1;
//! - a label holding the limit (`limit`, `capacity`, `size`, `max`, `total`, `quota`);
//! - a partner series with the same labels naming the limit, e.g. `jvm_memory_used_bytes`
//!   and `jvm_memory_max_bytes`, `node_filesystem_avail_bytes` and
//!   `node_filesystem_size_bytes`: free space (`avail`, `free`) counts down to zero.
//!
//! A least-squares line through the recent points must rise, explain most of the variance,
//! and reach the limit within the horizon; then the finding says when.

use super::{Point, Series};
use crate::config::MetricConfig;
use crate::detectors::{fit_saturation, Saturation};
use std::collections::BTreeMap;

/// Points the line is fitted on at most (the most recent ones).
const MAX_FIT_POINTS: usize = 720;
/// Points the line needs at least.
const MIN_FIT_POINTS: usize = 10;
/// The line must rise by at least this share of the limit over the fitted points, so a
/// flat series with a tiny, perfectly straight creep is not a finding.
const MIN_RISE_SHARE: f64 = 0.01;

/// Words of a metric name that make a percentage a resource's usage.
const RESOURCE_WORDS: &[&str] = &[
    "disk",
    "filesystem",
    "fs",
    "volume",
    "storage",
    "inode",
    "inodes",
    "memory",
    "mem",
    "heap",
    "swap",
    "rss",
    "queue",
    "pool",
    "connections",
    "quota",
    "pvc",
];
/// Name words that say the series is the limit itself.
const LIMIT_WORDS: &[&str] = &[
    "limit", "limits", "total", "size", "capacity", "max", "quota",
];
/// Name words that say the series is what remains free (it drains to zero).
const FREE_WORDS: &[&str] = &["free", "avail", "available", "remaining"];
/// Name words that say the series is what is used (ignored when matching partners).
const USAGE_WORDS: &[&str] = &[
    "used",
    "usage",
    "use",
    "inuse",
    "current",
    "depth",
    "length",
    "len",
    "utilization",
    "utilisation",
    "percent",
    "pct",
    "ratio",
];
/// Name words that say nothing about the resource (units, vendors' prefixes).
const NEUTRAL_WORDS: &[&str] = &[
    "bytes", "byte", "spec", "mb", "mib", "gb", "gib", "kb", "kib",
];
/// Labels that may hold the limit.
const LIMIT_LABELS: &[&str] = &["limit", "capacity", "size", "max", "total", "quota"];

/// How the limit of a series is known.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum LimitSource {
    /// A percentage (limit 100) or a ratio (limit 1).
    Percent,
    /// A label, by key.
    Label(String),
    /// A partner series naming the limit, by display.
    Partner(String),
}

/// A resource on its way to full.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SaturationVerdict {
    /// The limit.
    pub limit: f64,
    /// Where the limit came from.
    pub source: LimitSource,
    /// True when the series counts free space down to zero (the fit is on used = limit -
    /// free when the limit is known, on the falling free space otherwise).
    pub draining: bool,
    /// The line through the recent points, on the "used" scale.
    pub fit: Saturation,
    /// The first and last point the line was fitted on.
    pub fitted: (Point, Point),
    /// Points fitted.
    pub fitted_points: usize,
}

/// What a usage series and its limit series share: attachment, the words naming the
/// resource, and the labels.
type PartnerKey<'a> = (u32, Vec<String>, &'a [(Box<str>, Box<str>)]);

/// The limits of every series that has one: by series index.
pub(crate) fn limits_of(series: &[Series]) -> BTreeMap<usize, (f64, LimitSource, bool)> {
    let mut partners: BTreeMap<PartnerKey<'_>, usize> = BTreeMap::new();
    for (index, one) in series.iter().enumerate() {
        let words = words_of(one.name());
        if words.iter().any(|w| LIMIT_WORDS.contains(&w.as_str())) {
            partners.insert(
                (
                    one.attachment.number(),
                    stem_of(&words),
                    one.labels.as_slice(),
                ),
                index,
            );
        }
    }
    let mut limits = BTreeMap::new();
    for (index, one) in series.iter().enumerate() {
        let words = words_of(one.name());
        if words.iter().any(|w| LIMIT_WORDS.contains(&w.as_str())) {
            continue;
        }
        let draining = words.iter().any(|w| FREE_WORDS.contains(&w.as_str()));
        let partner = partners
            .get(&(
                one.attachment.number(),
                stem_of(&words),
                one.labels.as_slice(),
            ))
            .and_then(|&partner| {
                let last = series[partner].points.iter().max_by_key(|p| p.time)?;
                (last.value > 0.0).then(|| {
                    (
                        last.value,
                        LimitSource::Partner(series[partner].display.clone()),
                    )
                })
            });
        let label = || {
            LIMIT_LABELS.iter().find_map(|key| {
                let value: f64 = one.label(key)?.trim().parse().ok()?;
                (value.is_finite() && value > 0.0)
                    .then(|| (value, LimitSource::Label((*key).to_owned())))
            })
        };
        let percent = || {
            let is_share = words.iter().any(|w| {
                ["percent", "pct", "utilization", "utilisation", "ratio"].contains(&w.as_str())
            });
            let is_resource = words.iter().any(|w| RESOURCE_WORDS.contains(&w.as_str()));
            if !(is_share && is_resource) || draining {
                return None;
            }
            let largest = one.points.iter().map(|p| p.value).fold(f64::MIN, f64::max);
            if largest <= 1.0 {
                Some((1.0, LimitSource::Percent))
            } else if largest <= 100.0 {
                Some((100.0, LimitSource::Percent))
            } else {
                None
            }
        };
        if let Some((limit, source)) = partner.or_else(label).or_else(percent) {
            limits.insert(index, (limit, source, draining));
        }
    }
    limits
}

/// Fits the recent points of a series with a known limit; `Some` when it is on its way to
/// full within the horizon (or already full).
pub(crate) fn saturation_of(
    points: &[Point],
    limit: f64,
    source: LimitSource,
    draining: bool,
    config: &MetricConfig,
) -> Option<SaturationVerdict> {
    let count = (points.len() / 2).clamp(MIN_FIT_POINTS, MAX_FIT_POINTS);
    let recent = &points[points.len().saturating_sub(count)..];
    if recent.len() < MIN_FIT_POINTS {
        return None;
    }
    // On the "used" scale the series rises towards `capacity`.
    let (capacity, used): (f64, Vec<(i64, f64)>) = match (draining, &source) {
        (true, LimitSource::Partner(_) | LimitSource::Label(_)) => (
            limit,
            recent.iter().map(|p| (p.time, limit - p.value)).collect(),
        ),
        (true, LimitSource::Percent) => (0.0, recent.iter().map(|p| (p.time, -p.value)).collect()),
        (false, _) => (limit, recent.iter().map(|p| (p.time, p.value)).collect()),
    };
    let fit = fit_saturation(&used, capacity, used.len(), config.saturation_min_fit)?;
    let first = used.first()?;
    let rise = fit.slope_per_hour * (used.last()?.0 - first.0) as f64 / 3.6e12;
    let scale = if capacity != 0.0 {
        capacity.abs()
    } else {
        limit.abs().max(1.0)
    };
    if rise < MIN_RISE_SHARE * scale
        || fit.time_to_full_seconds > config.saturation_horizon_hours * 3600.0
    {
        return None;
    }
    Some(SaturationVerdict {
        limit,
        source,
        draining,
        fit,
        fitted: (*recent.first()?, *recent.last()?),
        fitted_points: recent.len(),
    })
}

/// Lower-case words of a metric name, camelCase split: `node_memory_MemAvailable_bytes`
/// -> node, memory, mem, available, bytes.
fn words_of(name: &str) -> Vec<String> {
    let mut words = Vec::new();
    for part in name.split(|c: char| !c.is_ascii_alphanumeric()) {
        let mut word = String::new();
        let mut previous_lower = false;
        for character in part.chars() {
            if character.is_ascii_uppercase() && previous_lower && !word.is_empty() {
                words.push(std::mem::take(&mut word));
            }
            previous_lower = character.is_ascii_lowercase() || character.is_ascii_digit();
            word.push(character.to_ascii_lowercase());
        }
        if !word.is_empty() {
            words.push(word);
        }
    }
    words
}

/// The words that name the resource: without usage, limit, free and unit words.
fn stem_of(words: &[String]) -> Vec<String> {
    words
        .iter()
        .filter(|w| {
            let w = w.as_str();
            !(LIMIT_WORDS.contains(&w)
                || FREE_WORDS.contains(&w)
                || USAGE_WORDS.contains(&w)
                || NEUTRAL_WORDS.contains(&w))
        })
        .cloned()
        .collect()
}

/// The resource a series measures, for a title: "Disk", "Memory", ...; `None` when the name
/// does not say.
pub(crate) fn resource_noun(name: &str) -> Option<&'static str> {
    let words = words_of(name);
    let has = |list: &[&str]| words.iter().any(|w| list.contains(&w.as_str()));
    Some(if has(&["inode", "inodes"]) {
        "Inodes"
    } else if has(&["disk", "filesystem", "fs", "volume", "storage", "pvc"]) {
        "Disk"
    } else if has(&["heap"]) {
        "Heap"
    } else if has(&["swap"]) {
        "Swap"
    } else if has(&["memory", "mem", "rss"]) {
        "Memory"
    } else if has(&["queue"]) {
        "Queue"
    } else if has(&["pool", "connections"]) {
        "Connection pool"
    } else {
        return None;
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_split_into_words_and_stems() {
        assert_eq!(
            words_of("node_memory_MemAvailable_bytes"),
            ["node", "memory", "mem", "available", "bytes"]
        );
        let stem = |name: &str| stem_of(&words_of(name));
        assert_eq!(stem("jvm_memory_used_bytes"), stem("jvm_memory_max_bytes"));
        assert_eq!(
            stem("node_filesystem_avail_bytes"),
            stem("node_filesystem_size_bytes")
        );
        assert_eq!(
            stem("container_memory_usage_bytes"),
            stem("container_spec_memory_limit_bytes")
        );
        assert_ne!(stem("jvm_memory_used_bytes"), stem("jvm_threads_max"));
        assert_eq!(resource_noun("node_filesystem_avail_bytes"), Some("Disk"));
        assert_eq!(resource_noun("http_requests_total"), None);
    }
}
