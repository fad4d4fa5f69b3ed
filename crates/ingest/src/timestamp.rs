//! Timestamp recognition: the date and time forms logs start with, epoch numbers, and the
//! year-less forms (syslog) resolved against a configured base year.
//!
//! Hand-written byte scanning rather than regexes or `chrono` format strings: it runs on every
//! line at several candidate positions, so a miss must cost a few byte comparisons.

use chrono::NaiveDate;
use faultmaven_model::Timestamp;

/// The date and time fields read from text, before a year is supplied and the zone applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DateTimeParts {
    /// `None` for year-less forms such as syslog's `Jan  5 14:03:07`.
    pub year: Option<i32>,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    pub nanos: u32,
    /// Offset of the written time from UTC, in seconds (0 when the text names no zone).
    pub offset_seconds: i32,
}

/// Which written form a timestamp had; layout learning counts these so one line's accidental
/// match does not decide how a whole file is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum TimestampShape {
    /// `2024-01-05T14:03:07.123Z`, `2024-01-05 14:03:07,123`, `2024/01/05 14:03:07`, ...
    IsoLike,
    /// `20240105T140307Z`, `20171223-22:15:29:606`.
    CompactDate,
    /// `081109 203615` (HDFS).
    CompactShortYear,
    /// `17/06/09 20:10:40` (log4j `yy/MM/dd`).
    ShortYearSlashes,
    /// `01/05/2024 14:03:07` or `05.01.2024 14:03:07`.
    DayMonthYear,
    /// `10/Oct/2000:13:55:36 -0700` (common log format).
    CommonLog,
    /// `05-Jan-2024 14:03:07.123` (Tomcat).
    DayMonthNameYear,
    /// `03-17 16:13:38.811` (Android) or `10.30 16:49:06` (Proxifier): no year.
    MonthDayNoYear,
    /// `Jan  5 14:03:07` (RFC 3164 syslog), optionally with a year.
    MonthNameDay,
    /// `Sun Dec 04 04:47:44 2005` (ctime, Apache) or `Sun, 04 Dec 2005 04:47:44 GMT`.
    WeekdayFirst,
    /// Seconds, milliseconds, microseconds or nanoseconds since the epoch.
    Epoch,
    /// glog/klog (Kubernetes components): `E0501 14:03:07.123456`, the level letter fused
    /// to the month and day; no year.
    Klog,
}

impl TimestampShape {
    /// The level a timestamp form carries itself (klog's leading letter).
    pub(crate) fn level_letter(self, text: &str) -> Option<faultmaven_model::Level> {
        match self {
            Self::Klog => faultmaven_model::Level::parse(&text[..1]),
            _ => None,
        }
    }
}

/// A timestamp found at the start of some text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ParsedTimestamp {
    pub parts: DateTimeParts,
    /// Bytes of the text the timestamp covers (including brackets around it).
    pub len: usize,
    pub shape: TimestampShape,
}

/// Turns parsed parts into instants, supplying the year to year-less forms: the base year,
/// moved forward when the month wraps (December lines followed by January lines).
#[derive(Debug, Clone)]
pub(crate) struct YearResolver {
    base_year: i32,
    last_yearless_month: Option<u32>,
}

impl YearResolver {
    pub fn new(base_year: i32) -> Self {
        Self {
            base_year,
            last_yearless_month: None,
        }
    }

    pub fn resolve(&mut self, parts: &DateTimeParts) -> Option<Timestamp> {
        let year = match parts.year {
            Some(year) => year,
            None => {
                if let Some(last) = self.last_yearless_month {
                    // A jump back of more than half a year is the new year, not disorder.
                    if parts.month + 6 < last {
                        self.base_year += 1;
                    }
                }
                self.last_yearless_month = Some(parts.month);
                self.base_year
            }
        };
        to_timestamp(year, parts)
    }
}

