//! Small text helpers: failure words, entity keys, excerpts and human formatting.

use faultmaven_model::{Level, SuspectKind};

/// Longest excerpt kept as evidence, in characters.
pub(crate) const EXCERPT_CHARS: usize = 300;

/// Words and phrases that say an operation failed, for records that carry no level.
const ERROR_PHRASES: [&str; 36] = [
    "error",
    "errors",
    "exception",
    "failed",
    "failure",
    "fail",
    "fails",
    "refused",
    "timeout",
    "timed out",
    "denied",
    "cannot",
    "can't",
    "could not",
    "unable",
    "oom",
    "out of memory",
    "killed",
    "panic",
    "fatal",
    "crash",
    "crashed",
    "segfault",
    "segmentation fault",
    "unreachable",
    "aborted",
    "abort",
    "corrupt",
    "corrupted",
    "broken pipe",
    "no space left",
    "connection reset",
    "not responding",
    "unhandled",
    "traceback",
    "critical",
];

/// Words that say something is off without a failure, for records that carry no level.
const WARNING_PHRASES: [&str; 13] = [
    "warning",
    "warn",
    "deprecated",
    "retry",
    "retrying",
    "invalid",
    "not found",
    "slow",
    "unavailable",
    "disconnected",
    "lost",
    "expired",
    "rejected",
];

/// The level a message's words imply when the record has none: `Error` for failure words,
/// `Warn` for warning words. Whole words only, case-insensitive; `<*>` parts never count.
pub(crate) fn implied_level(text: &str) -> Option<Level> {
    let words: Vec<String> = text
        .split(|c: char| !(c.is_alphanumeric() || c == '\''))
        .filter(|word| !word.is_empty())
        .map(str::to_lowercase)
        .collect();
    let contains = |phrase: &str| {
        let parts: Vec<&str> = phrase.split(' ').collect();
        words
            .windows(parts.len())
            .any(|window| window.iter().zip(&parts).all(|(word, part)| word == part))
    };
    if ERROR_PHRASES.iter().any(|phrase| contains(phrase)) {
        Some(Level::Error)
    } else if WARNING_PHRASES.iter().any(|phrase| contains(phrase)) {
        Some(Level::Warn)
    } else {
        None
    }
}

/// Attribute and label keys that name an entity, by kind (compared case-insensitively).
const ENTITY_KEYS: [(&str, SuspectKind); 34] = [
    ("service", SuspectKind::Service),
    ("service.name", SuspectKind::Service),
    ("service_name", SuspectKind::Service),
    ("svc", SuspectKind::Service),
    ("app", SuspectKind::Service),
    ("application", SuspectKind::Service),
    ("app.kubernetes.io/name", SuspectKind::Service),
    ("k8s.deployment.name", SuspectKind::Service),
    ("deployment", SuspectKind::Service),
    ("host", SuspectKind::Host),
    ("hostname", SuspectKind::Host),
    ("host.name", SuspectKind::Host),
    ("host_name", SuspectKind::Host),
    ("node", SuspectKind::Host),
    ("nodename", SuspectKind::Host),
    ("node_name", SuspectKind::Host),
    // Elasticsearch's ECS JSON logs name the node that logged the line.
    ("node.name", SuspectKind::Host),
    ("syslog.hostname", SuspectKind::Host),
    ("instance", SuspectKind::Host),
    ("k8s.node.name", SuspectKind::Host),
    ("kubernetes.host", SuspectKind::Host),
    ("pod", SuspectKind::Pod),
    ("pod_name", SuspectKind::Pod),
    ("pod.name", SuspectKind::Pod),
    ("k8s.pod.name", SuspectKind::Pod),
    ("kubernetes.pod_name", SuspectKind::Pod),
    ("kubernetes.pod.name", SuspectKind::Pod),
    ("container", SuspectKind::Container),
    ("container_name", SuspectKind::Container),
    ("container.name", SuspectKind::Container),
    ("k8s.container.name", SuspectKind::Container),
    ("kubernetes.container_name", SuspectKind::Container),
    ("kubernetes.container.name", SuspectKind::Container),
    ("container.id", SuspectKind::Container),
];

