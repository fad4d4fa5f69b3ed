//! Alignment of two templates of different lengths by their longest common subsequence of
//! tokens (the idea of Brain's bidirectional longest common pattern, on whole templates).
//!
//! The prefix tree keys templates by token count, so an event whose messages carry an
//! optional variable part (`sent` vs `(1.2 KB) sent`, `lifetime 00:01` vs `lifetime <1 sec`)
//! would be split into one template per length. Two templates are the same event when their
//! constant tokens align and every stretch between aligned tokens (a *gap*) is a short
//! variable part: it holds a value (a token that is all variable apart from punctuation:
//! `<*>`, `(<*>)`, `<*>:<*>`) on at least one side, and at most one word, on one side only
//! (two different words in one place are two events). The merged template keeps the aligned
//! tokens and writes each gap as one `<*>`.

use crate::intern::{TokenId, WILDCARD_ID};

/// Longest stretch of unaligned tokens on one side of a gap.
const MAX_GAP_TOKENS: usize = 3;

/// Plain words allowed on one side of a gap (`sec` in `<1 sec` against `00:01`).
const MAX_GAP_WORDS: usize = 1;

/// Share of each template's constant tokens that must align with the other's.
const MIN_ALIGNED_SHARE: f64 = 0.75;

/// Constant tokens that must align at least: two templates sharing one word are not one event.
const MIN_ALIGNED_CONSTANTS: usize = 2;

/// Reusable buffers for aligning token sequences without allocating per call.
#[derive(Debug, Default)]
pub(super) struct Aligner {
    /// LCS lengths, `(a.len() + 1) * (b.len() + 1)` cells, row-major by `a`.
    table: Vec<u16>,
    /// Aligned index pairs, in order.
    pairs: Vec<(usize, usize)>,
}

impl Aligner {
    /// True when `a` and `b` are templates of the same event that differ only in short
    /// variable parts (see the module documentation). `is_value` tells the tokens that are
    /// all variable apart from punctuation; every other token counts as a word.
    pub fn same_event(
        &mut self,
        a: &[TokenId],
        b: &[TokenId],
        is_value: impl Fn(TokenId) -> bool,
    ) -> bool {
        self.align(a, b);
        let constant = |token: TokenId| !is_value(token);
        let aligned_constants = self.pairs.iter().filter(|&&(i, _)| constant(a[i])).count();
        let constants_a = a.iter().filter(|&&t| constant(t)).count();
        let constants_b = b.iter().filter(|&&t| constant(t)).count();
        let share =
            |constants: usize| aligned_constants as f64 >= MIN_ALIGNED_SHARE * constants as f64;
        if aligned_constants < MIN_ALIGNED_CONSTANTS || !share(constants_a) || !share(constants_b) {
            return false;
        }
        self.gaps(a.len(), b.len()).all(|(gap_a, gap_b)| {
            let words = |gap: &[TokenId]| gap.iter().filter(|&&t| constant(t)).count();
            let (slice_a, slice_b) = (&a[gap_a], &b[gap_b]);
            let (words_a, words_b) = (words(slice_a), words(slice_b));
            let has_value = slice_a.iter().chain(slice_b).any(|&t| is_value(t));
            has_value
                && slice_a.len().max(slice_b.len()) <= MAX_GAP_TOKENS
                && words_a.max(words_b) <= MAX_GAP_WORDS
                && words_a.min(words_b) == 0
        })
    }

    /// Number of aligned token pairs found by the last call.
    pub fn aligned_len(&self) -> usize {
        self.pairs.len()
    }

    /// The template covering both `a` and `b`: their aligned tokens, each gap as one `<*>`.
    pub fn merge(&mut self, a: &[TokenId], b: &[TokenId], merged: &mut Vec<TokenId>) {
        self.align(a, b);
        merged.clear();
        let mut previous = (0, 0);
        for index in 0..=self.pairs.len() {
            let (i, j) = self.pairs.get(index).copied().unwrap_or((a.len(), b.len()));
            if i > previous.0 || j > previous.1 {
                merged.push(WILDCARD_ID);
            }
            if index < self.pairs.len() {
                merged.push(a[i]);
            }
            previous = (i + 1, j + 1);
        }
    }