fn to_timestamp(year: i32, parts: &DateTimeParts) -> Option<Timestamp> {
    let second = parts.second.min(59); // a leap second lands on :59
    let naive = NaiveDate::from_ymd_opt(year, parts.month, parts.day)?.and_hms_nano_opt(
        parts.hour,
        parts.minute,
        second,
        parts.nanos,
    )?;
    let nanos = naive.and_utc().timestamp_nanos_opt()?;
    let offset = i64::from(parts.offset_seconds) * 1_000_000_000;
    Some(Timestamp::from_unix_nanos(nanos.checked_sub(offset)?))
}

/// First and last epoch second accepted for bare numbers: 2000-01-01 and 2100-01-01. Outside
/// it a number is far more likely an id or a counter than a time.
const EPOCH_SECONDS_MIN: i64 = 946_684_800;
const EPOCH_SECONDS_MAX: i64 = 4_102_444_800;

/// Reads a number as an epoch time, guessing the unit from its magnitude (seconds,
/// milliseconds, microseconds or nanoseconds) and accepting only years 2000 to 2099.
pub(crate) fn epoch_number_to_timestamp(value: f64) -> Option<Timestamp> {
    if !value.is_finite() || value <= 0.0 {
        return None;
    }
    // Whole numbers take the exact integer path: `1714572187123 / 1e3` is not exact in f64.
    if value.fract() == 0.0 && value < 9.0e18 {
        return epoch_integer_to_timestamp(value as i64);
    }
    let min = EPOCH_SECONDS_MIN as f64;
    let max = EPOCH_SECONDS_MAX as f64;
    for scale in [1.0, 1e3, 1e6, 1e9] {
        let seconds = value / scale;
        if (min..max).contains(&seconds) {
            return Timestamp::from_unix_seconds_f64(seconds);
        }
    }
    None
}

/// Reads an integer as an epoch time in seconds, milliseconds, microseconds or nanoseconds,
/// exactly, accepting only years 2000 to 2099.
pub(crate) fn epoch_integer_to_timestamp(value: i64) -> Option<Timestamp> {
    for (divisor, nanos_per_unit) in [
        (1, 1_000_000_000),
        (1_000, 1_000_000),
        (1_000_000, 1_000),
        (1_000_000_000, 1),
    ] {
        if (EPOCH_SECONDS_MIN..EPOCH_SECONDS_MAX).contains(&(value / divisor)) {
            return Some(Timestamp::from_unix_nanos(
                value.checked_mul(nanos_per_unit)?,
            ));
        }
    }
    None
}

/// Reads epoch text (`1714572187`, `1714572187123`, `1714572187.123`) exactly.
pub(crate) fn epoch_text_to_timestamp(text: &str) -> Option<Timestamp> {
    let text = text.trim();
    if !text.contains(['.', 'e', 'E']) {
        return epoch_integer_to_timestamp(text.parse().ok()?);
    }
    epoch_number_to_timestamp(text.parse().ok()?)
}

/// Parses text that must be a timestamp as a whole (a JSON or CSV field): a date-time form or
/// an epoch number.
pub(crate) fn parse_whole(text: &str, years: &mut YearResolver) -> Option<Timestamp> {
    let text = text.trim();
    if let Some(parsed) = parse_prefix(text) {
        if parsed.len == text.len() {
            return years.resolve(&parsed.parts);
        }
    }
    if text.bytes().all(|b| b.is_ascii_digit() || b == b'.') && !text.is_empty() {
        return epoch_text_to_timestamp(text);
    }
    None
}

/// Finds a timestamp at the very start of `text`. The timestamp must end at a word boundary.
pub(crate) fn parse_prefix(text: &str) -> Option<ParsedTimestamp> {
    let bytes = text.as_bytes();
    if bytes.first() == Some(&b'[') {
        let inner = parse_unbracketed(&bytes[1..])?;
        let mut end = 1 + inner.len;
        while bytes.get(end) == Some(&b' ') {
            end += 1;
        }
        if bytes.get(end) != Some(&b']') {
            return None;
        }
        return Some(ParsedTimestamp {
            len: end + 1,
            ..inner
        });
    }
    let parsed = parse_unbracketed(bytes)?;
    match bytes.get(parsed.len) {
        Some(next) if next.is_ascii_alphanumeric() => None,
        _ => Some(parsed),
    }
}

