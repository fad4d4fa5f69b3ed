//! Structured log lines (JSON lines, logfmt): which field holds the time, the level, the
//! message and the source is learned from the sniff window, then every line's flat list of
//! fields is turned into a record with the rest as attributes.

use crate::output::Output;
use crate::timestamp::{epoch_text_to_timestamp, parse_whole, YearResolver};
use faultmaven_model::{AttachmentId, Level, LogRecord, Timestamp};
use std::borrow::Cow;
use std::collections::HashMap;

/// What kind of value a field held in the source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ValueKind {
    String,
    Number,
    Bool,
    Null,
    /// An array, kept as its JSON text.
    Composite,
}

/// One flattened field: `kubernetes.pod_name = "web-1"`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Field<'a> {
    pub key: Cow<'a, str>,
    pub value: Cow<'a, str>,
    pub kind: ValueKind,
}

/// Field names that usually hold each role, most specific first. Matching ignores case.
const TIME_KEYS: &[&str] = &[
    "@timestamp",
    "timestamp",
    "time",
    "ts",
    "datetime",
    "date",
    "t",
    "eventtime",
    "event_time",
    "event.created",
    "created_at",
    "createdat",
    "logged_at",
    "_time",
    "__realtime_timestamp",
    "time_local",
    "asctime",
    "timemillis",
    "timestamp_ms",
    "when",
];
const LEVEL_KEYS: &[&str] = &[
    "level",
    "severity",
    "lvl",
    "log.level",
    "levelname",
    "loglevel",
    "log_level",
    "level_name",
    "severity_text",
    "severitytext",
    "@level",
    "priority",
    "syslog.severity",
    "l",
];
const MESSAGE_KEYS: &[&str] = &[
    "message",
    "msg",
    "log",
    "text",
    "event",
    "@message",
    "body",
    "short_message",
    "full_message",
    "textpayload",
    "jsonpayload.message",
    "error.message",
    "err.message",
    "description",
    "line",
    "m",
];
const SOURCE_KEYS: &[&str] = &[
    "logger",
    "logger_name",
    "loggername",
    "log.logger",
    "name",
    "component",
    "module",
    "service",
    "service.name",
    "servicename",
    "app",
    "application",
    "kubernetes.pod_name",
    "kubernetes.container_name",
    "pod",
    "container",
    "container_name",
    "source",
    "_systemd_unit",
    "syslog_identifier",
    "syslog.appname",
    "process",
    "host",
    "hostname",
    "host.name",
];

/// Which key plays which role.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct FieldRoles {
    pub time: Option<String>,
    pub level: Option<String>,
    pub message: Option<String>,
    pub source: Option<String>,
}

/// Per-key observations over the window.
#[derive(Default)]
struct KeyStats {
    present: usize,
    strings: usize,
    string_bytes: usize,
    times: usize,
    string_times: usize,
    levels: usize,
}

/// A level from a field value: a name, or a number in the pino/bunyan scale (10..60) or the
/// syslog scale (0..7, for `priority`/`severity` keys).
pub(crate) fn level_from_value(key: &str, value: &str, kind: ValueKind) -> Option<Level> {
    match kind {
        ValueKind::String => Level::parse(value).or_else(|| numeric_level(key, value)),
        ValueKind::Number => numeric_level(key, value),
        _ => None,
    }
}

fn numeric_level(key: &str, value: &str) -> Option<Level> {
    let number: u32 = value.trim().parse().ok()?;
    let key = key.to_ascii_lowercase();
    if (key.contains("priority") || key.contains("severity")) && number <= 7 {
        return Level::from_syslog_severity(number as u8);
    }
    Some(match number {
        10 => Level::Trace,
        20 => Level::Debug,
        30 => Level::Info,
        40 => Level::Warn,
        50 => Level::Error,
        60 => Level::Fatal,
        _ => return None,
    })
}

fn time_from_value(value: &str, kind: ValueKind, years: &mut YearResolver) -> Option<Timestamp> {
    match kind {
        ValueKind::String => parse_whole(value, years),
        ValueKind::Number => epoch_text_to_timestamp(value),
        _ => None,
    }
}

