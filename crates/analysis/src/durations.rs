//! Operation durations read from log text: `took 1500ms`, `duration: 7543.146 ms` (PostgreSQL),
//! `# Query_time: 12.3` (MySQL slow log), `Pause Full (G1 Compaction Pause) ... 4230.402ms`
//! (JVM unified GC log), `0.017+1.3+0.009 ms clock` (Go `GODEBUG=gctrace=1`), `still waiting
//! for ShareLock ... after 1000.072 ms` (PostgreSQL lock waits), `took_ms=124` / `"duration_ms":
//! 5234` (structured fields).
//!
//! A number with a time unit is an operation's duration only when the words just before it
//! say so (`took`, `duration`, `elapsed`, `after`, ...), its key does (`latency_ms`), or the
//! line is a GC pause line (whose last duration is the pause). Lines about a configured limit
//! or a wait before the next attempt (`timeout`, `retrying in 5s`, `ttl`) measure nothing that
//! happened and are skipped: a timeout is already an error finding of its own.

/// What kind of operation a duration measured; decides the "slow" floor and the wording.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum OperationKind {
    /// A garbage-collection pause (JVM, Go, .NET): the process stops while it runs.
    GcPause,
    /// A wait for a database or file lock.
    LockWait,
    /// A database query or statement.
    Query,
    /// Any other timed operation (a request, a call, a job).
    Operation,
}

impl OperationKind {
    /// The duration above which one operation of this kind is slow for any production system:
    /// a stop-the-world pause of half a second stalls every request in flight; a query, lock
    /// wait or request of a full second is what users notice.
    pub(crate) fn slow_floor_seconds(self) -> f64 {
        match self {
            Self::GcPause => 0.5,
            Self::LockWait | Self::Query | Self::Operation => 1.0,
        }
    }
}

/// One duration read from a line.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct TimedOperation {
    /// What was timed.
    pub kind: OperationKind,
    /// How long it took, in seconds.
    pub seconds: f64,
}

/// Words right before a number that say it is how long something took.
const DURATION_CUES: &[&str] = &[
    "took",
    "took:",
    "duration",
    "durations",
    "elapsed",
    "latency",
    "in",
    "after",
    "spent",
    "waited",
    "blocked",
    "pause",
    "paused",
    "query_time",
    "lock_time",
    "time",
    "real",
    "runtime",
    "durationmillis",
];

/// Words that make a line's durations a limit or a wait for something that has not happened
/// (a retry, a schedule), not a measured operation.
const NOT_MEASURED: &[&str] = &[
    "timeout",
    "timeouts",
    "timed",
    "deadline",
    "deadline_exceeded",
    "retry",
    "retrying",
    "retries",
    "backoff",
    "back-off",
    "reconnect",
    "reconnecting",
    "sleep",
    "sleeping",
    "interval",
    "ttl",
    "expire",
    "expires",
    "expiry",
    "every",
    "uptime",
    "period",
    "cooldown",
    "scheduled",
    "next",
    "probe",
];

/// How many words before a number a cue may stand (`took about 3 s`, `after 1000.072 ms`).
const CUE_DISTANCE: usize = 3;

/// Seconds per unit, for the units a log line writes after a duration.
fn unit_seconds(unit: &str) -> Option<f64> {
    let unit = unit.to_ascii_lowercase();
    Some(match unit.as_str() {
        "ns" | "nanos" | "nanoseconds" => 1e-9,
        "us" | "µs" | "μs" | "micros" | "microseconds" => 1e-6,
        "ms" | "msec" | "msecs" | "millis" | "milliseconds" | "millisecond" => 1e-3,
        "s" | "sec" | "secs" | "second" | "seconds" => 1.0,
        "min" | "mins" | "minute" | "minutes" => 60.0,
        _ => return None,
    })
}

/// The unit a field name ends with: `took_ms`, `durationMillis`, `latency_us`, `elapsed_s`.
fn key_unit_seconds(key: &str) -> Option<f64> {
    let key = key.to_ascii_lowercase();
    let suffixes: [(&str, f64); 10] = [
        ("_ms", 1e-3),
        ("millis", 1e-3),
        ("_us", 1e-6),
        ("micros", 1e-6),
        ("_ns", 1e-9),
        ("nanos", 1e-9),
        ("_seconds", 1.0),
        ("_secs", 1.0),
        ("_sec", 1.0),
        ("_s", 1.0),
    ];
    suffixes
        .iter()
        .find(|(suffix, _)| key.ends_with(suffix))
        .map(|&(_, factor)| factor)
}