fn parse_unbracketed(bytes: &[u8]) -> Option<ParsedTimestamp> {
    let first = *bytes.first()?;
    let mut cursor = Cursor { bytes, pos: 0 };
    let (parts, shape) = if first.is_ascii_digit() {
        numeric_form(&mut cursor)?
    } else if first.is_ascii_alphabetic() {
        named_form(&mut cursor)?
    } else {
        return None;
    };
    if !parts_in_range(&parts) {
        return None;
    }
    Some(ParsedTimestamp {
        parts,
        len: cursor.pos,
        shape,
    })
}

fn parts_in_range(parts: &DateTimeParts) -> bool {
    // A year-less date is checked against a leap year so `Feb 29` passes.
    let year = parts.year.unwrap_or(2000);
    parts.hour <= 23
        && parts.minute <= 59
        && parts.second <= 60
        && (1970..=2200).contains(&year)
        && NaiveDate::from_ymd_opt(year, parts.month, parts.day).is_some()
}

struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn peek_at(&self, ahead: usize) -> Option<u8> {
        self.bytes.get(self.pos + ahead).copied()
    }

    fn eat(&mut self, byte: u8) -> bool {
        if self.peek() == Some(byte) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn eat_spaces(&mut self, max: usize) -> usize {
        let mut eaten = 0;
        while eaten < max && self.peek() == Some(b' ') {
            self.pos += 1;
            eaten += 1;
        }
        eaten
    }

    fn digit_run(&self) -> usize {
        self.bytes[self.pos..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count()
    }

    /// Reads between `min` and `max` digits.
    fn number(&mut self, min: usize, max: usize) -> Option<u32> {
        let run = self.digit_run();
        if run < min || run > max {
            return None;
        }
        let mut value = 0u32;
        for &byte in &self.bytes[self.pos..self.pos + run] {
            value = value * 10 + u32::from(byte - b'0');
        }
        self.pos += run;
        Some(value)
    }

    /// Reads exactly `count` digits even when more follow (`081109` is three numbers).
    fn fixed(&mut self, count: usize) -> Option<u32> {
        let slice = self.bytes.get(self.pos..self.pos + count)?;
        let mut value = 0u32;
        for &byte in slice {
            if !byte.is_ascii_digit() {
                return None;
            }
            value = value * 10 + u32::from(byte - b'0');
        }
        self.pos += count;
        Some(value)
    }

    fn word(&self) -> &[u8] {
        let run = self.bytes[self.pos..]
            .iter()
            .take_while(|b| b.is_ascii_alphabetic())
            .count();
        &self.bytes[self.pos..self.pos + run]
    }
}

struct TimeOfDay {
    hour: u32,
    minute: u32,
    second: u32,
    nanos: u32,
}

/// `HH:MM[:SS][.fraction]` with `separator` between the fields; `,` and `.` start a fraction,
/// and so does `:` when exactly three digits follow (`22:15:29:606`). An ` AM`/` PM` suffix is
/// applied.
fn time_of_day(cursor: &mut Cursor<'_>, separator: u8) -> Option<TimeOfDay> {
    let mut hour = cursor.number(1, 2)?;
    if !cursor.eat(separator) {
        return None;
    }
    // Some writers do not pad minutes and seconds (`22:53:7:6` in HealthApp).
    let minute = cursor.number(1, 2)?;
    let mut second = 0;
    let mut nanos = 0;
    let save = cursor.pos;
    if cursor.eat(separator) {
        match cursor.number(1, 2) {
            Some(value) => second = value,
            None => cursor.pos = save,
        }
    }
    if cursor.pos != save {
        let before_fraction = cursor.pos;
        let fraction_separator = cursor.peek();
        if fraction_separator == Some(b':') && (1..=3).contains(&cursor.digit_run_at(1)) {
            // `:606` is a count of milliseconds, padded or not.
            cursor.pos += 1;
            let millis = cursor.number(1, 3)?;
            nanos = millis * 1_000_000;
        } else if matches!(fraction_separator, Some(b'.' | b','))
            && cursor.peek_at(1).is_some_and(|b| b.is_ascii_digit())
        {
            cursor.pos += 1;
            let run = cursor.digit_run();
            let digits = &cursor.bytes[cursor.pos..cursor.pos + run];
            let mut value = 0u32;
            for (index, &byte) in digits.iter().enumerate() {
                if index < 9 {
                    value = value * 10 + u32::from(byte - b'0');
                }
            }
            for _ in run.min(9)..9 {
                value *= 10;
            }
            nanos = value;
            cursor.pos += run;
        } else {
            cursor.pos = before_fraction;
        }
    }
    // 12-hour clocks (`2:03:07 PM`).
    let save = cursor.pos;
    let spaces = cursor.eat_spaces(1);
    let word = cursor.word();
    if word.len() == 2 && (word.eq_ignore_ascii_case(b"AM") || word.eq_ignore_ascii_case(b"PM")) {
        if hour == 0 || hour > 12 {
            return None;
        }
        let afternoon = word.eq_ignore_ascii_case(b"PM");
        hour = match (hour, afternoon) {
            (12, false) => 0,
            (12, true) => 12,
            (hour, true) => hour + 12,
            (hour, false) => hour,
        };
        cursor.pos += 2;
    } else {
        cursor.pos = save;
        let _ = spaces;
    }
    Some(TimeOfDay {
        hour,
        minute,
        second,
        nanos,
    })
}

impl Cursor<'_> {
    fn digit_run_at(&self, ahead: usize) -> usize {
        self.bytes.get(self.pos + ahead..).map_or(0, |rest| {
            rest.iter().take_while(|b| b.is_ascii_digit()).count()
        })
    }
}

