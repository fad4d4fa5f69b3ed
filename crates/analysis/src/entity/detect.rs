//! Finds identifier-like values in a log record: block ids, request and trace ids, session
//! ids, UUIDs, pod names, user ids, hosts.
//!
//! Two sources, one default rule set for every log:
//! - a field or `key=value` / `key: value` pair whose key names an identifier (`request_id`,
//!   `traceId`, `session`, `pod`, `host`, ...): the key is the kind, whatever the value looks
//!   like;
//! - any other message token that is shaped like an identifier: letters and digits mixed with
//!   separators (`blk_-5623`, `req-8f3a2c`, `web-7d9f8b6c4-x2k9p`), a UUID, a long hex or
//!   alphanumeric run, or an IPv4 address (the port is dropped). Its kind is its *shape*: runs
//!   with digits become `<*>`, so `blk_-123` and `blk_987` are both `blk_<*>`-like kinds and
//!   every request id of one service shares a kind.
//!
//! Numbers, times, dates, sizes with units (`12ms`, `5.2GB`), paths and hex addresses
//! (`0x7f..`) are never identifiers: they vary per line without naming anything. Nor are
//! thread and worker names (`http-nio-8080-exec-3`, `pool-1-thread-2`, `worker-7`): a pool
//! hands its threads to whatever request comes, so grouping lines by them mixes unrelated
//! work.

use faultmaven_model::LogRecord;

/// Shortest token taken as a shaped identifier (shorter ones are mostly words like `v2`).
const MIN_IDENTIFIER_CHARS: usize = 5;
/// Shortest identifier without separators (`jA9J1UvC004306`, a mail queue id).
const MIN_PLAIN_IDENTIFIER_CHARS: usize = 12;
/// Shortest all-hex identifier without separators (64-bit trace and span ids have 16).
const MIN_HEX_IDENTIFIER_CHARS: usize = 16;
/// Longest token taken as an identifier.
const MAX_IDENTIFIER_CHARS: usize = 128;

/// An identifier found in a record: its kind and its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Identifier<'a> {
    /// Kind: a key name (`request_id`) or a shape (`blk_-<*>`).
    pub kind: String,
    /// The value as in the record.
    pub value: &'a str,
}

/// Every identifier of `record` (attributes first, then the first line of the message), each
/// (kind, value) pair once.
pub(crate) fn identifiers<'a>(record: &'a LogRecord<'_>, found: &mut Vec<Identifier<'a>>) {
    found.clear();
    for (key, value) in &record.attributes {
        let value = value.as_ref().trim();
        push_keyed(found, identifier_key(key), value);
    }
    let first_line = record.message.lines().next().unwrap_or("");
    let mut pending_key: Option<String> = None;
    for chunk in first_line.split_whitespace() {
        let token = trim_punctuation(chunk);
        if let Some(kind) = pending_key.take() {
            let value = trim_value(token);
            if !value.is_empty() {
                push_keyed(found, Some(kind), value);
                continue;
            }
        }
        if let Some((key, value)) = split_key_value(token) {
            push_keyed(found, identifier_key(key), trim_value(value));
            continue;
        }
        // `request_id: abc` spreads over two tokens.
        if let Some(key) = chunk.strip_suffix(':') {
            if let Some(kind) = identifier_key(trim_punctuation(key)) {
                pending_key = Some(kind);
                continue;
            }
        }
        if let Some(kind) = shape_kind(token) {
            push_unique(found, kind, strip_port(token));
        }
    }
}

/// A value under a key: its shape names its kind when it has one (so `request_id=req-1a2b`
/// and a bare `req-1a2b` elsewhere are the same entity), else the identifier key does.
fn push_keyed<'a>(found: &mut Vec<Identifier<'a>>, key_kind: Option<String>, value: &'a str) {
    let shape = shape_kind(value);
    // A shape with no letters (`<*>`, `<*>-<*>`) says less than the key does.
    let shape_is_specific = shape
        .as_deref()
        .is_some_and(|shape| shape.bytes().any(|b| b.is_ascii_alphabetic() && b != b'*'));
    match (shape, key_kind) {
        (Some(shape), _) if shape_is_specific => {
            push_unique(found, shape, strip_port(value));
        }
        (_, Some(kind)) => push_unique(found, kind, value),
        (Some(shape), None) => push_unique(found, shape, strip_port(value)),
        (None, None) => {}
    }
}

fn push_unique<'a>(found: &mut Vec<Identifier<'a>>, kind: String, value: &'a str) {
    if value.is_empty() || value.len() > MAX_IDENTIFIER_CHARS {
        return;
    }
    if found.iter().any(|id| id.kind == kind && id.value == value) {
        return;
    }
    found.push(Identifier { kind, value });
}

/// Keys (after lowercasing and dropping `_ - .`) that name an identifier outright.
const IDENTIFIER_KEYS: [&str; 14] = [
    "pod",
    "podname",
    "host",
    "hostname",
    "node",
    "nodename",
    "user",
    "username",
    "session",
    "trace",
    "request",
    "correlation",
    "container",
    "instance",
];

