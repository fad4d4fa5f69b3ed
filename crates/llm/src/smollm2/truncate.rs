//! Fitting a prompt into the context window: the system turn (front) and the most recent turns
//! (end, with the generation prompt) are kept; what goes is the oldest part of the middle.

/// Joins prompt segments (one per turn, the generation prompt last) into at most `budget` tokens.
///
/// First whole turns are dropped, oldest first, between the first segment (the system turn) and
/// the last two (the latest turn and the generation prompt). If that is not enough, tokens are cut
/// from the front of the middle: after at most half the budget of the head, `marker` is inserted
/// where tokens were removed, and the tail is kept intact.
pub fn fit_prompt(segments: &[Vec<u32>], budget: usize, marker: &[u32]) -> Vec<u32> {
    let total: usize = segments.iter().map(Vec::len).sum();
    if total <= budget {
        return segments.concat();
    }
    let mut kept: Vec<&Vec<u32>> = segments.iter().collect();
    let mut kept_total = total;
    // Indices 1..len-2 are whole middle turns; drop the oldest until it fits.
    while kept.len() > 3 && kept_total > budget {
        kept_total -= kept[1].len();
        kept.remove(1);
    }
    let joined: Vec<u32> = kept
        .iter()
        .flat_map(|segment| segment.iter().copied())
        .collect();
    if joined.len() <= budget {
        return joined;
    }
    let head_length = if kept.len() >= 2 { kept[0].len() } else { 0 };
    cut_front_of_middle(&joined, head_length.min(budget / 2), budget, marker)
}

/// Keeps `tokens[..head_length]`, then `marker`, then as long a tail as fits in `budget`.
fn cut_front_of_middle(
    tokens: &[u32],
    head_length: usize,
    budget: usize,
    marker: &[u32],
) -> Vec<u32> {
    if tokens.len() <= budget {
        return tokens.to_vec();
    }
    // A marker that does not leave room for content is dropped rather than crowd out the tail.
    let marker = if marker.len() + head_length < budget / 2 {
        marker
    } else {
        &[]
    };
    let tail_length = budget - head_length - marker.len();
    let mut fitted = Vec::with_capacity(budget);
    fitted.extend_from_slice(&tokens[..head_length]);
    fitted.extend_from_slice(marker);
    fitted.extend_from_slice(&tokens[tokens.len() - tail_length..]);
    fitted
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn check(segments: &[&[u32]], budget: usize, expected: &[u32]) {
        let segments: Vec<Vec<u32>> = segments.iter().map(|s| s.to_vec()).collect();
        assert_eq!(fit_prompt(&segments, budget, &[0]), expected);
    }

    #[test]
    fn a_prompt_that_fits_is_unchanged() {
        check(&[&[1, 1], &[2, 2], &[9]], 5, &[1, 1, 2, 2, 9]);
    }

    #[test]
    fn oldest_middle_turns_go_first() {
        check(&[&[1], &[2, 2], &[3, 3], &[4], &[9]], 5, &[1, 3, 3, 4, 9]);
        check(&[&[1], &[2, 2], &[3, 3], &[4], &[9]], 3, &[1, 4, 9]);
    }

    #[test]
    fn a_long_last_turn_loses_its_front() {
        check(
            &[&[1, 1], &[5, 6, 7, 8, 9, 10, 11, 12], &[99]],
            8,
            &[1, 1, 0, 9, 10, 11, 12, 99],
        );
    }

    #[test]
    fn a_huge_system_turn_keeps_at_most_half_the_budget() {
        check(
            &[&[1, 1, 1, 1, 1, 1, 1, 1], &[5, 6], &[99]],
            8,
            &[1, 1, 1, 1, 1, 5, 6, 99],
        );
    }

    proptest! {
        #[test]
        fn fitted_prompt_respects_budget_and_keeps_the_end(
            segments in proptest::collection::vec(proptest::collection::vec(1u32..100, 0..40), 1..8),
            budget in 4usize..120,
        ) {
            let fitted = fit_prompt(&segments, budget, &[0, 0]);
            prop_assert!(fitted.len() <= budget);
            let total: usize = segments.iter().map(Vec::len).sum();
            if total <= budget {
                prop_assert_eq!(fitted, segments.concat());
            } else {
                // The generation prompt (last segment) always survives whole when it fits in half.
                let last = segments.last().cloned().unwrap_or_default();
                if last.len() <= budget / 2 {
                    prop_assert!(fitted.ends_with(&last));
                }
            }
        }
    }
}
