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
//! - a word that merely contains digits keeps its letters: `blk_-123` becomes `blk_-<*>`,
//!   `IOThunderboltSwitch<0>(0x0)::listenerCallback` becomes
//!   `IOThunderboltSwitch<<*>>(<*>)::listenerCallback`;
//! - dotted names with at least two dots (host names, fully qualified class or package
//!   names used as values) become `<*>` when [`MaskingRules::dotted_names`] is on;
//! - in an HTTP request line (`"GET /v2/servers HTTP/1.1"`) the target and the protocol
//!   version are one value: `"GET <*>"`.

use std::ops::Range;

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

    /// An HTTP request line (`"GET /v2/servers/detail HTTP/1.1"`, RFC 9112 `method SP
    /// request-target SP HTTP-version`) as access logs of every web server and proxy print
    /// it: the method names the event, while the target and the protocol version after it
    /// are one value (the request), written as one `<*>` with the version's trailing quote.
    fn mask_request_lines(&mut self, message: &str) {
        let mut index = 0;
        while index + 2 < self.tokens.len() {
            let version = self.text(message, &self.tokens[index + 2]);
            if self.tokens[index].hint != Hint::RequestMethod || !version.starts_with("HTTP/") {
                index += 1;
                continue;
            }
            // The punctuation after the masked version number (`<*>"`), not its `>`.
            let tail = version
                .rfind(WILDCARD)
                .map_or(version, |at| &version[at + WILDCARD.len()..]);
            let suffix_len = tail
                .bytes()
                .rev()
                .take_while(|&b| is_trailing_punctuation(b))
                .count();
            let suffix = tail[tail.len() - suffix_len..].to_owned();
            let token = if suffix.is_empty() {
                Token::WILDCARD
            } else {
                let start = self.scratch.len();
                self.scratch.push_str(WILDCARD);
                self.scratch.push_str(&suffix);
                Token {
                    text: TokenText::Scratch(start..self.scratch.len()),
                    variable: true,
                    hint: Hint::Number,
                }
            };
            self.tokens
                .splice(index + 1..index + 3, std::iter::once(token));
            index += 2;
        }
    }

    /// The word after `for user` is an account name (`session opened for user alice`,
    /// `Accepted password for user bob`): a value, whatever the name. A bare `user` is often
    /// an adjective (`user request`, `user unknown`), and `user=root` is a key and value
    /// whose values the miner learns from variation.
    fn mask_user_names(&mut self, message: &str) {
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
    fn mask_size_units(&mut self, message: &str) {
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
    fn wildcard_with_affixes(&mut self, message: &str, range: Range<usize>) -> Token {
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

    /// Turns a date written inside the message (`at Fri Jun 17 07:07:00 2005`: a run of
    /// weekday/month names and numbers with at least one of each) into one variable token:
    /// one date is one value, however many words its format spells it in, so formats with
    /// and without a weekday or year still give the same template. The token keeps the
    /// delimiters between its fields and drops the spaces (`<*>:<*>:<*>`), as the corrected
    /// Loghub annotations write such dates.
    fn mask_dates(&mut self, message: &str) {
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
    fn collapse_date(&mut self, message: &str, span: Range<usize>) {
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
        let (prefix_len, suffix_len) = affix_lengths(text);
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

/// HTTP methods as request lines print them (upper case, RFC 9110 and WebDAV's common ones).
fn is_request_method(core: &str) -> bool {
    const METHODS: [&str; 9] = [
        "GET", "POST", "PUT", "DELETE", "HEAD", "PATCH", "OPTIONS", "CONNECT", "PROPFIND",
    ];
    METHODS.contains(&core)
}

/// Units of data sizes as human-readable formatters print them.
fn is_size_unit(core: &str) -> bool {
    const UNITS: [&str; 14] = [
        "B", "KB", "kB", "MB", "GB", "TB", "PB", "KiB", "MiB", "GiB", "TiB", "kb", "mb", "gb",
    ];
    UNITS.contains(&core)
}

/// English weekday and month names, full or abbreviated, as dates print them.
fn is_calendar_name(core: &str) -> bool {
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

/// Longest quoted string kept in one token; longer ones split on whitespace as usual.
const MAX_QUOTED: usize = 160;

/// [`CHUNK_BYTE_CLASS`] of a byte that needs no decision inside a chunk.
const PLAIN: u8 = 0;

/// For each byte: [`PLAIN`], or 1 for the bytes [`whitespace_chunks`] must look at (ASCII
/// whitespace, quotes, and the bytes of non-ASCII characters, which may be whitespace).
const CHUNK_BYTE_CLASS: [u8; 256] = {
    let mut table = [PLAIN; 256];
    let mut byte = 0;
    while byte < 256 {
        let b = byte as u8;
        if b.is_ascii_whitespace() || b == b'"' || b == b'\'' || b >= 0x80 {
            table[byte] = 1;
        }
        byte += 1;
    }
    table
};

/// Byte ranges of the whitespace-separated chunks of `text`. A quoted string that starts a
/// chunk or a value (`tag="View Lock"`) stays in one chunk, spaces included: it is one value.
fn whitespace_chunks(text: &str) -> impl Iterator<Item = Range<usize>> + '_ {
    let bytes = text.as_bytes();
    let mut position = 0;
    std::iter::from_fn(move || {
        while position < bytes.len() {
            let byte = bytes[position];
            if byte.is_ascii_whitespace() {
                position += 1;
            } else if byte >= 0x80 {
                let character = text[position..].chars().next()?;
                if !character.is_whitespace() {
                    break;
                }
                position += character.len_utf8();
            } else {
                break;
            }
        }
        if position >= bytes.len() {
            return None;
        }
        let start = position;
        let mut index = start;
        while index < bytes.len() {
            // Most bytes of a chunk are plain: skip them with one table lookup each.
            while index < bytes.len() && CHUNK_BYTE_CLASS[usize::from(bytes[index])] == PLAIN {
                index += 1;
            }
            let Some(&byte) = bytes.get(index) else {
                break;
            };
            if byte.is_ascii_whitespace() {
                break;
            }
            if byte >= 0x80 {
                // Non-ASCII whitespace (NBSP, ...) also separates chunks.
                let character = text[index..].chars().next().unwrap_or(' ');
                if character.is_whitespace() {
                    break;
                }
                index += character.len_utf8();
                continue;
            }
            // Only `key="quoted value"`: a quoted value is one field even with spaces, while
            // free-standing quotes (`"GET /path HTTP/1.1"`) split so their words can vary.
            let opens_value = index > start && bytes[index - 1] == b'=';
            if (byte == b'"' || byte == b'\'') && opens_value {
                let limit = bytes.len().min(index + 1 + MAX_QUOTED);
                if let Some(offset) = bytes[index + 1..limit].iter().position(|&b| b == byte) {
                    index += offset + 2;
                    continue;
                }
            }
            index += 1;
        }
        position = index;
        Some(start..index)
    })
}

pub(crate) fn is_leading_punctuation(byte: u8) -> bool {
    matches!(byte, b'(' | b'[' | b'{' | b'<' | b'"' | b'\'' | b'`')
}

pub(crate) fn is_trailing_punctuation(byte: u8) -> bool {
    matches!(
        byte,
        b')' | b']' | b'}' | b'>' | b'"' | b'\'' | b'`' | b',' | b';' | b':' | b'.' | b'!' | b'?'
    )
}

/// How many bytes of leading and trailing punctuation surround the core of a chunk.
fn affix_lengths(chunk: &str) -> (usize, usize) {
    let bytes = chunk.as_bytes();
    let prefix = bytes
        .iter()
        .take_while(|&&b| is_leading_punctuation(b))
        .count();
    let suffix = bytes[prefix..]
        .iter()
        .rev()
        .take_while(|&&b| is_trailing_punctuation(b))
        .count();
    (prefix, suffix)
}

/// Position of the `=` of a `key=value` core, when the key looks like a field name.
fn key_value_split(core: &str) -> Option<usize> {
    let equals = core.bytes().position(|b| b == b'=')?;
    let key = &core[..equals];
    let value = &core[equals + 1..];
    let key_ok = !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
        && key.bytes().any(|b| b.is_ascii_alphabetic());
    let value_ok = !value.starts_with(['=', '>']);
    (key_ok && value_ok).then_some(equals)
}

/// What masking made of a token core.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    /// A constant word: kept as it is.
    Literal,
    /// Entirely variable: becomes `<*>`.
    Variable,
    /// A word with variable parts: the masked form was written to the buffer.
    Masked,
}

/// Bytes that split a token into fields, each classified on its own: `ip:port` is two
/// variables, `key(value)` keeps its brackets. `.`, `_`, `-` and `+` do not split: they join
/// the parts of one identifier (`10.0.0.1`, `rdd_42_7`, `mesos-slave-07`), which is one
/// variable.
fn is_field_delimiter(byte: u8) -> bool {
    matches!(
        byte,
        b':' | b','
            | b'='
            | b'@'
            | b'#'
            | b'('
            | b')'
            | b'['
            | b']'
            | b'{'
            | b'}'
            | b';'
            | b'|'
            | b'\''
            | b'"'
            | b'<'
            | b'>'
            | b'/'
            | b'\\'
            | b'$'
            | b'&'
            | b'!'
            | b'?'
            | b'*'
            | b'%'
    )
}

/// Classifies a token core and writes its masked form to `masked`.
///
/// The convention follows the corrected Loghub annotations (Khan et al., ICSE'22; Loghub-2.0),
/// which is also what a reader expects: a variable replaces a whole identifier, not the
/// digits inside it (`blk_-42` and `job_1445_0020` are `<*>`, not `blk_-<*>`), delimiters
/// between variables stay (`<*>:<*>` for an address and port), absolute paths and URLs after
/// their scheme are variables, and a word that merely carries a digit in its name
/// (`eth1`, `jk2_init`, `Slf4jLogger`) stays a word: the miner turns it into `<*>` only if it
/// varies between messages of one template.
fn classify(core: &str, rules: MaskingRules, masked: &mut String) -> Class {
    masked.clear();
    if core.is_empty() {
        return Class::Literal;
    }
    if core == WILDCARD {
        return Class::Variable;
    }
    let bytes = core.as_bytes();
    let mut changed = false;
    let mut position = 0;
    if let Some(scheme_end) = url_scheme_end(core) {
        // `hdfs://namenode:8020/a/b`: the scheme is a constant, the rest one variable.
        masked.push_str(&core[..scheme_end]);
        masked.push_str(WILDCARD);
        return Class::Masked;
    }
    while position < bytes.len() {
        let byte = bytes[position];
        let after_delimiter = position == 0 || is_field_delimiter(bytes[position - 1]);
        if byte == b'/' && after_delimiter && starts_path(&bytes[position..]) {
            // An absolute path (`/var/log/app.log`, `(/p/gb1/x)`, `/10.0.0.1:50010`) up to
            // the next delimiter other than `/`: file names, mounts and addresses vary.
            position += 1;
            while position < bytes.len()
                && (bytes[position] == b'/' || !is_field_delimiter(bytes[position]))
            {
                position += 1;
            }
            masked.push_str(WILDCARD);
            changed = true;
            continue;
        }
        if is_field_delimiter(byte) || (byte == b'.' && bytes.get(position + 1) == Some(&b'.')) {
            // A run of dots (`processor.......0`) is layout, not part of a name.
            while position < bytes.len() && bytes[position] == b'.' && byte == b'.' {
                masked.push('.');
                position += 1;
            }
            if byte != b'.' {
                masked.push(char::from(byte));
                position += 1;
            }
            continue;
        }
        let start = position;
        while position < bytes.len()
            && !is_field_delimiter(bytes[position])
            && !(bytes[position] == b'.' && bytes.get(position + 1) == Some(&b'.'))
        {
            position += 1;
        }
        let field = &core[start..position];
        if is_variable_field(field, rules) {
            push_variable_field(field, masked);
            changed = true;
        } else {
            masked.push_str(field);
        }
    }
    // A byte test first: a substring search costs more than most tokens are long.
    let holds_wildcard = core.as_bytes().contains(&b'<') && core.contains(WILDCARD);
    if !changed && !holds_wildcard {
        Class::Literal
    } else if masked == WILDCARD {
        Class::Variable
    } else {
        Class::Masked
    }
}

/// True when `bytes` (starting with `/`) is a path: a name follows the slash.
fn starts_path(bytes: &[u8]) -> bool {
    bytes
        .get(1)
        .is_some_and(|&b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-' | b'~'))
}

/// Writes the masked form of a variable field: `<*>`, except that a date or a range of
/// plain numbers keeps its dashes (`2017-07-01` is `<*>-<*>-<*>`, as time is `<*>:<*>:<*>`).
fn push_variable_field(field: &str, masked: &mut String) {
    let numeric_dashes = field.contains('-')
        && field
            .split('-')
            .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()));
    if numeric_dashes {
        for (index, _) in field.split('-').enumerate() {
            if index > 0 {
                masked.push('-');
            }
            masked.push_str(WILDCARD);
        }
    } else {
        masked.push_str(WILDCARD);
    }
}

/// End of `scheme://` when `core` is a URL (`https://`, `hdfs://`, `spark://`).
fn url_scheme_end(core: &str) -> Option<usize> {
    // Cheap byte tests first: this runs on every token.
    let separator = core.bytes().position(|b| b == b':')?;
    // A `://` after a later colon would leave a colon in the scheme, which is invalid.
    if !core[separator..].starts_with("://") {
        return None;
    }
    let scheme = &core[..separator];
    let valid = !scheme.is_empty()
        && scheme.as_bytes()[0].is_ascii_alphabetic()
        && scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
    (valid && core.len() > separator + 3).then_some(separator + 3)
}

/// True when one field (no delimiters inside) is a value rather than a word: a number (with
/// or without a unit: `42`, `-7`, `0.25`, `100ms`, `64K`), a hex number or hash, an
/// identifier with a numeric part (`rdd_42_7`, `blk_-42`, `10.0.0.1`, `v1.2.3`), or a
/// dotted host name.
fn is_variable_field(field: &str, rules: MaskingRules) -> bool {
    let bytes = field.as_bytes();
    if !bytes.iter().any(u8::is_ascii_digit) {
        return is_value_word(field) || (rules.dotted_names && is_dotted_name(field));
    }
    let unsigned = field.trim_start_matches(['-', '+']);
    if unsigned.as_bytes().first().is_some_and(u8::is_ascii_digit) {
        return true;
    }
    if is_hex_number(field) || is_dashed_hex(field) {
        return true;
    }
    // Parts joined by `_`, `-`, `.`, `+`: any purely numeric part makes an identifier.
    let numeric_part = field
        .split(['_', '-', '.', '+'])
        .any(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()));
    numeric_part || (rules.dotted_names && is_dotted_name(field))
}

/// Words that are values wherever they appear. Empty on purpose: booleans and account names
/// (`true`, `root`) are values in the corrected Loghub annotations (Khan et al.'s "BL"/"US"
/// rules), but masking them up front merges events the original ground truth keeps apart
/// (`allDrawn= true` vs `false`, `user=root` vs `user=<*>`): measured on loghub-2k it cost
/// 0.10 GA on Android and 0.12 on Linux for +0.2 PA. The miner turns them into `<*>` when
/// they vary within one event.
fn is_value_word(field: &str) -> bool {
    const WORDS: [&str; 0] = [];
    WORDS.iter().any(|word| word.eq_ignore_ascii_case(field))
}

/// `0x1f`, or a run of hex digits long enough to be a hash or address rather than a word
/// (`9f4ef63`, `a64f992`; not `e820`, `add1`).
fn is_hex_number(run: &str) -> bool {
    if let Some(digits) = run.strip_prefix("0x").or_else(|| run.strip_prefix("0X")) {
        return !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_hexdigit());
    }
    run.len() >= 6
        && run.bytes().all(|b| b.is_ascii_hexdigit())
        && run.bytes().any(|b| b.is_ascii_digit())
        && run.bytes().any(|b| b.is_ascii_alphabetic())
}

/// A UUID or another long id of dash-separated hex runs (`96abccce-8d1f-4e07-b6d1-...`),
/// whether or not one of its runs happens to be all digits.
fn is_dashed_hex(field: &str) -> bool {
    field.len() >= 16
        && field.contains('-')
        && field.bytes().any(|b| b.is_ascii_digit())
        && field
            .split('-')
            .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// `host.example.com`: two or more dots between non-empty word segments. A name whose last
/// segment is capitalised (`java.io.IOException`, `org.apache.Foo`) is a class name, a
/// constant of the code, not a value.
fn is_dotted_name(core: &str) -> bool {
    // Most words have no dot at all: decide that without splitting.
    if core.bytes().filter(|&b| b == b'.').nth(1).is_none() {
        return false;
    }
    let mut segments = 0;
    let mut last = "";
    for segment in core.split('.') {
        if segment.is_empty()
            || !segment
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            return false;
        }
        segments += 1;
        last = segment;
    }
    // Capitalised last segments name classes and constants (`java.io.IOException`,
    // `android.intent.action.SCREEN_ON`): code, not values.
    let class_name = last.as_bytes()[0].is_ascii_uppercase();
    segments >= 3 && !class_name
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULES: MaskingRules = MaskingRules { dotted_names: true };

    fn check(message: &str, expected: &[&str]) {
        let mut tokenizer = Tokenizer::default();
        tokenizer.tokenize(message, RULES, 100, |_| None);
        let texts: Vec<&str> = tokenizer
            .tokens
            .iter()
            .map(|token| tokenizer.text(message, token))
            .collect();
        assert_eq!(texts, expected, "tokens of {message:?}");
        for token in &tokenizer.tokens {
            let text = tokenizer.text(message, token);
            assert_eq!(token.variable, text.contains(WILDCARD), "flag of {text:?}");
        }
        // Chunks reported as plain words tokenize the same when the caller knows them and
        // masking is skipped.
        let plain: Vec<String> = tokenizer
            .tokens
            .iter()
            .filter(|token| matches!(token.text, TokenText::Chunk(_)))
            .map(|token| tokenizer.text(message, token).to_owned())
            .collect();
        let mut again = Tokenizer::default();
        again.tokenize(message, RULES, 100, |chunk| {
            plain
                .iter()
                .position(|word| word == chunk)
                .map(|i| i as u32 + 1)
        });
        let texts_again: Vec<&str> = again
            .tokens
            .iter()
            .map(|token| again.text(message, token))
            .collect();
        assert_eq!(texts_again, expected, "known words of {message:?}");
    }

    #[test]
    fn numbers_ids_and_addresses_become_wildcards() {
        check(
            "PacketResponder 1 for block blk_-6952295868487656571 terminating",
            &[
                "PacketResponder",
                "<*>",
                "for",
                "block",
                "<*>",
                "terminating",
            ],
        );
        check(
            "Received connection request /10.10.34.11:45307",
            &["Received", "connection", "request", "<*>:<*>"],
        );
        check(
            "reverse mapping checking getaddrinfo for ns.example.com [173.234.31.186] failed",
            &[
                "reverse",
                "mapping",
                "checking",
                "getaddrinfo",
                "for",
                "<*>",
                "[<*>]",
                "failed",
            ],
        );
        check(
            "req-38101a0b-2096-447d-96ea-a692162415ae 113d3a99c3da401fbd62cc2caa5b96d2 0x7fed806eb5d",
            &["<*>", "<*>", "<*>"],
        );
        // A UUID none of whose runs is all digits.
        check(
            "[instance: 96abccce-8d1f-4e07-b6d1-4b2ab87e23b4] done",
            &["[instance:", "<*>]", "done"],
        );
        check(
            "took 0.2477829 s, 1190 bytes",
            &["took", "<*>", "s,", "<*>", "bytes"],
        );
    }

    #[test]
    fn words_with_digits_keep_their_letters() {
        check(
            "IOThunderboltSwitch<0>(0x0)::listenerCallback - done in 100ms",
            &[
                "IOThunderboltSwitch<<*>>(<*>)::listenerCallback",
                "-",
                "done",
                "in",
                "<*>",
            ],
        );
        check(
            "Created MRAppMaster for application appattempt_1445144423722_0020_000001",
            &["Created", "MRAppMaster", "for", "application", "<*>"],
        );
        // A digit inside a name does not make it a value: the miner decides from variation.
        check(
            "jk2_init() Found child 6725 via eth1 (BIOS-e820)",
            &[
                "jk2_init()",
                "Found",
                "child",
                "<*>",
                "via",
                "eth1",
                "(BIOS-e820)",
            ],
        );
    }

    #[test]
    fn key_value_pairs_split_and_keep_empty_values() {
        check(
            "authentication failure; logname= uid=0 euid=0 tty=NODEVssh rhost=218.188.2.4",
            &[
                "authentication",
                "failure;",
                "logname=",
                "",
                "uid=",
                "<*>",
                "euid=",
                "<*>",
                "tty=",
                "NODEVssh",
                "rhost=",
                "<*>",
            ],
        );
        check("(HWID=1973) a==b", &["(HWID=", "<*>)", "a==b"]);
    }

    #[test]
    fn paths_and_urls_are_variables() {
        check(
            "fetch /v2/54fadb412c4e/servers/detail HTTP/1.1 /etc/hosts chdir(/p/gb1/x) PS/2 n/a",
            &[
                "fetch",
                "<*>",
                "HTTP/<*>",
                "<*>",
                "chdir(<*>)",
                "PS/<*>",
                "n/a",
            ],
        );
        check(
            "from /10.250.19.102:54106 to hdfs://namenode:8020/a/b on 2017-07-01",
            &["from", "<*>:<*>", "to", "hdfs://<*>", "on", "<*>-<*>-<*>"],
        );
        check(
            "processor.........................0 at android.intent.action.SCREEN_ON",
            &[
                "processor.........................<*>",
                "at",
                "android.intent.action.SCREEN_ON",
            ],
        );
    }

    #[test]
    fn dotted_names_follow_the_rule() {
        check(
            "open through proxy.cse.cuhk.edu.hk",
            &["open", "through", "<*>"],
        );
        let mut tokenizer = Tokenizer::default();
        let message = "open through proxy.cse.cuhk.edu.hk";
        tokenizer.tokenize(
            message,
            MaskingRules {
                dotted_names: false,
            },
            100,
            |_| None,
        );
        let last = tokenizer.tokens.last().map(|t| tokenizer.text(message, t));
        assert_eq!(last, Some("proxy.cse.cuhk.edu.hk"));
    }

    #[test]
    fn dates_inside_messages_are_variables() {
        check(
            "connection from 1.2.3.4 () at Fri Jun 17 07:07:00 2005",
            &["connection", "from", "<*>", "()", "at", "<*>:<*>:<*>"],
        );
        check("expires (Mon, 3 March 2025)", &["expires", "(<*>, <*>)"]);
        check("at Jun 17 07:07:00 and", &["at", "<*>:<*>:<*>", "and"]);
        check("March on, Sun Tzu", &["March", "on,", "Sun", "Tzu"]);
        check("it may take 5 s", &["it", "may", "take", "<*>", "s"]);
    }

    #[test]
    fn account_names_after_for_user_are_variables() {
        check(
            "session opened for user alice by (uid=0)",
            &[
                "session", "opened", "for", "user", "<*>", "by", "(uid=", "<*>)",
            ],
        );
        check(
            "Closed due to user request. check pass; user unknown",
            &[
                "Closed", "due", "to", "user", "request.", "check", "pass;", "user", "unknown",
            ],
        );
    }

    #[test]
    fn quoted_strings_are_one_token() {
        check(
            r#"acquire tag="View Lock", name='a b' said 'hello there' "GET / HTTP/1.1" x="open"#,
            &[
                "acquire",
                "tag=",
                r#""View Lock","#,
                "name=",
                "'a b'",
                "said",
                "'hello",
                "there'",
                r#""GET"#,
                r#"<*>""#,
                "x=",
                r#""open"#,
            ],
        );
    }

    #[test]
    fn request_target_and_version_are_one_value() {
        check(
            r#"10.11.10.1 "GET /v2/54fadb/servers/detail HTTP/1.1" status: 200"#,
            &["<*>", r#""GET"#, r#"<*>""#, "status:", "<*>"],
        );
        check(
            "DELETE /index.html HTTP/2 took 5 ms",
            &["DELETE", "<*>", "took", "<*>", "ms"],
        );
        // A method word without a request line after it stays as it is.
        check("GET request failed", &["GET", "request", "failed"]);
    }

    #[test]
    fn size_units_after_numbers_are_variables() {
        check(
            "stored (estimated size 5.2 KB, free 216 B) in B",
            &[
                "stored",
                "(estimated",
                "size",
                "<*>,",
                "free",
                "<*>)",
                "in",
                "B",
            ],
        );
    }

    #[test]
    fn long_messages_fold_into_a_variable_tail() {
        let mut tokenizer = Tokenizer::default();
        tokenizer.tokenize("a b c d e f g", RULES, 4, |_| None);
        assert_eq!(tokenizer.tokens.len(), 4);
        assert_eq!(tokenizer.tokens[3].text, TokenText::Wildcard);
    }

    #[test]
    fn empty_and_unicode_messages() {
        check("", &[]);
        check("   \t ", &[]);
        check("ошибка 42 произошла", &["ошибка", "<*>", "произошла"]);
        check("é1é 7é", &["é1é", "<*>"]);
    }
}
