//! Notices about the analysis itself: limits that make findings coarser or incomplete, said in
//! words with their figures so the engineer knows how far the findings reach.

use crate::miner::MinerConfig;
use faultmaven_model::{AnalysisNotice, NoticeKind};

/// What the notices are built from: counters of the finished analysis and the budgets it ran
/// with.
pub(super) struct NoticeInput<'a> {
    /// Log records received, incident and baseline.
    pub log_records: u64,
    /// Log messages mined after a miner budget was spent.
    pub overflowed_log_messages: u64,
    /// The miner's budgets.
    pub miner: &'a MinerConfig,
}

/// Every notice the analysis has to give, most consequential first.
pub(super) fn analysis_notices(input: &NoticeInput<'_>) -> Vec<AnalysisNotice> {
    let mut notices = Vec::new();
    if input.overflowed_log_messages > 0 {
        notices.push(mining_overflow(input));
    }
    notices
}

fn mining_overflow(input: &NoticeInput<'_>) -> AnalysisNotice {
    let overflowed = input.overflowed_log_messages;
    // The miner counts messages, the analyzer records: they agree, but a total below the count
    // would read as nonsense ("12 of 10"), so the larger one is the total.
    let total = input.log_records.max(overflowed);
    let lines = if overflowed == 1 {
        "line was"
    } else {
        "lines were"
    };
    AnalysisNotice {
        kind: NoticeKind::LogMiningOverflow,
        title: format!(
            "{} of {} log {lines} not mined into templates of their own: the template \
             miner's budgets were spent",
            thousands(overflowed),
            thousands(total),
        ),
        detail: format!(
            "The template miner keeps at most {} templates and {} distinct words \
             (engine.analysis.miner.max_templates and max_vocabulary), so memory stays bounded \
             however large the upload. Once a budget was spent, new kinds of message joined \
             their closest template or a catch-all one, so findings about those lines (error \
             and new templates, bursts, frequency shifts) may be coarser or missing. Upload a \
             narrower time window or fewer services at a time, or raise the budgets, to have \
             every line mined.",
            thousands(input.miner.max_templates as u64),
            thousands(input.miner.max_vocabulary as u64),
        ),
        count: overflowed,
    }
}

/// `1234567` -> `1,234,567`: counts in titles are read at a glance.
fn thousands(value: u64) -> String {
    let digits = value.to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    grouped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_overflow_no_notice() {
        let miner = MinerConfig::default();
        let input = NoticeInput {
            log_records: 80_000,
            overflowed_log_messages: 0,
            miner: &miner,
        };
        assert!(analysis_notices(&input).is_empty());
    }

    #[test]
    fn an_overflow_says_how_many_lines_and_why() {
        let miner = MinerConfig {
            max_templates: 5_000,
            max_vocabulary: 250_000,
            ..MinerConfig::default()
        };
        let input = NoticeInput {
            log_records: 80_000,
            overflowed_log_messages: 1_204,
            miner: &miner,
        };
        let notices = analysis_notices(&input);
        assert_eq!(notices.len(), 1);
        let notice = &notices[0];
        assert_eq!(notice.kind, NoticeKind::LogMiningOverflow);
        assert_eq!(notice.count, 1_204);
        assert_eq!(
            notice.title,
            "1,204 of 80,000 log lines were not mined into templates of their own: the template \
             miner's budgets were spent"
        );
        assert!(notice
            .detail
            .contains("5,000 templates and 250,000 distinct words"));
    }

    #[test]
    fn one_line_is_singular_and_the_total_never_below_the_count() {
        let miner = MinerConfig::default();
        let input = NoticeInput {
            log_records: 0,
            overflowed_log_messages: 1,
            miner: &miner,
        };
        assert!(analysis_notices(&input)[0]
            .title
            .starts_with("1 of 1 log line was not mined"));
    }

    #[test]
    fn thousands_are_grouped() {
        for (value, text) in [
            (0, "0"),
            (999, "999"),
            (1_000, "1,000"),
            (123_456, "123,456"),
            (1_234_567, "1,234,567"),
            (u64::MAX, "18,446,744,073,709,551,615"),
        ] {
            assert_eq!(thousands(value), text);
        }
    }
}
