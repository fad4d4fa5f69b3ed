//! Splits a log message into tokens and masks the ones that are obviously variables.
//!
//! Masking happens before the template miner sees a token, so numbers, ids, addresses and
//! paths never split the prefix tree, and one default configuration fits every log:
//!
//! - whitespace separates tokens; `key=value` becomes two tokens (`key=` glued to the value,
//!   which may be empty) so the value can vary while the key stays a constant;
//! - leading brackets/quotes and trailing punctuation stay attached to the token but do not
//!   hide what is inside: `[10.0.0.1]` becomes `[<*>]`, `1190,` becomes `<*>,`;
//! - a token made of numbers, hex runs and separators (IP, `ip:port`, time, UUID, hash, hex
//!   address) becomes `<*>`; a token holding a path or URL with a digit becomes `<*>`;
//! - an identifier with a numeric part is one value (`blk_-123`, `job_1445_0020`), but a
//!   numbered name keeps its name (`node-12` becomes `node-<*>`, `core.2275` `core.<*>`);
//!   a word that merely contains digits stays a word (`eth1`), and fields between
//!   delimiters are masked one by one: `IOThunderboltSwitch<0>(0x0)::listenerCallback`
//!   becomes `IOThunderboltSwitch<<*>>(<*>)::listenerCallback`;
//! - a size unit after a number stays a token (the miner decides whether it varies), except
//!   in brackets of their own: `(1.37 KB)` becomes `(<*>)`;
//! - dotted names with at least two dots (host names, fully qualified class or package
//!   names used as values) become `<*>` when [`MaskingRules::dotted_names`] is on;
//! - in an HTTP request line (`"GET /v2/servers HTTP/1.1"`) the target and the protocol
//!   version are one value: `"GET <*>"`.

mod chunks;
mod dates;
mod http;
mod neighbours;
mod values;

use chunks::{affix_lengths, key_value_split, whitespace_chunks};
pub(crate) use chunks::{is_leading_punctuation, is_trailing_punctuation};
use dates::is_calendar_name;
use http::is_request_method;
use neighbours::is_size_unit;
pub(crate) use neighbours::size_unit_suffix;
use std::ops::Range;
use values::{classify, Class};

/// The text the miner writes for a variable part of a message.
pub const WILDCARD: &str = "<*>";

/// Which optional masking rules apply. Numbers, ids and paths with digits are always masked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MaskingRules {
    /// Treat `a.b.c` style names (two dots or more, no spaces) as variables.
    pub dotted_names: bool,
}

/// Where the text of one token lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TokenText {
    /// A slice of the message, unchanged.
    Message(Range<usize>),
    /// A whole whitespace-separated chunk of the message that is one plain word: masking
    /// left it unchanged and gave it no hint, so the same chunk text always yields this
    /// same single token (the caller may remember it and skip masking next time).
    Chunk(Range<usize>),
    /// A whole chunk the caller already knew as a plain word, with its id (see
    /// [`Tokenizer::tokenize`]); masking was skipped.
    Known(Range<usize>, u32),
    /// A slice of the tokenizer's scratch buffer (a masked form such as `[<*>]`).
    Scratch(Range<usize>),
    /// Exactly `<*>`.
    Wildcard,
}

impl TokenText {
    /// The token's range in the message, when its text is the message's own.
    fn message_range(&self) -> Option<Range<usize>> {
        match self {
            TokenText::Message(range) | TokenText::Chunk(range) | TokenText::Known(range, _) => {
                Some(range.clone())
            }
            TokenText::Scratch(_) | TokenText::Wildcard => None,
        }
    }
}

/// One token of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Token {
    /// The token text, after masking.
    pub text: TokenText,
    /// True when the token contains a masked part (`<*>`): such tokens never key the tree.
    pub variable: bool,
    /// What the later passes over the whole message need to know about the token.
    hint: Hint,
}

/// Facts about a token found while masking it, for the passes that look at neighbours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hint {
    None,
    /// Entirely variable apart from punctuation (`<*>`, `(<*>`).
    Number,
    /// A weekday or month name.
    Calendar,
    /// A byte-size unit (`KB`).
    SizeUnit,
    /// The word `user`, which names the account that follows it.
    User,
    /// An HTTP method (`GET`, `"POST`), which may start a request line.
    RequestMethod,
}

impl Hint {
    /// The bit of a hint that asks for a pass over the whole message (0 for the others).
    fn bit(self) -> u8 {
        match self {
            Hint::None | Hint::Number => 0,
            hint => 1 << hint as u8,
        }
    }
}

impl Token {
    const WILDCARD: Token = Token {
        text: TokenText::Wildcard,
        variable: true,
        hint: Hint::Number,
    };
}

/// Reusable buffers for tokenizing one message at a time without allocating per line.
#[derive(Debug, Default)]
pub(crate) struct Tokenizer {
    /// Tokens of the last message.
    pub tokens: Vec<Token>,
    /// Masked token texts of the last message.
    pub scratch: String,
    core_buffer: String,
    /// The hints of the last message's tokens, one bit each ([`Hint::bit`]): the passes
    /// over the whole message run only when a token asked for them.
    hints: u8,
}

