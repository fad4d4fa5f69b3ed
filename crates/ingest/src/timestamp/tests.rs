//! Unit and property tests of timestamp reading: every layout, round trips, bounds.

use super::*;

/// Parses `input` at its start and checks the RFC 3339 result and how much was consumed.
fn check(input: &str, expected: Option<(&str, &str)>) {
    let mut years = YearResolver::new(2024);
    let actual = parse_prefix(input).map(|parsed| {
        let timestamp = years.resolve(&parsed.parts).expect("valid date");
        (timestamp.to_rfc3339(), &input[..parsed.len])
    });
    let expected = expected.map(|(time, covered)| (time.to_owned(), covered));
    assert_eq!(actual, expected, "input {input:?}");
}

#[test]
fn iso_8601_forms() {
    check(
        "2024-01-05T14:03:07.123Z msg",
        Some(("2024-01-05T14:03:07.123Z", "2024-01-05T14:03:07.123Z")),
    );
    check(
        "2024-01-05T14:03:07+02:00 x",
        Some(("2024-01-05T12:03:07Z", "2024-01-05T14:03:07+02:00")),
    );
    check(
        "2024-01-05 14:03:07 INFO",
        Some(("2024-01-05T14:03:07Z", "2024-01-05 14:03:07")),
    );
    check(
        "2024-01-05T14:03:07.123456789-0500",
        Some((
            "2024-01-05T19:03:07.123456789Z",
            "2024-01-05T14:03:07.123456789-0500",
        )),
    );
    check(
        "2024/01/05 14:03:07 [error] 123#0",
        Some(("2024-01-05T14:03:07Z", "2024/01/05 14:03:07")),
    );
    check(
        "2024-01-05 14:03 started",
        Some(("2024-01-05T14:03:00Z", "2024-01-05 14:03")),
    );
    check(
        "2024-01-05 14:03:07 UTC started",
        Some(("2024-01-05T14:03:07Z", "2024-01-05 14:03:07 UTC")),
    );
}

#[test]
fn log_framework_forms() {
    // .NET / Serilog `yyyy-MM-dd HH:mm:ss.fff zzz`: the zone after a space, with a colon.
    check(
        "2024-05-01 14:03:07.123 +02:00 [INF] Now listening",
        Some(("2024-05-01T12:03:07.123Z", "2024-05-01 14:03:07.123 +02:00")),
    );
    check(
        "2024-05-01 14:03:07.123 -05:30 [ERR] x",
        Some(("2024-05-01T19:33:07.123Z", "2024-05-01 14:03:07.123 -05:30")),
    );
    // A dash and a number after a space are not a zone without the colon and minutes.
    check(
        "2024-05-01 14:03:07 -12 retries",
        Some(("2024-05-01T14:03:07Z", "2024-05-01 14:03:07")),
    );
    // log4j with comma millis (Hadoop), and the Zookeeper form with a dash after it.
    check(
        "2015-10-18 18:01:47,978 INFO [main]",
        Some(("2015-10-18T18:01:47.978Z", "2015-10-18 18:01:47,978")),
    );
    check(
        "2015-07-29 17:41:44,747 - INFO  [x]",
        Some(("2015-07-29T17:41:44.747Z", "2015-07-29 17:41:44,747")),
    );
    // Windows CBS: a comma right after the seconds is not a fraction.
    check(
        "2016-09-28 04:30:30, Info  CBS",
        Some(("2016-09-28T04:30:30Z", "2016-09-28 04:30:30")),
    );
    check(
        "17/06/09 20:10:40 INFO executor",
        Some(("2017-06-09T20:10:40Z", "17/06/09 20:10:40")),
    );
    check(
        "081109 203615 148 INFO dfs",
        Some(("2008-11-09T20:36:15Z", "081109 203615")),
    );
    check(
        "20171223-22:15:29:606|Step_LSC|300",
        Some(("2017-12-23T22:15:29.606Z", "20171223-22:15:29:606")),
    );
    check(
        "2005-06-03-15.42.50.675872 R02",
        Some(("2005-06-03T15:42:50.675872Z", "2005-06-03-15.42.50.675872")),
    );
    check(
        "05-Jan-2024 14:03:07.123 INFO [main]",
        Some(("2024-01-05T14:03:07.123Z", "05-Jan-2024 14:03:07.123")),
    );
    check(
        "Jan 5, 2024 2:03:07 PM org.example.Main run",
        Some(("2024-01-05T14:03:07Z", "Jan 5, 2024 2:03:07 PM")),
    );
}