/// The kind named by a key such as `request_id`, `traceId`, `x-request-id`, `pod`.
fn identifier_key(key: &str) -> Option<String> {
    let key = key.trim_matches(|c: char| !c.is_ascii_alphanumeric());
    if key.is_empty() || key.len() > 40 {
        return None;
    }
    let normalized: String = key
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    // `pid`, `tid` and `id` alone name processes, threads or rows of anything: too vague.
    let names_id = normalized.len() > 3 && normalized.ends_with("id");
    if names_id || IDENTIFIER_KEYS.contains(&normalized.as_str()) {
        Some(key.to_ascii_lowercase())
    } else {
        None
    }
}

/// Splits `key=value` (the key made of word characters only).
fn split_key_value(token: &str) -> Option<(&str, &str)> {
    let equals = token.find('=')?;
    let key = &token[..equals];
    if key.is_empty()
        || !key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
    {
        return None;
    }
    Some((key, &token[equals + 1..]))
}

fn trim_punctuation(token: &str) -> &str {
    token
        .trim_start_matches(['[', '(', '{', '<', '"', '\'', '`', '/'])
        .trim_end_matches([
            ']', ')', '}', '>', '"', '\'', '`', ',', ';', ':', '.', '!', '?',
        ])
}

fn trim_value(value: &str) -> &str {
    trim_punctuation(value.trim_matches(|c: char| c == '"' || c == '\''))
}

/// `10.0.0.1:50010` -> `10.0.0.1`, `cdn3.example.com:80` -> `cdn3.example.com`: a host's
/// ports vary per connection.
fn strip_port(value: &str) -> &str {
    match value.rsplit_once(':') {
        Some((host, port))
            if (is_ipv4(host) || host.contains('.'))
                && !port.is_empty()
                && port.len() <= 5
                && port.bytes().all(|b| b.is_ascii_digit()) =>
        {
            host
        }
        _ => value,
    }
}

/// `ScheduledMaps:3`, `retries:12`: a counter and its value, not an identifier.
fn is_word_and_number(value: &str) -> bool {
    value.split_once(':').is_some_and(|(word, number)| {
        !word.is_empty()
            && word.bytes().all(|b| b.is_ascii_alphabetic())
            && !number.is_empty()
            && number.bytes().all(|b| b.is_ascii_digit())
    })
}

fn is_ipv4(text: &str) -> bool {
    let mut parts = 0;
    for part in text.split('.') {
        parts += 1;
        if part.is_empty() || part.len() > 3 || !part.bytes().all(|b| b.is_ascii_digit()) {
            return false;
        }
    }
    parts == 4
}

fn is_hex_run(run: &str) -> bool {
    run.bytes().all(|b| b.is_ascii_hexdigit())
}

fn is_uuid(token: &str) -> bool {
    let lengths: Vec<usize> = token.split('-').map(str::len).collect();
    lengths == [8, 4, 4, 4, 12] && token.split('-').all(is_hex_run)
}

/// Words that name a thread, a thread pool or an event loop in the thread names runtimes
/// print (Java executors and Tomcat/Jetty connectors, Netty, gRPC, Go/Rust worker pools).
const THREAD_WORDS: [&str; 13] = [
    "thread",
    "worker",
    "exec",
    "executor",
    "pool",
    "scheduler",
    "dispatcher",
    "eventloop",
    "loop",
    "nio",
    "epoll",
    "qtp",
    "timer",
];

/// `http-nio-8080-exec-3`, `pool-1-thread-2`, `worker-7`, `ForkJoinPool.commonPool-worker-1`,
/// `nioEventLoopGroup-3-1`: one of the name's words (split at separators and at case changes)
/// names a thread or a pool.
fn is_thread_name(value: &str) -> bool {
    let mut word = String::new();
    let mut previous_lower = false;
    for character in value.chars().chain(std::iter::once(' ')) {
        let boundary =
            !character.is_ascii_alphabetic() || (character.is_ascii_uppercase() && previous_lower);
        if boundary && !word.is_empty() {
            if THREAD_WORDS.contains(&word.as_str()) {
                return true;
            }
            word.clear();
        }
        if character.is_ascii_alphabetic() {
            word.push(character.to_ascii_lowercase());
        }
        previous_lower = character.is_ascii_lowercase();
    }
    false
}