/// A field name that holds a duration: `duration_ms`, `took_ms`, `latency`, `elapsed_s`,
/// `Query_time` (MySQL writes seconds without a unit).
fn is_duration_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    [
        "duration",
        "took",
        "latency",
        "elapsed",
        "query_time",
        "response_time",
    ]
    .iter()
    .any(|word| key.contains(word))
}

/// One word of a line with the separator text before it.
#[derive(Debug, Clone, Copy)]
struct Word<'a> {
    text: &'a str,
    /// The characters between the previous word and this one.
    gap: &'a str,
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '.' | 'µ' | '-')
}

fn words(line: &str) -> Vec<Word<'_>> {
    let mut words = Vec::new();
    let mut gap_start = 0;
    let mut chars = line.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        if !is_word_char(c) {
            continue;
        }
        let mut end = start + c.len_utf8();
        while let Some(&(next, c)) = chars.peek() {
            if !is_word_char(c) {
                break;
            }
            end = next + c.len_utf8();
            chars.next();
        }
        words.push(Word {
            text: &line[start..end],
            gap: &line[gap_start..start],
        });
        gap_start = end;
    }
    words
}

/// Splits `4230.402ms` into (4230.402, "ms"); `12` into (12, "").
fn number_and_suffix(word: &str) -> Option<(f64, &str)> {
    let digits_end = word
        .char_indices()
        .find(|&(_, c)| !(c.is_ascii_digit() || c == '.'))
        .map_or(word.len(), |(i, _)| i);
    let number = word[..digits_end].trim_end_matches('.');
    if number.is_empty() || !number.as_bytes()[0].is_ascii_digit() {
        return None;
    }
    let value: f64 = number.parse().ok()?;
    Some((value, &word[digits_end..]))
}