/// The kind of entity an attribute or label key names, if it names one.
pub(crate) fn entity_kind_of_key(key: &str) -> Option<SuspectKind> {
    ENTITY_KEYS
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(key))
        .map(|(_, kind)| *kind)
}

/// The host of a syslog line whose header the parser left in the message
/// (`kafka-2 kernel: EXT4-fs error ...`, `web-1 nginx[812]: ...`): a host-name token, then a
/// `program[pid]:` or `kernel:` token. Only those program shapes count, so an ordinary
/// sentence (`Connection refused: ...`) is not taken for a host.
pub(crate) fn syslog_host(message: &str) -> Option<&str> {
    let mut tokens = message.splitn(3, ' ');
    let host = tokens.next()?;
    let program = tokens.next()?;
    let is_host = host.len() >= 2
        && host.len() <= 253
        && host.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'))
        && host.bytes().any(|b| b.is_ascii_alphabetic())
        // Real host names carry a number, a dash or a domain (`web01`, `kafka-2`,
        // `edge.example.net`); a plain word before `name[3]:` is more likely prose.
        && host
            .bytes()
            .any(|b| b.is_ascii_digit() || matches!(b, b'-' | b'.'));
    let program = program.strip_suffix(':')?;
    let is_program = program == "kernel"
        || program
            .strip_suffix(']')
            .and_then(|p| p.split_once('['))
            .is_some_and(|(name, pid)| {
                !name.is_empty()
                    && !pid.is_empty()
                    && pid.bytes().all(|b| b.is_ascii_digit())
                    && name.bytes().all(|b| {
                        b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'/')
                    })
            });
    (is_host && is_program).then_some(host)
}

/// The first line of `text`, cut to [`EXCERPT_CHARS`] characters (with an ellipsis when cut).
pub(crate) fn excerpt(text: &str) -> String {
    let first_line = text.lines().next().unwrap_or("").trim_end();
    cut(first_line, EXCERPT_CHARS)
}

/// `text` cut to `limit` characters, with an ellipsis when cut.
pub(crate) fn cut(text: &str, limit: usize) -> String {
    match text.char_indices().nth(limit) {
        None => text.to_owned(),
        Some((end, _)) => {
            let mut cut = text[..end].to_owned();
            cut.push('…');
            cut
        }
    }
}

/// A time of day for titles: `14:03`, with seconds when `precise`, with the date when the
/// data spans more than one day.
pub(crate) fn format_time(nanos: i64, with_date: bool, precise: bool) -> String {
    let datetime = faultmaven_model::Timestamp::from_unix_nanos(nanos).to_datetime();
    let pattern = match (with_date, precise) {
        (true, true) => "%Y-%m-%d %H:%M:%S",
        (true, false) => "%Y-%m-%d %H:%M",
        (false, true) => "%H:%M:%S",
        (false, false) => "%H:%M",
    };
    datetime.format(pattern).to_string()
}

/// "14:03–14:07" (or one time when both are equal); the end drops the date when it is on
/// the same day as the start.
pub(crate) fn format_window(start: i64, end: i64, with_date: bool, precise: bool) -> String {
    let first = format_time(start, with_date, precise);
    let same_day = start.div_euclid(86_400_000_000_000) == end.div_euclid(86_400_000_000_000);
    let last = format_time(end, with_date && !same_day, precise);
    if first == format_time(end, with_date, precise) {
        first
    } else {
        format!("{first}–{last}")
    }
}

/// A measured value with about four significant digits: `97.53`, `0.001234`, `1.235e9`.
pub(crate) fn format_value(value: f64) -> String {
    if !value.is_finite() {
        return value.to_string();
    }
    if value == 0.0 {
        return "0".to_owned();
    }
    let magnitude = value.abs().log10().floor() as i32;
    if !(-4..9).contains(&magnitude) {
        return format!("{value:.3e}");
    }
    let decimals = (3 - magnitude).clamp(0, 8) as usize;
    let text = format!("{value:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        text
    }
}