#[test]
fn year_less_and_named_forms() {
    check(
        "Jan  5 14:03:07 host sshd[1]:",
        Some(("2024-01-05T14:03:07Z", "Jan  5 14:03:07")),
    );
    check(
        "Dec 10 06:55:46 LabSZ sshd",
        Some(("2024-12-10T06:55:46Z", "Dec 10 06:55:46")),
    );
    check(
        "03-17 16:13:38.811  1702  2395 D",
        Some(("2024-03-17T16:13:38.811Z", "03-17 16:13:38.811")),
    );
    check(
        "[10.30 16:49:06] chrome.exe",
        Some(("2024-10-30T16:49:06Z", "[10.30 16:49:06]")),
    );
    check(
        "[Sun Dec 04 04:47:44 2005] [notice]",
        Some(("2005-12-04T04:47:44Z", "[Sun Dec 04 04:47:44 2005]")),
    );
    check(
        "[10/Oct/2000:13:55:36 -0700] \"GET",
        Some(("2000-10-10T20:55:36Z", "[10/Oct/2000:13:55:36 -0700]")),
    );
    check(
        "Sun, 04 Dec 2005 04:47:44 GMT rest",
        Some(("2005-12-04T04:47:44Z", "Sun, 04 Dec 2005 04:47:44 GMT")),
    );
    check(
        "E0501 14:03:07.123456   12345 server.go:42] failed",
        Some(("2024-05-01T14:03:07.123456Z", "E0501 14:03:07.123456")),
    );
    check(
        "Thu Jan  4 10:00:00 UTC 2024 boot",
        Some(("2024-01-04T10:00:00Z", "Thu Jan  4 10:00:00 UTC 2024")),
    );
}

#[test]
fn epoch_numbers() {
    check(
        "1117838570 2005.06.03",
        Some(("2005-06-03T22:42:50Z", "1117838570")),
    );
    check(
        "1700000000.25 x",
        Some(("2023-11-14T22:13:20.250Z", "1700000000.25")),
    );
    check(
        "1700000000123 x",
        Some(("2023-11-14T22:13:20.123Z", "1700000000123")),
    );
    // Ids and counters are not times.
    check("134681 node-246", None);
    check("0000000001 x", None);
    check("9999999999999999999 x", None);
}

#[test]
fn non_timestamps() {
    for input in [
        "",
        "hello world",
        "2024-13-01 00:00:00",
        "2024-02-30 10:00:00",
        "2024-01-01",
        "2024-01-01T25:00:00",
        "12:00:00 only a time",
        "2024-01-05T14:03:07abc",
        "Mayday 5 12:00:00",
        "1.2.3.4 - - [x]",
        "[2024-01-05 14:03:07 unclosed",
        "v1.2.3",
        "404 not found",
    ] {
        check(input, None);
    }
}

#[test]
fn year_rolls_over_for_year_less_lines() {
    let mut years = YearResolver::new(2023);
    let december = parse_prefix("Dec 31 23:59:59").unwrap();
    let january = parse_prefix("Jan  1 00:00:01").unwrap();
    assert_eq!(
        years.resolve(&december.parts).unwrap().to_rfc3339(),
        "2023-12-31T23:59:59Z"
    );
    assert_eq!(
        years.resolve(&january.parts).unwrap().to_rfc3339(),
        "2024-01-01T00:00:01Z"
    );
}

#[test]
fn whole_field_values() {
    let mut years = YearResolver::new(2024);
    let mut whole = |text: &str| parse_whole(text, &mut years).map(|t| t.to_rfc3339());
    assert_eq!(
        whole("2014-04-01 00:05:00").as_deref(),
        Some("2014-04-01T00:05:00Z")
    );
    assert_eq!(whole("1700000000").as_deref(), Some("2023-11-14T22:13:20Z"));
    assert_eq!(
        whole("1700000000000000").as_deref(),
        Some("2023-11-14T22:13:20Z")
    );
    assert_eq!(
        whole("1714572187123").as_deref(),
        Some("2024-05-01T14:03:07.123Z")
    );
    assert_eq!(
        whole("1714572187123456789").as_deref(),
        Some("2024-05-01T14:03:07.123456789Z")
    );
    assert_eq!(whole("2014-04-01 00:05:00 trailing"), None);
    assert_eq!(whole("42"), None);
    assert_eq!(
        epoch_number_to_timestamp(1_700_000_000_500.0)
            .map(|t| t.to_rfc3339())
            .as_deref(),
        Some("2023-11-14T22:13:20.500Z")
    );
}

