//! Frequency shifts against the baseline: each template seen in both is tested for a rate
//! change with a binomial test, and the p-values are corrected for testing many templates
//! (Benjamini–Hochberg).
//!
//! Given `k` lines of a template in both windows together, under "no change" the incident's
//! share of them is binomial with `p` = the incident's share of exposure: of duration when both
//! windows are timed (rates per minute), else of log lines. The tail probability uses the
//! Chernoff–Hoeffding bound `exp(-k * KL(x/k || p))`, which is never below the exact tail, so
//! the test is conservative; it never fails on millions of lines. A shift is reported when its
//! corrected p-value is below [`FALSE_DISCOVERY_RATE`] and the rate moved by at least
//! [`MIN_EFFECT`] (with enough lines everything is "significant"; a 5% drift is not news).

use super::{Analyzer, Example, MergedTemplate, TITLE_TEMPLATE_CHARS};
use crate::signals::{cut, format_value};
use faultmaven_model::{Finding, FindingId, FindingKind, Severity, Timestamp};

/// Benjamini–Hochberg false discovery rate.
const FALSE_DISCOVERY_RATE: f64 = 0.001;
/// Smallest rate ratio (either way) worth a finding.
const MIN_EFFECT: f64 = 1.5;

/// Kullback–Leibler divergence of Bernoulli(q) from Bernoulli(p).
fn bernoulli_divergence(q: f64, p: f64) -> f64 {
    let term = |a: f64, b: f64| if a <= 0.0 { 0.0 } else { a * (a / b).ln() };
    term(q, p) + term(1.0 - q, 1.0 - p)
}

/// Two-sided p-value bound for `x` successes of `k` trials with success probability `p`.
pub(crate) fn binomial_p_value(x: u64, k: u64, p: f64) -> f64 {
    if k == 0 || !(0.0..=1.0).contains(&p) {
        return 1.0;
    }
    let q = x as f64 / k as f64;
    if (q - p).abs() < f64::EPSILON {
        return 1.0;
    }
    let p = p.clamp(1e-300, 1.0 - 1e-16);
    (2.0 * (-(k as f64) * bernoulli_divergence(q, p)).exp()).min(1.0)
}

/// Benjamini–Hochberg adjusted p-values, in the order given.
pub(crate) fn benjamini_hochberg(p_values: &[f64]) -> Vec<f64> {
    let count = p_values.len();
    let mut order: Vec<usize> = (0..count).collect();
    order.sort_by(|&a, &b| p_values[a].total_cmp(&p_values[b]).then(a.cmp(&b)));
    let mut adjusted = vec![1.0; count];
    let mut running = 1.0f64;
    for (rank, &index) in order.iter().enumerate().rev() {
        let value = p_values[index] * count as f64 / (rank + 1) as f64;
        running = running.min(value);
        adjusted[index] = running.min(1.0);
    }
    adjusted
}