/// An optional zone after a time: `Z`, `+02:00`, `+0200`, `-07`, ` -0700`, ` UTC`, ` GMT`.
/// Leaves the cursor untouched and returns 0 when there is none.
fn zone(cursor: &mut Cursor<'_>) -> i32 {
    let save = cursor.pos;
    if cursor.eat(b'Z') {
        return 0;
    }
    let spaced = cursor.eat_spaces(1) == 1;
    match cursor.peek() {
        Some(sign @ (b'+' | b'-')) => {
            cursor.pos += 1;
            let run = cursor.digit_run();
            let parsed = if spaced {
                // After a space only `+0200` and `+02:00` count (` - INFO` is not a zone; the
                // colon form is .NET's and Serilog's `yyyy-MM-dd HH:mm:ss.fff zzz`).
                let colon_form =
                    run == 2 && cursor.peek_at(2) == Some(b':') && cursor.digit_run_at(3) == 2;
                (run == 4 || colon_form).then(|| {
                    let hours = cursor.fixed(2).unwrap_or(0);
                    cursor.eat(b':');
                    let minutes = cursor.fixed(2).unwrap_or(0);
                    (hours, minutes)
                })
            } else if run == 4 {
                let hours = cursor.fixed(2).unwrap_or(0);
                let minutes = cursor.fixed(2).unwrap_or(0);
                Some((hours, minutes))
            } else if run == 2 {
                let hours = cursor.fixed(2).unwrap_or(0);
                let minutes = if cursor.peek() == Some(b':') && cursor.digit_run_at(1) == 2 {
                    cursor.pos += 1;
                    cursor.fixed(2).unwrap_or(0)
                } else {
                    0
                };
                Some((hours, minutes))
            } else {
                None
            };
            match parsed {
                Some((hours, minutes)) if hours <= 14 && minutes <= 59 => {
                    let offset = (hours * 3600 + minutes * 60) as i32;
                    if sign == b'-' {
                        -offset
                    } else {
                        offset
                    }
                }
                _ => {
                    cursor.pos = save;
                    0
                }
            }
        }
        Some(b'U' | b'G') if spaced => {
            let word = cursor.word();
            if word == b"UTC" || word == b"GMT" {
                cursor.pos += 3;
            } else {
                cursor.pos = save;
            }
            0
        }
        _ => {
            cursor.pos = save;
            0
        }
    }
}

