//! Dates written inside messages (`at Fri Jun 17 07:07:00 2005`): one date is one value.

use super::{affix_lengths, Hint, Token, TokenText, Tokenizer, WILDCARD};
use std::ops::Range;

impl Tokenizer {
    /// Turns a date written inside the message (`at Fri Jun 17 07:07:00 2005`: a run of
    /// weekday/month names and numbers with at least one of each) into one variable token:
    /// one date is one value, however many words its format spells it in, so formats with
    /// and without a weekday or year still give the same template. The token keeps the
    /// delimiters between its fields and drops the spaces (`<*>:<*>:<*>`), as the corrected
    /// Loghub annotations write such dates.
    pub(super) fn mask_dates(&mut self, message: &str) {
        let mut position = 0;
        while position < self.tokens.len() {
            let start = position;
            let mut has_name = false;
            let mut has_number = false;
            while position < self.tokens.len() {
                let token = &self.tokens[position];
                if token.variable {
                    has_number = true;
                } else if token.hint == Hint::Calendar {
                    has_name = true;
                } else {
                    break;
                }
                position += 1;
            }
            if has_name && has_number {
                self.collapse_date(message, start..position);
                position = start + 1;
            }
            position = position.max(start + 1);
        }
    }

    /// Replaces the tokens `span` (a date) by one token: their texts with names masked,
    /// joined, and every run of variables separated only by spaces written as one `<*>`.
    pub(super) fn collapse_date(&mut self, message: &str, span: Range<usize>) {
        let mut joined = String::new();
        for index in span.clone() {
            let token = &self.tokens[index];
            let text = match (&token.text, token.hint) {
                (TokenText::Message(range), Hint::Calendar) => {
                    let (prefix, suffix) = affix_lengths(&message[range.clone()]);
                    let text = &message[range.clone()];
                    format!(
                        "{}{WILDCARD}{}",
                        &text[..prefix],
                        &text[text.len() - suffix..]
                    )
                }
                _ => self.text(message, token).to_owned(),
            };
            if !joined.is_empty() {
                joined.push(' ');
            }
            joined.push_str(&text);
        }
        let spaced = format!("{WILDCARD} {WILDCARD}");
        while joined.contains(&spaced) {
            joined = joined.replace(&spaced, WILDCARD);
        }
        let token = if joined == WILDCARD {
            Token::WILDCARD
        } else {
            let start = self.scratch.len();
            self.scratch.push_str(&joined);
            Token {
                text: TokenText::Scratch(start..self.scratch.len()),
                variable: true,
                hint: Hint::Number,
            }
        };
        self.tokens.splice(span, std::iter::once(token));
    }
}

/// English weekday and month names, full or abbreviated, as dates print them.
pub(super) fn is_calendar_name(core: &str) -> bool {
    const NAMES: [&str; 19] = [
        "mon", "tue", "wed", "thu", "fri", "sat", "sun", "jan", "feb", "mar", "apr", "may", "jun",
        "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    // Dates print names capitalised (`Jun`, `JUN`); lower case is prose ("it may 5 times").
    let bytes = core.as_bytes();
    if core.len() < 3
        || core.len() > 9
        || !bytes[0].is_ascii_uppercase()
        || !bytes[..3].iter().all(u8::is_ascii_alphabetic)
    {
        return false;
    }
    let abbreviation = &core[..3];
    if !NAMES
        .iter()
        .any(|name| name.eq_ignore_ascii_case(abbreviation))
    {
        return false;
    }
    core.len() == 3
        || core.eq_ignore_ascii_case("sept")
        || FULL_NAMES
            .iter()
            .any(|name| name.eq_ignore_ascii_case(core))
}

const FULL_NAMES: [&str; 19] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "january",
    "february",
    "march",
    "april",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "may",
];