    /// The unaligned stretches between consecutive aligned pairs (and before the first and
    /// after the last), as index ranges into `a` and `b`; stretches empty on both sides are
    /// skipped.
    fn gaps(
        &self,
        len_a: usize,
        len_b: usize,
    ) -> impl Iterator<Item = (std::ops::Range<usize>, std::ops::Range<usize>)> + '_ {
        let ends = self
            .pairs
            .iter()
            .copied()
            .chain(std::iter::once((len_a, len_b)));
        let mut previous = (0, 0);
        ends.filter_map(move |(i, j)| {
            let gap = (previous.0..i, previous.1..j);
            previous = (i + 1, j + 1);
            (!gap.0.is_empty() || !gap.1.is_empty()).then_some(gap)
        })
    }

    /// Fills `pairs` with a longest common subsequence of `a` and `b` (equal token ids).
    fn align(&mut self, a: &[TokenId], b: &[TokenId]) {
        let width = b.len() + 1;
        self.table.clear();
        self.table.resize((a.len() + 1) * width, 0);
        for i in (0..a.len()).rev() {
            for j in (0..b.len()).rev() {
                self.table[i * width + j] = if a[i] == b[j] {
                    self.table[(i + 1) * width + j + 1] + 1
                } else {
                    self.table[(i + 1) * width + j].max(self.table[i * width + j + 1])
                };
            }
        }
        self.pairs.clear();
        let (mut i, mut j) = (0, 0);
        while i < a.len() && j < b.len() {
            if a[i] == b[j] {
                self.pairs.push((i, j));
                i += 1;
                j += 1;
            } else if self.table[(i + 1) * width + j] >= self.table[i * width + j + 1] {
                i += 1;
            } else {
                j += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Token ids for the tests: 0 is `<*>`, 1..=9 are values (`(<*>)`), 10.. words.
    fn is_variable(token: TokenId) -> bool {
        token < 10
    }

    #[test]
    fn different_words_in_one_place_do_not_align() {
        // `fp cr field ....<*>` against `fp cr update....<*>`: a word on each side.
        let mut aligner = Aligner::default();
        assert!(!aligner.same_event(&[10, 11, 12, 1], &[10, 11, 13], is_variable));
        // A word against a value is a variable that once held a word.
        assert!(aligner.same_event(&[10, 11, 12, 14], &[10, 11, 0, 3, 14], is_variable));
    }

    #[test]
    fn an_optional_variable_part_aligns() {
        // close, <*> bytes sent, ... against close, <*> bytes (<*>) sent, ...
        let a = [10, 0, 11, 12, 0, 11, 13, 14, 0];
        let b = [10, 0, 11, 1, 12, 0, 11, 13, 14, 2, 15];
        let mut aligner = Aligner::default();
        assert!(aligner.same_event(&a, &b, is_variable));
        let mut merged = Vec::new();
        aligner.merge(&a, &b, &mut merged);
        assert_eq!(merged, [10, 0, 11, 0, 12, 0, 11, 13, 14, 0]);
    }

    #[test]
    fn different_words_do_not_align() {
        // Could not resolve <*> error <*> against connection attempt failed with error <*>.
        let a = [10, 11, 12, 13, 14, 15, 16, 0, 17, 0];
        let b = [10, 11, 12, 13, 14, 18, 19, 20, 21, 17, 0];
        let mut aligner = Aligner::default();
        assert!(!aligner.same_event(&a, &b, is_variable));
    }

    #[test]
    fn a_gap_of_words_only_does_not_align() {
        let mut aligner = Aligner::default();
        let a = [10, 11, 0, 12];
        // An extra word (not a variable) marks another event.
        assert!(!aligner.same_event(&a, &[10, 11, 13, 0, 12], is_variable));
        assert!(!aligner.same_event(&a, &[10, 11, 0, 12, 13], is_variable));
        // An extra variable is an optional part.
        assert!(aligner.same_event(&a, &[10, 11, 0, 3, 12], is_variable));
        // One shared word is not enough evidence.
        assert!(!aligner.same_event(&[10, 0], &[10, 0, 0], is_variable));
    }
}