fn parts(
    year: Option<i32>,
    month: u32,
    day: u32,
    time: &TimeOfDay,
    offset_seconds: i32,
) -> DateTimeParts {
    DateTimeParts {
        year,
        month,
        day,
        hour: time.hour,
        minute: time.minute,
        second: time.second,
        nanos: time.nanos,
        offset_seconds,
    }
}

fn numeric_form(cursor: &mut Cursor<'_>) -> Option<(DateTimeParts, TimestampShape)> {
    let run = cursor.digit_run();
    let after = cursor.peek_at(run);
    match (run, after) {
        (4, Some(separator @ (b'-' | b'/' | b'.'))) => {
            let year = cursor.fixed(4)? as i32;
            cursor.eat(separator);
            let month = cursor.number(1, 2)?;
            if !cursor.eat(separator) {
                return None;
            }
            let day = cursor.number(1, 2)?;
            let time_separator = date_time_separator(cursor, separator == b'-')?;
            let time = time_of_day(cursor, time_separator)?;
            let offset = zone(cursor);
            Some((
                parts(Some(year), month, day, &time, offset),
                TimestampShape::IsoLike,
            ))
        }
        (8, Some(b'T' | b'-' | b' ' | b'_')) => {
            let year = cursor.fixed(4)? as i32;
            let month = cursor.fixed(2)?;
            let day = cursor.fixed(2)?;
            cursor.pos += 1;
            let time = if cursor.digit_run() == 6 {
                TimeOfDay {
                    hour: cursor.fixed(2)?,
                    minute: cursor.fixed(2)?,
                    second: cursor.fixed(2)?,
                    nanos: 0,
                }
            } else {
                time_of_day(cursor, b':')?
            };
            let offset = zone(cursor);
            Some((
                parts(Some(year), month, day, &time, offset),
                TimestampShape::CompactDate,
            ))
        }
        (6, Some(b' ')) if cursor.digit_run_at(7) == 6 => {
            let year = 2000 + cursor.fixed(2)? as i32;
            let month = cursor.fixed(2)?;
            let day = cursor.fixed(2)?;
            cursor.pos += 1;
            let time = TimeOfDay {
                hour: cursor.fixed(2)?,
                minute: cursor.fixed(2)?,
                second: cursor.fixed(2)?,
                nanos: 0,
            };
            Some((
                parts(Some(year), month, day, &time, 0),
                TimestampShape::CompactShortYear,
            ))
        }
        (1 | 2, Some(separator @ (b'/' | b'-' | b'.'))) => short_first_form(cursor, separator),
        (10 | 13 | 16 | 19, _) => epoch_form(cursor, run),
        _ => None,
    }
}

/// The separator between a date and a time: `T`, one or two spaces, `_`, or (after a dashed
/// date) `-` or `:`; returns the separator the time then uses between its fields (`.` in
/// `2005-06-03-15.42.50.675872`).
fn date_time_separator(cursor: &mut Cursor<'_>, dashed_date: bool) -> Option<u8> {
    match cursor.peek()? {
        b'T' | b'_' => {
            cursor.pos += 1;
            Some(b':')
        }
        b' ' => {
            cursor.eat_spaces(2);
            Some(b':')
        }
        b'-' | b':' if dashed_date => {
            cursor.pos += 1;
            // BGL writes `HH.MM.SS`; look at what follows the hour to tell.
            let hour_digits = cursor.digit_run();
            match cursor.peek_at(hour_digits) {
                Some(b'.') => Some(b'.'),
                _ => Some(b':'),
            }
        }
        _ => None,
    }
}

/// How the date of a layout that starts with a one- or two-digit number is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DateOrder {
    /// `10/Oct/2000`, `05-Jan-2024`: day, month name, four-digit year.
    DayMonthNameYear,
    /// `01/05/2024`: month first (US) unless the first number cannot be a month.
    MonthFirstUnlessImpossible,
    /// `05-01-2024`, `05.01.2024`: day, two-digit month, four-digit year.
    DayMonthYear,
    /// `17/06/09` (log4j `yy/MM/dd`).
    ShortYearMonthDay,
    /// `03-17` (Android), `10.30` (Proxifier): month and day, no year.
    MonthDayNoYear,
}