#[test]
fn arbitrary_text_never_panics() {
    let samples = [
        "[",
        "[]",
        "1",
        "12",
        "12/",
        "12-",
        "12.",
        "Jan",
        "Jan ",
        "Sun,",
        "2024-",
        "20240101T",
        "Sun Dec",
    ];
    for sample in samples {
        let _ = parse_prefix(sample);
    }
}

const MONTH_NAMES: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Every layout written out for the same instant, with the instant it must read back as
/// (offsets and dropped precision applied).
fn written_forms(
    (year, month, day, hour, minute, second, micros): (i32, u32, u32, u32, u32, u32, u32),
) -> Vec<(String, Timestamp)> {
    let at = |nanos: u32| {
        let naive = NaiveDate::from_ymd_opt(year, month, day)
            .unwrap()
            .and_hms_nano_opt(hour, minute, second, nanos)
            .unwrap();
        Timestamp::from_unix_nanos(naive.and_utc().timestamp_nanos_opt().unwrap())
    };
    let millis = micros / 1000;
    let name = MONTH_NAMES[month as usize - 1];
    let exact = at(micros * 1000);
    let to_millis = at(millis * 1_000_000);
    let whole = at(0);
    let shifted = Timestamp::from_unix_nanos(exact.unix_nanos() - 2 * 3_600_000_000_000);
    let epoch_seconds = whole.unix_nanos() / 1_000_000_000;
    vec![
        (
            format!("{year}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.{micros:06}Z"),
            exact,
        ),
        (
            format!(
                "{year}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.{micros:06}+02:00"
            ),
            shifted,
        ),
        (
            format!("{year}-{month:02}-{day:02} {hour:02}:{minute:02}:{second:02},{millis:03}"),
            to_millis,
        ),
        (
            format!("{year}/{month:02}/{day:02} {hour:02}:{minute:02}:{second:02}"),
            whole,
        ),
        (
            format!("[{day:02}/{name}/{year}:{hour:02}:{minute:02}:{second:02} +0000]"),
            whole,
        ),
        (
            format!("{name} {day:>2} {hour:02}:{minute:02}:{second:02}"),
            whole,
        ),
        (
            format!("I{month:02}{day:02} {hour:02}:{minute:02}:{second:02}.{micros:06}"),
            exact,
        ),
        (
            format!("{day:02}.{month:02}.{year} {hour:02}:{minute:02}:{second:02}"),
            whole,
        ),
        (
            format!("{day:02}-{name}-{year} {hour:02}:{minute:02}:{second:02}.{millis:03}"),
            to_millis,
        ),
        (
            format!(
                "{:02}/{month:02}/{day:02} {hour:02}:{minute:02}:{second:02}",
                year % 100
            ),
            whole,
        ),
        (format!("{epoch_seconds}"), whole),
        (
            format!("{}", epoch_seconds * 1000 + i64::from(millis)),
            to_millis,
        ),
        (format!("{}", exact.unix_nanos() / 1000), exact),
        (format!("{}", exact.unix_nanos()), exact),
    ]
}

proptest::proptest! {
    #[test]
    fn every_layout_round_trips(
        // From 2002: a line-leading epoch must have 10 digits (fewer reads as an id), and
        // epoch seconds reach 10 digits in September 2001.
        year in 2002i32..2099,
        month in 1u32..=12,
        day in 1u32..=28,
        hour in 0u32..24,
        minute in 0u32..60,
        second in 0u32..60,
        micros in 0u32..1_000_000,
    ) {
        for (text, expected) in written_forms((year, month, day, hour, minute, second, micros)) {
            // Year-less forms take the base year; the others must ignore it.
            let mut years = YearResolver::new(year);
            let parsed = parse_whole(&text, &mut years);
            proptest::prop_assert_eq!(parsed, Some(expected), "{}", text);
            let mut years = YearResolver::new(year);
            let in_line = format!("{text} rest of the line");
            let prefix = parse_prefix(&in_line).and_then(|found| years.resolve(&found.parts));
            proptest::prop_assert_eq!(prefix, Some(expected), "{}", in_line);
        }
    }

    #[test]
    fn arbitrary_text_never_panics_and_stays_in_bounds(text in "\\PC{0,40}") {
        if let Some(found) = parse_prefix(&text) {
            proptest::prop_assert!(found.len <= text.len());
        }
        let _ = parse_whole(&text, &mut YearResolver::new(2024));
    }

    #[test]
    fn arbitrary_date_like_text_never_panics(text in "[0-9A-Za-z /:.,+TZ\\[\\]-]{0,40}") {
        if let Some(found) = parse_prefix(&text) {
            proptest::prop_assert!(found.len <= text.len());
        }
        let _ = parse_whole(&text, &mut YearResolver::new(2024));
    }
}