/// Two rates for a title, in the one unit that reads best for the larger:
/// ("2/min", "140/min"), ("0/s", "40/s").
pub(crate) fn format_rates(from: f64, to: f64, bucket_nanos: i64) -> (String, String) {
    let seconds = bucket_nanos as f64 / 1e9;
    let larger = from.max(to) / seconds;
    let (factor, unit) = if larger >= 10.0 {
        (1.0, "s")
    } else if larger * 60.0 >= 1.0 {
        (60.0, "min")
    } else {
        (3600.0, "h")
    };
    let text = |count: f64| {
        let value = count / seconds * factor;
        let rounded = if value >= 10.0 {
            format!("{value:.0}")
        } else {
            format_value((value * 10.0).round() / 10.0)
        };
        format!("{rounded}/{unit}")
    };
    (text(from), text(to))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn implied_levels() {
        let check = |text: &str, expected: Option<Level>| {
            assert_eq!(implied_level(text), expected, "{text:?}");
        };
        check("Connection refused to <*>", Some(Level::Error));
        check("request timed out after <*> ms", Some(Level::Error));
        check("Out of memory: Killed process <*>", Some(Level::Error));
        check("can't open <*>", Some(Level::Error));
        check("Retrying connection to <*>", Some(Level::Warn));
        check("user <*> not found", Some(Level::Warn));
        check("session opened for user <*>", None);
        check("terrorist errorless", None);
    }

    #[test]
    fn entity_keys() {
        assert_eq!(entity_kind_of_key("k8s.pod.name"), Some(SuspectKind::Pod));
        assert_eq!(entity_kind_of_key("Host"), Some(SuspectKind::Host));
        assert_eq!(entity_kind_of_key("node.name"), Some(SuspectKind::Host));
        assert_eq!(entity_kind_of_key("service"), Some(SuspectKind::Service));
        assert_eq!(entity_kind_of_key("user"), None);
    }

    #[test]
    fn syslog_hosts_left_in_the_message() {
        assert_eq!(
            syslog_host("db-7 kernel: EXT4-fs (sdb1): Remounting filesystem read-only"),
            Some("db-7")
        );
        assert_eq!(
            syslog_host("edge.example.net haproxy[3301]: backend api has no server available!"),
            Some("edge.example.net")
        );
        assert_eq!(syslog_host("Connection refused: connect"), None);
        assert_eq!(syslog_host("worker pool[3]: started"), None);
        assert_eq!(syslog_host("10.0.0.1 kernel: something"), None);
        assert_eq!(syslog_host("kernel: oops"), None);
    }

    #[test]
    fn excerpts_are_cut_on_characters() {
        assert_eq!(excerpt("first\nsecond"), "first");
        let long = "é".repeat(400);
        let cut = excerpt(&long);
        assert_eq!(cut.chars().count(), EXCERPT_CHARS + 1);
        assert!(cut.ends_with('…'));
    }

    #[test]
    fn values_rates_and_times() {
        assert_eq!(format_value(97.5312), "97.53");
        assert_eq!(format_value(40.0), "40");
        assert_eq!(format_value(0.001234), "0.001234");
        assert_eq!(format_value(1_234_567_890.0), "1.235e9");
        assert_eq!(format_value(-3.0), "-3");
        let minute = 60_000_000_000;
        let rates = |from, to| format_rates(from, to, minute);
        assert_eq!(rates(2.0, 140.0), ("2/min".into(), "140/min".into()));
        assert_eq!(rates(0.0, 40.0), ("0/min".into(), "40/min".into()));
        assert_eq!(rates(30.0, 6_000.0), ("0.5/s".into(), "100/s".into()));
        assert_eq!(rates(0.0, 0.5), ("0/h".into(), "30/h".into()));
        assert_eq!(
            format_time(1_714_572_187_123_000_000, false, false),
            "14:03"
        );
        assert_eq!(
            format_time(1_714_572_187_123_000_000, true, true),
            "2024-05-01 14:03:07"
        );
        let start = 1_714_572_187_000_000_000;
        assert_eq!(
            format_window(start, start + 240_000_000_000, true, false),
            "2024-05-01 14:03–14:07"
        );
        assert_eq!(
            format_window(start, start + 86_400_000_000_000, true, false),
            "2024-05-01 14:03–2024-05-02 14:03"
        );
        assert_eq!(
            format_window(start, start + 1_000_000_000, false, false),
            "14:03"
        );
    }
}