/// What joins the date to the time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DateTimeJoin {
    /// A colon (common log format `10/Oct/2000:13:55:36`).
    Colon,
    /// `T`, `_` or one or two spaces (see `date_time_separator`).
    Separator,
    /// Up to this many spaces, at least one.
    Spaces(usize),
}

/// One written date-time layout.
#[derive(Debug, Clone, Copy)]
struct DateLayout {
    /// Between the date's fields.
    separator: u8,
    order: DateOrder,
    join: DateTimeJoin,
    /// A zone may follow the time.
    zoned: bool,
    shape: TimestampShape,
}

/// Layouts whose first field is a one- or two-digit number, tried in order for the separator
/// that follows that number; the first that reads the whole date and time wins.
const SHORT_FIRST_LAYOUTS: &[DateLayout] = &[
    DateLayout {
        separator: b'/',
        order: DateOrder::DayMonthNameYear,
        join: DateTimeJoin::Colon,
        zoned: true,
        shape: TimestampShape::CommonLog,
    },
    DateLayout {
        separator: b'/',
        order: DateOrder::MonthFirstUnlessImpossible,
        join: DateTimeJoin::Separator,
        zoned: true,
        shape: TimestampShape::DayMonthYear,
    },
    DateLayout {
        separator: b'/',
        order: DateOrder::ShortYearMonthDay,
        join: DateTimeJoin::Separator,
        zoned: true,
        shape: TimestampShape::ShortYearSlashes,
    },
    DateLayout {
        separator: b'-',
        order: DateOrder::DayMonthNameYear,
        join: DateTimeJoin::Separator,
        zoned: true,
        shape: TimestampShape::DayMonthNameYear,
    },
    DateLayout {
        separator: b'-',
        order: DateOrder::DayMonthYear,
        join: DateTimeJoin::Separator,
        zoned: true,
        shape: TimestampShape::DayMonthYear,
    },
    DateLayout {
        separator: b'-',
        order: DateOrder::MonthDayNoYear,
        join: DateTimeJoin::Spaces(2),
        zoned: false,
        shape: TimestampShape::MonthDayNoYear,
    },
    DateLayout {
        separator: b'.',
        order: DateOrder::DayMonthYear,
        join: DateTimeJoin::Separator,
        zoned: true,
        shape: TimestampShape::DayMonthYear,
    },
    DateLayout {
        separator: b'.',
        order: DateOrder::MonthDayNoYear,
        join: DateTimeJoin::Spaces(1),
        zoned: false,
        shape: TimestampShape::MonthDayNoYear,
    },
];

/// Tries every layout for the separator after the first number.
fn short_first_form(
    cursor: &mut Cursor<'_>,
    separator: u8,
) -> Option<(DateTimeParts, TimestampShape)> {
    let start = cursor.pos;
    for layout in SHORT_FIRST_LAYOUTS
        .iter()
        .filter(|layout| layout.separator == separator)
    {
        if let Some(found) = read_layout(cursor, layout) {
            return Some(found);
        }
        cursor.pos = start;
    }
    None
}

/// Reads one layout at the cursor; the cursor is left anywhere on failure.
fn read_layout(
    cursor: &mut Cursor<'_>,
    layout: &DateLayout,
) -> Option<(DateTimeParts, TimestampShape)> {
    let first = cursor.number(1, 2)?;
    if !cursor.eat(layout.separator) {
        return None;
    }
    let (year, month, day) = match layout.order {
        DateOrder::DayMonthNameYear => {
            let word = cursor.word();
            let month = month_from_name(word)?;
            cursor.pos += word.len();
            if !cursor.eat(layout.separator) {
                return None;
            }
            (Some(cursor.fixed(4)? as i32), month, first)
        }
        DateOrder::MonthFirstUnlessImpossible => {
            let second = cursor.number(1, 2)?;
            if !cursor.eat(layout.separator) || cursor.digit_run() != 4 {
                return None;
            }
            let year = cursor.fixed(4)? as i32;
            if first > 12 {
                (Some(year), second, first)
            } else {
                (Some(year), first, second)
            }
        }
        DateOrder::DayMonthYear => {
            let second = cursor.fixed(2)?;
            if !cursor.eat(layout.separator) || cursor.digit_run() != 4 {
                return None;
            }
            (Some(cursor.fixed(4)? as i32), second, first)
        }
        DateOrder::ShortYearMonthDay => {
            let second = cursor.number(1, 2)?;
            if !cursor.eat(layout.separator) || cursor.digit_run() != 2 {
                return None;
            }
            (Some(2000 + first as i32), second, cursor.fixed(2)?)
        }
        DateOrder::MonthDayNoYear => (None, first, cursor.fixed(2)?),
    };
    let time_separator = match layout.join {
        DateTimeJoin::Colon => cursor.eat(b':').then_some(b':')?,
        DateTimeJoin::Separator => date_time_separator(cursor, false)?,
        DateTimeJoin::Spaces(max) => (cursor.eat_spaces(max) > 0).then_some(b':')?,
    };
    let time = time_of_day(cursor, time_separator)?;
    let offset = if layout.zoned { zone(cursor) } else { 0 };
    Some((parts(year, month, day, &time, offset), layout.shape))
}

