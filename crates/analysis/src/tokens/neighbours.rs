//! Words whose role their neighbours tell: a size unit after a number belongs to the value,
//! and the word after `for user` is an account name.

use super::{affix_lengths, Hint, Token, TokenText, Tokenizer, WILDCARD};
use std::ops::Range;

impl Tokenizer {
    /// The word after `for user` is an account name (`session opened for user alice`,
    /// `Accepted password for user bob`): a value, whatever the name. A bare `user` is often
    /// an adjective (`user request`, `user unknown`), and `user=root` is a key and value
    /// whose values the miner learns from variation.
    pub(super) fn mask_user_names(&mut self, message: &str) {
        for index in 2..self.tokens.len() {
            let follows_user = self.tokens[index - 1].hint == Hint::User
                && self.tokens[index - 2]
                    .text
                    .message_range()
                    .is_some_and(|range| message[range].eq_ignore_ascii_case("for"));
            let token = &self.tokens[index];
            if let (true, false, Some(range)) =
                (follows_user, token.variable, token.text.message_range())
            {
                self.tokens[index] = self.wildcard_with_affixes(message, range);
            }
        }
    }

    /// A byte-size unit right after a number (`5.2 KB`, `216.0 B`) changes with the
    /// magnitude, so it belongs to the variable: the two tokens become one `<*>` (as `5.2KB`
    /// would), keeping the number's leading and the unit's trailing punctuation.
    pub(super) fn mask_size_units(&mut self, message: &str) {
        let mut index = 1;
        while index < self.tokens.len() {
            let merge = self.tokens[index].hint == Hint::SizeUnit
                && self.tokens[index - 1].hint == Hint::Number;
            if let (true, TokenText::Message(unit)) = (merge, self.tokens[index].text.clone()) {
                let number = self.text(message, &self.tokens[index - 1]);
                let prefix_len = number.find(WILDCARD).unwrap_or(0);
                let (_, suffix_len) = affix_lengths(&message[unit.clone()]);
                let start = self.scratch.len();
                let prefix = number[..prefix_len].to_owned();
                self.scratch.push_str(&prefix);
                self.scratch.push_str(WILDCARD);
                self.scratch
                    .push_str(&message[unit.end - suffix_len..unit.end]);
                self.tokens[index - 1] = Token {
                    text: TokenText::Scratch(start..self.scratch.len()),
                    variable: true,
                    hint: Hint::Number,
                };
                self.tokens.remove(index);
            } else {
                index += 1;
            }
        }
    }

    /// `<*>` keeping the leading and trailing punctuation of `message[range]`.
    pub(super) fn wildcard_with_affixes(&mut self, message: &str, range: Range<usize>) -> Token {
        let text = &message[range];
        let (prefix, suffix) = affix_lengths(text);
        if prefix == 0 && suffix == 0 {
            return Token::WILDCARD;
        }
        let start = self.scratch.len();
        self.scratch.push_str(&text[..prefix]);
        self.scratch.push_str(WILDCARD);
        self.scratch.push_str(&text[text.len() - suffix..]);
        Token {
            text: TokenText::Scratch(start..self.scratch.len()),
            variable: true,
            hint: Hint::Number,
        }
    }
}

/// Units of data sizes as human-readable formatters print them.
pub(super) fn is_size_unit(core: &str) -> bool {
    const UNITS: [&str; 14] = [
        "B", "KB", "kB", "MB", "GB", "TB", "PB", "KiB", "MiB", "GiB", "TiB", "kb", "mb", "gb",
    ];
    UNITS.contains(&core)
}
