//! HTTP request lines inside messages: the method names the event, the target and the
//! protocol version after it are one value.

use super::{is_trailing_punctuation, Hint, Token, TokenText, Tokenizer, WILDCARD};

impl Tokenizer {
    /// An HTTP request line (`"GET /v2/servers/detail HTTP/1.1"`, RFC 9112 `method SP
    /// request-target SP HTTP-version`) as access logs of every web server and proxy print
    /// it: the method names the event, while the target and the protocol version after it
    /// are one value (the request), written as one `<*>` with the version's trailing quote.
    pub(super) fn mask_request_lines(&mut self, message: &str) {
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
}

/// HTTP methods as request lines print them (upper case, RFC 9110 and WebDAV's common ones).
pub(super) fn is_request_method(core: &str) -> bool {
    const METHODS: [&str; 9] = [
        "GET", "POST", "PUT", "DELETE", "HEAD", "PATCH", "OPTIONS", "CONNECT", "PROPFIND",
    ];
    METHODS.contains(&core)
}
