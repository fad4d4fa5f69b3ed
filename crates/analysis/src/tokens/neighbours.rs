//! Words whose role their neighbours tell: a size unit after a number may belong to the value
//! (in brackets of their own here, elsewhere the miner decides: [`size_unit_suffix`]), and
//! the word after `for user` is an account name.

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

    /// A byte-size unit after a number in brackets of their own (`(1.37 KB)`) is part of
    /// one value: the two tokens become one `(<*>)`. A unit outside such brackets (`5.2 KB,`)
    /// stays a token, and the miner decides whether it varies with the number
    /// ([`size_unit_suffix`]).
    pub(super) fn mask_size_units(&mut self, message: &str) {
        let mut index = 1;
        while index < self.tokens.len() {
            let merge = self.tokens[index].hint == Hint::SizeUnit
                && self.tokens[index - 1].hint == Hint::Number;
            let (number, unit) = (&self.tokens[index - 1], &self.tokens[index]);
            let prefix_len = self.text(message, number).find(WILDCARD).unwrap_or(0);
            let (_, suffix_len) = affix_lengths(self.text(message, unit));
            let unit_text = self.text(message, unit);
            let closes = unit_text[unit_text.len() - suffix_len..].starts_with([')', ']', '}']);
            let bracketed = prefix_len > 0 && closes;
            if let (true, true, TokenText::Message(unit)) =
                (merge, bracketed, self.tokens[index].text.clone())
            {
                let number = self.text(message, &self.tokens[index - 1]);
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

/// The trailing punctuation of `token` when its core is a size unit (`KB,` gives `,`): the
/// miner makes units that change after a number part of the number's variable (`5.2 KB`
/// and `216 B` are one value each), and keeps one that never changes as a constant
/// (`<*> MB`).
pub(crate) fn size_unit_suffix(token: &str) -> Option<&str> {
    let (prefix, suffix) = affix_lengths(token);
    let core = token.get(prefix..token.len() - suffix)?;
    (prefix == 0 && is_size_unit(core)).then(|| &token[token.len() - suffix..])
}

/// Units of data sizes as human-readable formatters print them.
pub(super) fn is_size_unit(core: &str) -> bool {
    const UNITS: [&str; 14] = [
        "B", "KB", "kB", "MB", "GB", "TB", "PB", "KiB", "MiB", "GiB", "TiB", "kb", "mb", "gb",
    ];
    UNITS.contains(&core)
}