fn epoch_form(cursor: &mut Cursor<'_>, run: usize) -> Option<(DateTimeParts, TimestampShape)> {
    let digits = &cursor.bytes[cursor.pos..cursor.pos + run];
    let mut wide: i128 = 0;
    for &byte in digits {
        wide = wide * 10 + i128::from(byte - b'0');
    }
    // 19 digits can exceed i64; such a number is no time anyway.
    let value = i64::try_from(wide).ok()?;
    let (seconds, mut nanos) = match run {
        10 => (value, 0),
        13 => (value / 1_000, (value % 1_000) * 1_000_000),
        16 => (value / 1_000_000, (value % 1_000_000) * 1_000),
        _ => (value / 1_000_000_000, value % 1_000_000_000),
    };
    if !(EPOCH_SECONDS_MIN..EPOCH_SECONDS_MAX).contains(&seconds) {
        return None;
    }
    cursor.pos += run;
    if run == 10 && cursor.peek() == Some(b'.') && cursor.digit_run_at(1) > 0 {
        cursor.pos += 1;
        let fraction_run = cursor.digit_run();
        let mut fraction: i64 = 0;
        for (index, &byte) in cursor.bytes[cursor.pos..cursor.pos + fraction_run]
            .iter()
            .enumerate()
        {
            if index < 9 {
                fraction = fraction * 10 + i64::from(byte - b'0');
            }
        }
        for _ in fraction_run.min(9)..9 {
            fraction *= 10;
        }
        nanos = fraction;
        cursor.pos += fraction_run;
    }
    let date = chrono::DateTime::from_timestamp(seconds, nanos as u32)?.naive_utc();
    use chrono::{Datelike, Timelike};
    Some((
        DateTimeParts {
            year: Some(date.year()),
            month: date.month(),
            day: date.day(),
            hour: date.hour(),
            minute: date.minute(),
            second: date.second(),
            nanos: date.nanosecond(),
            offset_seconds: 0,
        },
        TimestampShape::Epoch,
    ))
}

/// `I0501 14:03:07.123456`: one of `IWEF`, month and day, a space, the time.
fn klog_form(cursor: &mut Cursor<'_>) -> Option<(DateTimeParts, TimestampShape)> {
    if !matches!(cursor.peek()?, b'I' | b'W' | b'E' | b'F') || cursor.digit_run_at(1) != 4 {
        return None;
    }
    let start = cursor.pos;
    cursor.pos += 1;
    let month = cursor.fixed(2)?;
    let day = cursor.fixed(2)?;
    if cursor.eat_spaces(1) == 0 {
        cursor.pos = start;
        return None;
    }
    let Some(time) = time_of_day(cursor, b':') else {
        cursor.pos = start;
        return None;
    };
    Some((parts(None, month, day, &time, 0), TimestampShape::Klog))
}