impl Analyzer {
    pub(super) fn frequency_shift_findings(&self, templates: &[MergedTemplate]) -> Vec<Finding> {
        let incident_lines = self.log_records - self.baseline_log_records;
        if self.baseline_log_records == 0 || incident_lines == 0 {
            return Vec::new();
        }
        let span =
            |range: Option<(i64, i64)>| range.map(|(low, high)| high - low).filter(|s| *s > 0);
        // Rates per minute when both windows are timed, else shares of lines.
        let durations = span(self.incident_log_times).zip(span(self.baseline_log_times));
        let (incident_exposure, baseline_exposure) = match durations {
            Some((incident, baseline)) => (incident as f64, baseline as f64),
            None => (incident_lines as f64, self.baseline_log_records as f64),
        };
        let share = incident_exposure / (incident_exposure + baseline_exposure);
        let tested: Vec<&MergedTemplate> = templates
            .iter()
            .filter(|t| t.stats.incident > 0 && t.stats.baseline > 0)
            .collect();
        let p_values: Vec<f64> = tested
            .iter()
            .map(|t| {
                let k = t.stats.incident + t.stats.baseline;
                binomial_p_value(t.stats.incident, k, share)
            })
            .collect();
        let adjusted = benjamini_hochberg(&p_values);
        let mut findings = Vec::new();
        for (template, &p) in tested.iter().zip(&adjusted) {
            let stats = &template.stats;
            let incident_rate = stats.incident as f64 / incident_exposure;
            let baseline_rate = stats.baseline as f64 / baseline_exposure;
            let ratio = incident_rate / baseline_rate;
            if p >= FALSE_DISCOVERY_RATE || (ratio < MIN_EFFECT && ratio > 1.0 / MIN_EFFECT) {
                continue;
            }
            let rate_text = |rate: f64| match durations {
                Some(_) => {
                    let per_minute = rate * 60e9;
                    if per_minute >= 1.0 {
                        format!("{}/min", format_value((per_minute * 10.0).round() / 10.0))
                    } else {
                        format!("{}/h", format_value((per_minute * 600.0).round() / 10.0))
                    }
                }
                None => format!("{}% of lines", format_value(100.0 * rate)),
            };
            let rose = ratio > 1.0;
            let window = self.window_text(stats.first_time, stats.last_time);
            let title = format!(
                "Template E{} \"{}\" {} from {} in the baseline to {}{}",
                template.id,
                cut(&template.text, TITLE_TEMPLATE_CHARS),
                if rose { "rose" } else { "fell" },
                rate_text(baseline_rate),
                rate_text(incident_rate),
                window.map(|w| format!(" ({w})")).unwrap_or_default(),
            );
            let exposure_text = match durations {
                Some((incident, baseline)) => format!(
                    "{:.1} min of incident logs against {:.1} min of baseline",
                    incident as f64 / 60e9,
                    baseline as f64 / 60e9
                ),
                None => format!(
                    "{incident_lines} incident log lines against {} baseline lines (no timestamps \
                     on both sides, so shares of lines are compared)",
                    self.baseline_log_records
                ),
            };
            let detail = format!(
                "{} lines in the incident data and {} in the baseline over {exposure_text}: {:.1}x \
                 the baseline rate. Binomial test of the split, Benjamini-Hochberg corrected over \
                 {} templates: p <= {:.1e}.",
                stats.incident,
                stats.baseline,
                ratio,
                tested.len(),
                p.max(1e-300)
            );
            let log_ratio = ratio.ln().abs();
            let strength = 1.0 - (-log_ratio / 3.0).exp();
            let (base, severity) = match (template.badness.map(|b| b.is_error()), rose) {
                (Some(true), true) => (0.75, Severity::High),
                (Some(_), true) => (0.6, Severity::Medium),
                (None, true) if ratio >= 10.0 => (0.5, Severity::Medium),
                _ => (0.4, Severity::Low),
            };
            let evidence = if rose || stats.baseline_examples.is_empty() {
                &stats.examples
            } else {
                &stats.baseline_examples
            };
            findings.push(Finding {
                id: FindingId::new(0),
                kind: FindingKind::FrequencyShift,
                severity,
                title,
                detail,
                score: base * (0.5 + 0.5 * strength),
                first_seen: stats.first_time.map(Timestamp::from_unix_nanos),
                last_seen: stats.last_time.map(Timestamp::from_unix_nanos),
                subjects: stats.subjects.clone(),
                template_id: Some(template.id),
                evidence: evidence.iter().map(Example::evidence).collect(),
                entities: Vec::new(),
            });
        }
        findings
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binomial_bound_is_small_for_big_shifts_and_one_for_none() {
        assert_eq!(binomial_p_value(50, 100, 0.5), 1.0);
        assert!(binomial_p_value(55, 100, 0.5) > 0.1);
        assert!(binomial_p_value(412, 420, 0.5) < 1e-50);
        assert!(binomial_p_value(0, 400, 0.5) < 1e-50);
        // Millions of lines do not overflow or take long.
        let p = binomial_p_value(5_200_000, 10_000_000, 0.5);
        assert!(p < 1e-100, "{p}");
    }

    #[test]
    fn benjamini_hochberg_matches_the_textbook_example() {
        let adjusted = benjamini_hochberg(&[0.01, 0.04, 0.03, 0.005]);
        let expected = [0.02, 0.04, 0.04, 0.02];
        for (got, want) in adjusted.iter().zip(expected) {
            assert!((got - want).abs() < 1e-12, "{adjusted:?}");
        }
    }
}