impl Tokenizer {
    /// Tokenizes `message`, replacing the previous contents of the buffers. At most
    /// `max_tokens` tokens are produced: the rest of a longer message folds into a final `<*>`.
    ///
    /// `known_word` returns the id the caller gave a chunk text it saw before as a
    /// [`TokenText::Chunk`]: such chunks become [`TokenText::Known`] without masking, which
    /// is most of the words of a log.
    pub fn tokenize(
        &mut self,
        message: &str,
        rules: MaskingRules,
        max_tokens: usize,
        known_word: impl Fn(&str) -> Option<u32>,
    ) {
        self.tokens.clear();
        self.scratch.clear();
        self.hints = 0;
        let max_tokens = max_tokens.max(1);
        let mut chunks = whitespace_chunks(message).peekable();
        while let Some(chunk) = chunks.next() {
            // A chunk starting with a digit is a value, never a plain word: skip the lookup.
            let known = match message.as_bytes()[chunk.start] {
                b'0'..=b'9' => None,
                _ => known_word(&message[chunk.clone()]),
            };
            match known {
                Some(id) => self.tokens.push(Token {
                    text: TokenText::Known(chunk, id),
                    variable: false,
                    hint: Hint::None,
                }),
                None => self.push_chunk(message, chunk, rules),
            }
            let more = chunks.peek().is_some();
            if self.tokens.len() > max_tokens || (more && self.tokens.len() >= max_tokens) {
                // Too long to mine token by token: whatever is left is one variable tail.
                self.tokens.truncate(max_tokens - 1);
                self.tokens.push(Token::WILDCARD);
                break;
            }
        }
        if self.hints == 0 {
            return;
        }
        let has = |hint: Hint| self.hints & hint.bit() != 0;
        let (calendar, unit, user) = (has(Hint::Calendar), has(Hint::SizeUnit), has(Hint::User));
        if has(Hint::RequestMethod) {
            self.mask_request_lines(message);
        }
        if calendar {
            self.mask_dates(message);
        }
        if unit {
            self.mask_size_units(message);
        }
        if user {
            self.mask_user_names(message);
        }
    }

    /// The text of a token produced by the last call to [`Tokenizer::tokenize`].
    pub fn text<'a>(&'a self, message: &'a str, token: &Token) -> &'a str {
        match &token.text {
            TokenText::Message(range) | TokenText::Chunk(range) | TokenText::Known(range, _) => {
                &message[range.clone()]
            }
            TokenText::Scratch(range) => &self.scratch[range.clone()],
            TokenText::Wildcard => WILDCARD,
        }
    }

    fn push_chunk(&mut self, message: &str, chunk: Range<usize>, rules: MaskingRules) {
        let text = &message[chunk.clone()];
        let (prefix_len, mut suffix_len) = affix_lengths(text);
        if text[prefix_len..].starts_with('/') {
            // Dots right after a path belong to it (`part-00011.`): a file name may end in one,
            // so the path is the value up to them, as the corrected Loghub annotations write it.
            let suffix = &text[text.len() - suffix_len..];
            suffix_len -= suffix.len() - suffix.trim_start_matches('.').len();
        }
        let core_start = chunk.start + prefix_len;
        let core_end = chunk.end - suffix_len;
        let core = &message[core_start..core_end];
        if let Some(equals) = key_value_split(core) {
            // `key=value`: the key (with any leading bracket) is a constant glued to the value.
            let key_end = core_start + equals + 1;
            self.tokens.push(Token {
                text: TokenText::Message(chunk.start..key_end),
                variable: false,
                hint: Hint::None,
            });
            self.push_masked(message, key_end..chunk.end, key_end..core_end, rules);
        } else {
            let index = self.tokens.len();
            self.push_masked(message, chunk.clone(), core_start..core_end, rules);
            let token = &mut self.tokens[index];
            if !token.variable
                && token.hint == Hint::None
                && token.text == TokenText::Message(chunk.clone())
            {
                token.text = TokenText::Chunk(chunk);
            }
        }
    }

    /// Pushes the token `whole` whose meaningful part is `core` (the rest is punctuation).
    fn push_masked(
        &mut self,
        message: &str,
        whole: Range<usize>,
        core: Range<usize>,
        rules: MaskingRules,
    ) {
        let core_text = &message[core.clone()];
        let mut core_buffer = std::mem::take(&mut self.core_buffer);
        let class = classify(core_text, rules, &mut core_buffer);
        let token = match class {
            Class::Literal => Token {
                text: TokenText::Message(whole),
                variable: false,
                hint: if is_calendar_name(core_text) {
                    Hint::Calendar
                } else if is_size_unit(core_text) {
                    Hint::SizeUnit
                } else if core_text.eq_ignore_ascii_case("user") {
                    Hint::User
                } else if is_request_method(core_text) {
                    Hint::RequestMethod
                } else {
                    Hint::None
                },
            },
            Class::Variable if whole == core => Token::WILDCARD,
            Class::Variable | Class::Masked => {
                let start = self.scratch.len();
                self.scratch.push_str(&message[whole.start..core.start]);
                match class {
                    Class::Variable => self.scratch.push_str(WILDCARD),
                    _ => self.scratch.push_str(&core_buffer),
                }
                self.scratch.push_str(&message[core.end..whole.end]);
                Token {
                    text: TokenText::Scratch(start..self.scratch.len()),
                    variable: true,
                    hint: if class == Class::Variable {
                        Hint::Number
                    } else {
                        Hint::None
                    },
                }
            }
        };
        self.core_buffer = core_buffer;
        self.hints |= token.hint.bit();
        self.tokens.push(token);
    }
}

#[cfg(test)]
mod tests;