fn month_from_name(word: &[u8]) -> Option<u32> {
    if word.len() < 3 {
        return None;
    }
    const MONTHS: [&[u8]; 12] = [
        b"january",
        b"february",
        b"march",
        b"april",
        b"may",
        b"june",
        b"july",
        b"august",
        b"september",
        b"october",
        b"november",
        b"december",
    ];
    MONTHS
        .iter()
        .position(|name| {
            (word.len() == 3 || word.len() == name.len())
                && name[..word.len()].eq_ignore_ascii_case(word)
        })
        .map(|index| index as u32 + 1)
        // "Sept" is common enough to accept too.
        .or_else(|| word.eq_ignore_ascii_case(b"sept").then_some(9))
}

fn is_weekday(word: &[u8]) -> bool {
    const DAYS: [&[u8]; 7] = [
        b"monday",
        b"tuesday",
        b"wednesday",
        b"thursday",
        b"friday",
        b"saturday",
        b"sunday",
    ];
    word.len() >= 3
        && DAYS.iter().any(|name| {
            (word.len() == 3 || word.len() == name.len())
                && name[..word.len()].eq_ignore_ascii_case(word)
        })
}

/// An optional ` 2024` after a time (syslog variants, ctime). Accepted only as four digits
/// followed by a boundary.
fn trailing_year(cursor: &mut Cursor<'_>) -> Option<i32> {
    let save = cursor.pos;
    if cursor.eat_spaces(1) == 1 && cursor.digit_run() == 4 {
        let after = cursor.peek_at(4);
        if after.is_none_or(|b| !b.is_ascii_alphanumeric() && b != b':') {
            let year = cursor.fixed(4)? as i32;
            // A host named `1234` after a syslog time is not a year.
            if (1970..=2200).contains(&year) {
                return Some(year);
            }
        }
    }
    cursor.pos = save;
    None
}

fn named_form(cursor: &mut Cursor<'_>) -> Option<(DateTimeParts, TimestampShape)> {
    if let Some(found) = klog_form(cursor) {
        return Some(found);
    }
    let word = cursor.word();
    if is_weekday(word) {
        cursor.pos += word.len();
        if cursor.eat(b',') {
            // RFC 2822: Sun, 04 Dec 2005 04:47:44 GMT
            cursor.eat_spaces(1);
            let day = cursor.number(1, 2)?;
            cursor.eat_spaces(1);
            let month = month_from_name(cursor.word())?;
            cursor.pos += cursor.word().len();
            cursor.eat_spaces(1);
            let year = cursor.fixed(4)? as i32;
            cursor.eat_spaces(1);
            let time = time_of_day(cursor, b':')?;
            let offset = zone(cursor);
            return Some((
                parts(Some(year), month, day, &time, offset),
                TimestampShape::WeekdayFirst,
            ));
        }
        // ctime: Sun Dec 04 04:47:44 2005, optionally with a zone before the year.
        cursor.eat_spaces(1);
        let month = month_from_name(cursor.word())?;
        cursor.pos += cursor.word().len();
        cursor.eat_spaces(2);
        let day = cursor.number(1, 2)?;
        cursor.eat_spaces(1);
        let time = time_of_day(cursor, b':')?;
        let offset = zone(cursor);
        let year = trailing_year(cursor);
        return Some((
            parts(year, month, day, &time, offset),
            TimestampShape::WeekdayFirst,
        ));
    }
    let month = month_from_name(word)?;
    cursor.pos += word.len();
    if cursor.eat_spaces(2) == 0 {
        return None;
    }
    let day = cursor.number(1, 2)?;
    // `Jan 5, 2024 2:03:07 PM` (java.util.logging) or `Jan 5 2024 14:03:07`.
    let comma = cursor.eat(b',');
    cursor.eat_spaces(1);
    let mut year = None;
    if cursor.digit_run() == 4 && cursor.peek_at(4) == Some(b' ') {
        year = Some(cursor.fixed(4)? as i32);
        cursor.eat_spaces(1);
    } else if comma {
        return None;
    }
    let time = time_of_day(cursor, b':')?;
    let offset = zone(cursor);
    if year.is_none() {
        year = trailing_year(cursor);
    }
    Some((
        parts(year, month, day, &time, offset),
        TimestampShape::MonthNameDay,
    ))
}

#[cfg(test)]
mod tests;