/// The shape kind of a token that looks like an identifier, or `None`.
fn shape_kind(token: &str) -> Option<String> {
    let value = strip_port(token);
    if is_ipv4(value) {
        return Some("ip".to_owned());
    }
    if is_word_and_number(value) {
        return None;
    }
    if value.len() < MIN_IDENTIFIER_CHARS || value.len() > MAX_IDENTIFIER_CHARS {
        return None;
    }
    if is_uuid(value) {
        return Some("uuid".to_owned());
    }
    if !value
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b':' | b'#'))
    {
        return None;
    }
    let digits = value.bytes().filter(u8::is_ascii_digit).count();
    let letters = value.bytes().filter(u8::is_ascii_alphabetic).count();
    if digits == 0 || letters == 0 {
        // Numbers, times, dates, versions without letters.
        return None;
    }
    let lower = value.to_ascii_lowercase();
    if lower.starts_with("0x") || is_thread_name(value) {
        return None;
    }
    // A number with a unit (`12ms`, `5.2GB`, `30s`, `99.9%` never reach here).
    let number_end = value
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(value.len());
    if number_end > 0 && value[number_end..].bytes().all(|b| b.is_ascii_alphabetic()) {
        return None;
    }
    let has_separator = value.bytes().any(|b| !b.is_ascii_alphanumeric());
    if !has_separator
        && (value.len() < MIN_PLAIN_IDENTIFIER_CHARS
            || digits < 2
            || (is_hex_run(value) && value.len() < MIN_HEX_IDENTIFIER_CHARS))
    {
        // A word with a digit (`utf8`, `log4j`, `http2`) or a short hex value (a register,
        // a flag word: `00001f01`), not an id.
        return None;
    }
    let mut shape = String::with_capacity(value.len());
    let mut run_start = None;
    let bytes = value.as_bytes();
    for (index, &byte) in bytes.iter().enumerate() {
        if byte.is_ascii_alphanumeric() {
            if run_start.is_none() {
                run_start = Some(index);
            }
            if index + 1 < bytes.len() && bytes[index + 1].is_ascii_alphanumeric() {
                continue;
            }
        } else {
            shape.push(byte as char);
            continue;
        }
        let start = run_start.take().unwrap_or(index);
        let run = &value[start..=index];
        let variable =
            run.bytes().any(|b| b.is_ascii_digit()) || (run.len() >= 6 && is_hex_run(run));
        if variable {
            shape.push_str("<*>");
        } else {
            shape.push_str(&run.to_ascii_lowercase());
        }
    }
    Some(shape)
}

#[cfg(test)]
mod tests {
    use super::*;
    use faultmaven_model::AttachmentId;
    use std::borrow::Cow;

    fn check(message: &str, attributes: &[(&str, &str)], expected: &[(&str, &str)]) {
        let record = LogRecord {
            attachment: AttachmentId::new(1),
            first_line: 1,
            last_line: 1,
            timestamp: None,
            level: None,
            source: None,
            message: Cow::Borrowed(message),
            attributes: attributes
                .iter()
                .map(|(k, v)| (Cow::Borrowed(*k), Cow::Borrowed(*v)))
                .collect(),
        };
        let mut found = Vec::new();
        identifiers(&record, &mut found);
        let got: Vec<(&str, &str)> = found.iter().map(|i| (i.kind.as_str(), i.value)).collect();
        assert_eq!(got, expected, "{message}");
    }

    #[test]
    fn hdfs_blocks_and_hosts() {
        check(
            "Receiving block blk_-1608999687919862906 src: /10.250.19.102:54106 dest: /10.250.19.102:50010",
            &[],
            &[("blk_-<*>", "blk_-1608999687919862906"), ("ip", "10.250.19.102")],
        );
    }

    #[test]
    fn keyed_ids_take_the_key_as_kind() {
        check(
            "checkout done request_id=req-8f3a2c user_id: 42 took 120ms",
            &[("trace_id", "4bf92f3577b34da6a3ce929d0e0e4736")],
            &[
                ("trace_id", "4bf92f3577b34da6a3ce929d0e0e4736"),
                ("req-<*>", "req-8f3a2c"),
                ("user_id", "42"),
            ],
        );
    }

    #[test]
    fn hosts_drop_their_ports_and_queue_ids_count() {
        check(
            "open through proxy cdn3.example.com:443 queue jA9J1UvC004306",
            &[],
            &[
                ("<*>.example.com", "cdn3.example.com"),
                ("<*>", "jA9J1UvC004306"),
            ],
        );
    }

    #[test]
    fn uuids_and_pods() {
        check(
            "session 3f2b8c1e-9d4a-4b6e-8f00-1a2b3c4d5e6f started on checkout-7d9f8b6c4-x2k9p",
            &[],
            &[
                ("uuid", "3f2b8c1e-9d4a-4b6e-8f00-1a2b3c4d5e6f"),
                ("checkout-<*>-<*>", "checkout-7d9f8b6c4-x2k9p"),
            ],
        );
    }

    #[test]
    fn thread_and_worker_names_are_not_identifiers() {
        check(
            "[http-nio-8080-exec-3] [pool-1-thread-2] worker-7 ForkJoinPool.commonPool-worker-1 \
             [main] nioEventLoopGroup-3-1 qtp1863932867-47 handled req-8f3a2c",
            &[],
            &[("req-<*>", "req-8f3a2c")],
        );
    }

    #[test]
    fn numbers_times_units_and_words_are_not_identifiers() {
        check(
            "took 120ms at 2005-06-03-15.42.50.675872 size 5.2GB v2 utf8 log4j 0x7f3a9c00 1234 \
             /var/lib/x1 00001f01 ScheduledMaps:3",
            &[],
            &[],
        );
    }
}