/// Learns the roles from sample lines' fields.
pub(crate) fn learn_roles(samples: &[Vec<Field<'_>>], base_year: i32) -> FieldRoles {
    let mut years = YearResolver::new(base_year);
    let mut stats: HashMap<String, KeyStats> = HashMap::new();
    for fields in samples {
        for field in fields {
            let entry = stats.entry(field.key.to_ascii_lowercase()).or_default();
            entry.present += 1;
            if field.kind == ValueKind::String {
                entry.strings += 1;
                entry.string_bytes += field.value.len();
            }
            if time_from_value(&field.value, field.kind, &mut years).is_some() {
                entry.times += 1;
                if field.kind == ValueKind::String {
                    entry.string_times += 1;
                }
            }
            if level_from_value(&field.key, &field.value, field.kind).is_some() {
                entry.levels += 1;
            }
        }
    }
    let lines = samples.len().max(1);
    let common = |stat: &KeyStats| stat.present * 2 >= lines;
    let mostly = |part: usize, stat: &KeyStats| part * 10 >= stat.present * 8;
    // The original spelling of a key, for lookups on each line.
    let spelled = |lower: &str| -> String {
        samples
            .iter()
            .flatten()
            .find(|field| field.key.eq_ignore_ascii_case(lower))
            .map(|field| field.key.to_string())
            .unwrap_or_else(|| lower.to_owned())
    };

    let time = TIME_KEYS
        .iter()
        .find(|key| {
            stats
                .get(**key)
                .is_some_and(|stat| common(stat) && mostly(stat.times, stat))
        })
        .map(|key| spelled(key))
        .or_else(|| {
            // Any other key whose text values are dates (`when`, `eventTimestamp`, ...).
            stats
                .iter()
                .filter(|(_, stat)| {
                    common(stat) && stat.strings > 0 && mostly(stat.string_times, stat)
                })
                .max_by_key(|(key, stat)| (stat.present, std::cmp::Reverse((*key).clone())))
                .map(|(key, _)| spelled(key))
        });
    let level = LEVEL_KEYS
        .iter()
        .find(|key| {
            stats
                .get(**key)
                .is_some_and(|stat| common(stat) && mostly(stat.levels, stat))
        })
        .map(|key| spelled(key));
    let taken = |key: &str| {
        [&time, &level].iter().any(|role| {
            role.as_deref()
                .is_some_and(|role| role.eq_ignore_ascii_case(key))
        })
    };
    let message = MESSAGE_KEYS
        .iter()
        .find(|key| {
            !taken(key)
                && stats
                    .get(**key)
                    .is_some_and(|stat| common(stat) && stat.strings * 2 >= stat.present)
        })
        .map(|key| spelled(key))
        .or_else(|| {
            // The longest text field, if it is long enough to be prose.
            stats
                .iter()
                .filter(|(key, stat)| {
                    common(stat)
                        && stat.strings > 0
                        && !taken(key)
                        && stat.string_bytes / stat.strings >= 12
                })
                .max_by_key(|(key, stat)| {
                    (
                        stat.string_bytes / stat.strings,
                        std::cmp::Reverse((*key).clone()),
                    )
                })
                .map(|(key, _)| spelled(key))
        });
    let source = SOURCE_KEYS
        .iter()
        .find(|key| {
            !taken(key)
                && message
                    .as_deref()
                    .is_none_or(|message| !message.eq_ignore_ascii_case(key))
                && stats
                    .get(**key)
                    .is_some_and(|stat| common(stat) && stat.strings * 2 >= stat.present)
        })
        .map(|key| spelled(key));
    FieldRoles {
        time,
        level,
        message,
        source,
    }
}

/// An empty vector that reuses `buffer`'s allocation for fields borrowed from another line,
/// so a parser keeps one field buffer instead of allocating (and growing) one per line.
// `filter` would keep the item type, and with it the old lifetime; `filter_map` names a new one.
#[allow(clippy::unnecessary_filter_map)]
pub(crate) fn recycle<'b>(mut buffer: Vec<Field<'_>>) -> Vec<Field<'b>> {
    buffer.clear();
    // The element types differ only in lifetime, so the standard library collects in place:
    // no element is produced and the allocation is kept.
    buffer.into_iter().filter_map(|_| None).collect()
}

/// Builds records from flattened fields with learned roles.
pub(crate) struct RecordBuilder {
    pub attachment: AttachmentId,
    pub roles: FieldRoles,
    pub years: YearResolver,
}