/// Whether the word is part of a clock time or a date (`12:03:22.5`, `@0.017s` uptime), or
/// an estimate (`~45s`) rather than a measurement.
fn is_clock_part(words: &[Word<'_>], index: usize) -> bool {
    let before = words[index].gap;
    let after = words.get(index + 1).map_or("", |w| w.gap);
    before.ends_with(':')
        || before.ends_with('@')
        || before.ends_with('~')
        || after.starts_with(':') && after.len() == 1
}

/// A cheap test that a line may hold a duration: a digit followed (after at most one space)
/// by the first letter of a time unit, or a field name that holds one. Most lines fail it and
/// are never split into words.
fn may_hold_duration(line: &str) -> bool {
    let bytes = line.as_bytes();
    let unit_start =
        |b: u8| matches!(b.to_ascii_lowercase(), b's' | b'm' | b'u' | b'n') || b >= 0xc2;
    let by_unit = bytes.iter().enumerate().any(|(i, b)| {
        b.is_ascii_digit()
            && match bytes.get(i + 1) {
                Some(b' ') => bytes.get(i + 2).is_some_and(|&next| unit_start(next)),
                Some(&next) => unit_start(next),
                None => false,
            }
    });
    by_unit || {
        let lower = line.to_ascii_lowercase();
        ["query_time", "duration", "took", "latency", "elapsed"]
            .iter()
            .any(|key| lower.contains(key))
    }
}

/// One number with a time unit found in a line.
#[derive(Debug, Clone, Copy)]
struct Found {
    seconds: f64,
    /// The words before it say it is how long something took, or its key does.
    cued: bool,
    /// Followed by `clock` (Go's gctrace wall-clock phases).
    clock: bool,
}

/// The numbers of a `+` chain starting at `index` (`0.5+250+0.4`), and the index of the last.
fn plus_chain(words: &[Word<'_>], index: usize) -> (Vec<f64>, usize) {
    let mut values = Vec::new();
    let mut last = index;
    while let Some((value, suffix)) = number_and_suffix(words[last].text) {
        values.push(value);
        let continues = suffix.is_empty() && words.get(last + 1).is_some_and(|w| w.gap == "+");
        if !continues {
            break;
        }
        last += 1;
    }
    (values, last)
}

/// Every number with a time unit (or a duration key) in the line's words.
fn found_durations(words: &[Word<'_>], lower: &[String]) -> Vec<Found> {
    let mut found = Vec::new();
    let mut index = 0;
    while index < words.len() {
        if number_and_suffix(words[index].text).is_none() || is_clock_part(words, index) {
            index += 1;
            continue;
        }
        let (values, last) = plus_chain(words, index);
        let last_suffix = number_and_suffix(words[last].text).map_or("", |(_, s)| s);
        let mut after = last + 1;
        let factor = if !last_suffix.is_empty() {
            unit_seconds(last_suffix)
        } else if let Some(unit) = words
            .get(last + 1)
            .filter(|w| w.gap.trim().is_empty())
            .and_then(|w| unit_seconds(w.text))
        {
            after += 1;
            Some(unit)
        } else {
            None
        };
        // A key that names a duration (`Query_time: 12.3`, `took_ms=124`): its unit, or
        // seconds for the MySQL keys that have none.
        let gap = words[index]
            .gap
            .trim_matches(|c: char| c == ' ' || c == '"');
        let key = index
            .checked_sub(1)
            .filter(|_| matches!(gap, ":" | "="))
            .map(|k| lower[k].as_str())
            .filter(|key| is_duration_key(key));
        let factor = factor.or_else(|| key.map(|key| key_unit_seconds(key).unwrap_or(1.0)));
        if let Some(factor) = factor {
            let clock = lower.get(after).is_some_and(|w| w == "clock");
            // Go's gctrace `a+b+c ms clock`: a and c stop the world, b runs concurrently.
            let value = if clock && values.len() == 3 {
                values[0] + values[2]
            } else {
                values.iter().sum()
            };
            let cued = key.is_some()
                || (index.saturating_sub(CUE_DISTANCE)..index).any(|k| {
                    let word = lower[k].trim_end_matches(':');
                    DURATION_CUES.contains(&word) || is_duration_key(word)
                });
            found.push(Found {
                seconds: value * factor,
                cued,
                clock,
            });
        }
        index = after.max(index + 1);
    }
    found
}

/// The operation a line reports and how long it took, if it reports one.
pub(crate) fn timed_operation(message: &str) -> Option<TimedOperation> {
    if !may_hold_duration(message) {
        return None;
    }
    let words = words(message);
    let lower: Vec<String> = words.iter().map(|w| w.text.to_lowercase()).collect();
    if lower.iter().any(|w| NOT_MEASURED.contains(&w.as_str())) {
        return None;
    }
    let gc_line = lower
        .iter()
        .any(|w| w == "gc" || w == "pause" || w.contains("garbage"));
    let found = found_durations(&words, &lower);
    let seconds = if gc_line {
        // A GC line's pause is its wall-clock figure (Go) or its last duration (the JVM
        // writes uptime decorations first and the pause last).
        found.iter().find(|f| f.clock).or(found.last())?.seconds
    } else {
        found
            .iter()
            .filter(|f| f.cued)
            .map(|f| f.seconds)
            .fold(None, |max: Option<f64>, s| {
                Some(max.map_or(s, |m| m.max(s)))
            })?
    };
    if !seconds.is_finite() || seconds < 0.0 {
        return None;
    }
    Some(TimedOperation {
        kind: operation_kind(&lower, gc_line),
        seconds,
    })
}

/// A duration carried by a structured field (`duration_ms=5234`, `"took": "1.2s"`).
pub(crate) fn timed_field(key: &str, value: &str, message: &str) -> Option<TimedOperation> {
    if !is_duration_key(key) {
        return None;
    }
    let value = value.trim();
    let (number, suffix) = number_and_suffix(value)?;
    let factor = if suffix.is_empty() {
        key_unit_seconds(key)?
    } else {
        unit_seconds(suffix.trim())?
    };
    let seconds = number * factor;
    if !seconds.is_finite() {
        return None;
    }
    let mut lower: Vec<String> = words(message)
        .iter()
        .map(|w| w.text.to_lowercase())
        .collect();
    if lower.iter().any(|w| NOT_MEASURED.contains(&w.as_str())) {
        return None;
    }
    lower.push(key.to_lowercase());
    Some(TimedOperation {
        kind: operation_kind(&lower, false),
        seconds,
    })
}

fn operation_kind(lower_words: &[String], gc_line: bool) -> OperationKind {
    let any = |test: &dyn Fn(&str) -> bool| lower_words.iter().any(|w| test(w));
    if gc_line {
        OperationKind::GcPause
    } else if any(&|w| w.contains("lock") && w != "lock_time")
        && any(&|w| w.starts_with("wait") || w == "lock_time" || w == "acquire")
    {
        OperationKind::LockWait
    } else if any(&|w| {
        matches!(
            w,
            "query"
                | "queries"
                | "statement"
                | "select"
                | "insert"
                | "update"
                | "delete"
                | "execute"
                | "sql"
                | "query_time"
        )
    }) {
        OperationKind::Query
    } else {
        OperationKind::Operation
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(line: &str, expected: Option<(OperationKind, f64)>) {
        let found = timed_operation(line).map(|op| (op.kind, op.seconds));
        match (found, expected) {
            (Some((kind, seconds)), Some((want_kind, want_seconds))) => {
                assert_eq!(kind, want_kind, "{line:?}");
                assert!(
                    (seconds - want_seconds).abs() < 1e-9 * want_seconds.max(1.0),
                    "{line:?}: {seconds} != {want_seconds}"
                );
            }
            (found, expected) => assert_eq!(found, expected, "{line:?}"),
        }
    }

    #[test]
    fn durations_with_a_cue_or_a_key() {
        use OperationKind::*;
        check("GET /api/users took 1520ms", Some((Operation, 1.52)));
        check(
            "export finished in 3.5 s (1200 rows)",
            Some((Operation, 3.5)),
        );
        check(
            "duration: 812.5 ms  statement: UPDATE accounts SET balance = balance - 5",
            Some((Query, 0.8125)),
        );
        check(
            "# Query_time: 12.500000  Lock_time: 0.000100 Rows_sent: 1",
            Some((Query, 12.5)),
        );
        check(
            "process 4711 still waiting for ExclusiveLock on tuple (3,7) of relation 16402 after 2000.125 ms",
            Some((LockWait, 2.000125)),
        );
        check(
            "render done elapsed_ms=250 items=40",
            Some((Operation, 0.25)),
        );
        check("handled request in 45µs", Some((Operation, 45e-6)));
    }

    #[test]
    fn gc_pause_lines() {
        use OperationKind::*;
        check(
            "[12.345s][info][gc] GC(7) Pause Young (Concurrent Start) (G1 Humongous Allocation) 900M->300M(2048M) 1810.5ms",
            Some((GcPause, 1.8105)),
        );
        check(
            "gc 31 @120.4s 3%: 0.5+250+0.4 ms clock, 2.0+0.1/40/90+1.6 ms cpu, 120->60->58 MB, 121 MB goal, 8 P",
            Some((GcPause, 0.0009)),
        );
    }

    #[test]
    fn limits_waits_and_clock_times_are_not_durations() {
        check("upstream timed out after 30s", None);
        check("retrying in 5s (attempt 2 of 5)", None);
        check("cache entries expire every 300 seconds", None);
        check("job started at 12:03:22.5", None);
        check("heap 1850M->420M(4096M)", None);
        check("copied 12 files to /backup", None);
        check("worker pool size 16, queue 1000", None);
        // An announcement of how long something will take measures nothing yet.
        check("warming the cache (takes ~45s)", None);
        check("rebuild takes about 20 s", None);
    }

    #[test]
    fn structured_fields() {
        let op = timed_field("duration_ms", "5234", "request served").unwrap();
        assert_eq!(op.kind, OperationKind::Operation);
        assert!((op.seconds - 5.234).abs() < 1e-9);
        let op = timed_field("took", "1.2s", "query executed").unwrap();
        assert_eq!(op.kind, OperationKind::Query);
        assert!((op.seconds - 1.2).abs() < 1e-9);
        assert!(timed_field("user", "42", "login").is_none());
        assert!(timed_field("latency_ms", "abc", "x").is_none());
        assert!(timed_field("timeout_ms", "3000", "set timeout").is_none());
    }
}