impl RecordBuilder {
    /// Emits one record, taking the fields out of `fields` (left empty, its allocation kept
    /// for the next line). `raw` is the whole line, used as the message when the line has no
    /// message field, so no text is lost.
    pub fn emit<'a>(
        &mut self,
        number: u64,
        raw: &'a str,
        fields: &mut Vec<Field<'a>>,
        out: &mut Output<'_>,
    ) {
        let mut timestamp = None;
        let mut level = None;
        let mut message = None;
        let mut source = None;
        let mut attributes = Vec::with_capacity(fields.len());
        let is = |role: &Option<String>, key: &str| role.as_deref() == Some(key);
        for field in fields.drain(..) {
            if timestamp.is_none() && is(&self.roles.time, &field.key) {
                timestamp = time_from_value(&field.value, field.kind, &mut self.years);
                if timestamp.is_some() {
                    continue;
                }
            } else if level.is_none() && is(&self.roles.level, &field.key) {
                level = level_from_value(&field.key, &field.value, field.kind);
                if level.is_some() {
                    continue;
                }
            } else if message.is_none()
                && is(&self.roles.message, &field.key)
                && field.kind == ValueKind::String
            {
                message = Some(field.value);
                continue;
            } else if source.is_none()
                && is(&self.roles.source, &field.key)
                && field.kind == ValueKind::String
            {
                source = Some(field.value);
                continue;
            }
            if field.kind != ValueKind::Null {
                attributes.push((field.key, field.value));
            }
        }
        // Docker's `{"log":"text\n"}` keeps the line ending; it is not part of the message.
        let message = match message {
            Some(Cow::Borrowed(text)) => Cow::Borrowed(text.trim_end()),
            Some(Cow::Owned(mut text)) => {
                text.truncate(text.trim_end().len());
                Cow::Owned(text)
            }
            None => Cow::Borrowed(raw),
        };
        out.log(LogRecord {
            attachment: self.attachment,
            first_line: number,
            last_line: number,
            timestamp,
            level,
            source,
            message,
            attributes,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&'static str, &'static str, ValueKind)]) -> Vec<Field<'static>> {
        pairs
            .iter()
            .map(|(key, value, kind)| Field {
                key: Cow::Borrowed(key),
                value: Cow::Borrowed(value),
                kind: *kind,
            })
            .collect()
    }

    #[test]
    fn roles_come_from_the_content() {
        use ValueKind::*;
        let samples = vec![
            fields(&[
                ("when", "2024-01-05T10:00:00Z", String),
                ("lvl", "warn", String),
                ("text", "disk almost full", String),
                ("component", "disk", String),
            ]),
            fields(&[
                ("when", "2024-01-05T10:00:01Z", String),
                ("lvl", "error", String),
                ("text", "disk full", String),
                ("component", "disk", String),
            ]),
        ];
        let roles = learn_roles(&samples, 2024);
        assert_eq!(roles.time.as_deref(), Some("when"));
        assert_eq!(roles.level.as_deref(), Some("lvl"));
        assert_eq!(roles.message.as_deref(), Some("text"));
        assert_eq!(roles.source.as_deref(), Some("component"));
    }

    #[test]
    fn recycled_field_buffers_keep_their_allocation() {
        let mut buffer = fields(&[("a", "1", ValueKind::Number)]);
        buffer.reserve(15);
        let capacity = buffer.capacity();
        let line = String::from("b=2");
        let mut reused: Vec<Field<'_>> = recycle(buffer);
        assert!(reused.is_empty());
        assert_eq!(reused.capacity(), capacity);
        reused.push(Field {
            key: Cow::Borrowed(&line[..1]),
            value: Cow::Borrowed(&line[2..]),
            kind: ValueKind::Number,
        });
        assert_eq!(recycle(reused).capacity(), capacity);
    }

    #[test]
    fn numeric_levels() {
        assert_eq!(
            level_from_value("level", "50", ValueKind::Number),
            Some(Level::Error)
        );
        assert_eq!(
            level_from_value("PRIORITY", "4", ValueKind::String),
            Some(Level::Warn)
        );
        assert_eq!(level_from_value("level", "7", ValueKind::Number), None);
    }

    #[test]
    fn epoch_times_in_known_keys_only() {
        use ValueKind::*;
        let samples = vec![
            fields(&[
                ("ts", "1700000000.5", Number),
                ("count", "1700000000", Number),
                ("msg", "a", String),
            ]),
            fields(&[
                ("ts", "1700000001.5", Number),
                ("count", "1700000001", Number),
                ("msg", "b", String),
            ]),
        ];
        let roles = learn_roles(&samples, 2024);
        assert_eq!(roles.time.as_deref(), Some("ts"));
        assert_eq!(roles.message.as_deref(), Some("msg"));
    }
}
