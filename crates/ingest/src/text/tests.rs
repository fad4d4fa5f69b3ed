//! Unit tests of `text`.

use super::header::{find_timestamp, parse_header};
use super::learn::learn;
use super::tokens::{confident_level_of, level_of, next_token};
use super::traces::is_exception_header;
use super::{SourceRule, TextLayout};
use faultmaven_model::Level;
use std::borrow::Cow;

fn layout_of(text: &str) -> TextLayout {
    let lines: Vec<Cow<'_, str>> = text.lines().map(Cow::Borrowed).collect();
    learn(&lines).layout
}

#[test]
fn tokens_keep_brackets_and_pipes() {
    let line = "[a b [c]] x|y  - z";
    let mut tokens = Vec::new();
    let mut position = 0;
    while let Some(token) = next_token(line, position) {
        position = token.end;
        tokens.push(&line[token]);
    }
    assert_eq!(tokens, ["[a b [c]]", "x", "|", "y", "-", "z"]);
}

#[test]
fn learns_log4j_layout() {
    let layout = layout_of(
        "2015-10-18 18:01:47,978 INFO [main] org.apache.App: Created app\n\
         2015-10-18 18:01:48,963 WARN [main] org.apache.App: Executing with tokens:\n\
         2015-10-18 18:01:49,000 INFO [IPC Server] org.apache.Ipc: Starting\n",
    );
    assert_eq!(layout.timestamp_token, Some(0));
    assert!(layout.timestamped);
    assert_eq!(layout.level_offset, Some(0));
    assert_eq!(layout.source_rule, Some(SourceRule::BracketThenColon));
}

#[test]
fn learns_syslog_layout() {
    let layout = layout_of(
        "Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure\n\
         Jun 14 15:16:02 combo sshd(pam_unix)[19937]: check pass; user unknown\n\
         Jun 15 02:04:59 combo su(pam_unix)[20886]: session opened for user\n",
    );
    assert_eq!(layout.level_offset, None);
    assert_eq!(layout.source_rule, Some(SourceRule::Colon { offset: 1 }));
    assert!(layout.host_before_source);
}

#[test]
fn a_constant_letter_is_a_flag_not_a_level() {
    let cri = layout_of(
        "2024-05-01T14:03:07.1Z stdout F GET /health 200\n\
         2024-05-01T14:03:08.2Z stdout F GET /ready 200\n\
         2024-05-01T14:03:09.3Z stderr F warning: slow\n",
    );
    assert_eq!(cri.level_offset, None);
    let android = layout_of(
        "03-17 16:13:38.811  1702  2395 D WindowManager: a\n\
         03-17 16:13:38.819  1702  8671 I PowerManagerService: b\n\
         03-17 16:13:38.820  1702  8671 W PowerManagerService: c\n",
    );
    assert_eq!(android.level_offset, Some(2));
}

#[test]
fn confident_levels_only() {
    assert_eq!(confident_level_of("ERROR"), Some(Level::Error));
    assert_eq!(confident_level_of("[warn]"), Some(Level::Warn));
    assert_eq!(confident_level_of("error"), None);
    assert_eq!(confident_level_of("E"), None);
    assert_eq!(level_of("<W>"), Some(Level::Warn));
    assert_eq!(level_of("INFO:"), Some(Level::Info));
}

#[test]
fn exception_headers() {
    assert!(is_exception_header("java.lang.IllegalStateException: boom"));
    assert!(is_exception_header("ValueError: bad value"));
    // A traceback's last line names any exception type, not only `...Error` ones.
    assert!(super::traces::is_python_exception_line(
        "requests.exceptions.ReadTimeout: Read timed out."
    ));
    assert!(super::traces::is_python_exception_line("KeyboardInterrupt"));
    assert!(!super::traces::is_python_exception_line(
        "  File \"x.py\", line 1"
    ));
    assert!(!super::traces::is_python_exception_line("2024-05-01 done"));
    assert!(super::traces::is_go_frame("panic({0x6c8a40?, 0xa3f1b0?})"));
    assert!(is_exception_header("KeyboardInterrupt"));
    assert!(!is_exception_header("Error while reading"));
    assert!(!is_exception_header("an Exception: x"));
}

/// One line as the parser splits it.
struct SplitLine {
    level: Option<Level>,
    source: String,
    message: String,
    attributes: Vec<(String, String)>,
}

/// Every line of `text` split by the layout learned from `text`.
fn headers_of(text: &str) -> Vec<SplitLine> {
    let layout = layout_of(text);
    text.lines()
        .map(|line| {
            let header = parse_header(line, &layout, find_timestamp(line, &layout));
            SplitLine {
                level: header.level,
                source: header
                    .source
                    .map(|range| line[range].to_owned())
                    .unwrap_or_default(),
                message: line[header.message_start..].to_owned(),
                attributes: header
                    .attributes
                    .iter()
                    .flatten()
                    .map(|(name, range)| ((*name).to_owned(), line[range.clone()].to_owned()))
                    .collect(),
            }
        })
        .collect()
}

#[test]
fn a_flag_column_after_the_timestamp_is_header() {
    // Loghub HPC: `LogId Node Component State Time Flag Content`; the flag takes -1, 0, 1.
    let flags = ["1", "1", "0", "1", "-1", "1", "1", "0", "1", "1"];
    let messages = [
        "Component State Change: Component \\042alt0\\042 is in the unavailable state",
        "Linkerror event interval expired",
        "running running",
        "ClusterFileSystem: ServerFileSystem domain storage1 is full",
        "Fan speeds ( 3552 3534 3375 4010 )",
        "Link error on broadcast tree Interconnect-0T00:00:2:0",
        "configured out",
        "not responding",
        "Temperature (41C) exceeds warning threshold",
        "Command has completed successfully",
    ];
    let text: String = flags
        .iter()
        .zip(messages)
        .enumerate()
        .map(|(index, (flag, message))| {
            format!(
                "{} node-{} unix.hw state_change.unavailable {} {flag} {message}\n",
                134681 + index,
                100 + index,
                1077804742 + index
            )
        })
        .collect();
    assert_eq!(layout_of(&text).header_columns, 1);
    for (split, (flag, expected)) in headers_of(&text)
        .into_iter()
        .zip(flags.iter().zip(messages))
    {
        assert_eq!(split.message, expected);
        let column = ("columns".to_owned(), (*flag).to_owned());
        assert!(split.attributes.contains(&column));
    }
}

#[test]
fn spring_boot_console_header() {
    let lines = [
        (
            "main",
            "o.s.b.w.embedded.tomcat.TomcatWebServer",
            "Tomcat initialized with port 8080 (http)",
        ),
        (
            "main",
            "o.apache.catalina.core.StandardService",
            "Starting service [Tomcat]",
        ),
        (
            "main",
            "o.a.c.c.C.[Tomcat].[localhost].[/]",
            "Initializing Spring embedded WebApplicationContext",
        ),
        (
            "main",
            "com.zaxxer.hikari.HikariDataSource",
            "HikariPool-1 - Starting...",
        ),
        (
            "main",
            "com.example.orders.OrdersApplication",
            "Started OrdersApplication in 6.9 seconds",
        ),
        (
            "nio-8080-exec-1",
            "o.s.web.servlet.DispatcherServlet",
            "Completed initialization in 2 ms",
        ),
        (
            "nio-8080-exec-2",
            "c.e.orders.web.OrderController",
            "order 88412 accepted",
        ),
        (
            "nio-8080-exec-3",
            "c.e.orders.web.OrderController",
            "order 88413 accepted",
        ),
        (
            "nio-8080-exec-4",
            "com.zaxxer.hikari.pool.PoolBase",
            "HikariPool-1 - Failed to validate connection",
        ),
        (
            "nio-8080-exec-5",
            "c.e.orders.web.OrderController",
            "order 88414 rejected: database unavailable",
        ),
    ];
    // Spring Boot 2 (`%5p ${PID} --- [%15.15t] %-40.40logger{39} : %m`) and Spring Boot 3.2
    // (the application name in brackets after `---`).
    for (application, columns) in [("", "1234"), ("[orders] ", "1234 --- [orders]")] {
        let text: String = lines
            .iter()
            .enumerate()
            .map(|(index, (thread, logger, message))| {
                let level = if index == 8 { "WARN" } else { "INFO" };
                format!(
                    "2024-01-02 10:00:0{index}.123  {level:>5} 1234 --- {application}[{thread:>15}] \
                     {logger:<40} : {message}\n"
                )
            })
            .collect();
        let layout = layout_of(&text);
        assert_eq!(
            layout.source_rule,
            Some(SourceRule::BracketThenColon),
            "{text}"
        );
        for (split, (thread, logger, expected)) in headers_of(&text).into_iter().zip(lines) {
            assert!(split.level.is_some());
            assert_eq!(split.source, logger);
            assert_eq!(split.message, expected);
            let thread = ("thread".to_owned(), thread.to_owned());
            assert!(split.attributes.contains(&thread));
            // The pid and the application name; the dashes between them carry nothing.
            let columns = ("columns".to_owned(), columns.to_owned());
            assert!(split.attributes.contains(&columns));
        }
    }
}

#[test]
fn a_thread_that_rarely_changes_stays_the_thread_of_its_source() {
    // Hadoop: `[main]` on most lines is still `[thread] Class:`, not a column.
    let text: String = (0..10)
        .map(|index| {
            let thread = if index == 9 { "IPC Server handler 0 on 8020" } else { "main" };
            format!("2015-10-18 18:01:4{index},978 INFO [{thread}] org.apache.hadoop.App{index}: step {index}\n")
        })
        .collect();
    let layout = layout_of(&text);
    assert_eq!(layout.header_columns, 0);
    assert_eq!(layout.source_rule, Some(SourceRule::BracketThenColon));
}

#[test]
fn message_words_and_varying_numbers_are_not_columns() {
    // The first word of every message is the same, and a count follows the level: neither is a
    // column (a word is not shaped like one; the count takes too many values).
    let same_word: String = (0..12)
        .map(|index| {
            format!("2024-01-02 10:00:{index:02} INFO Received block blk_{index} of size {index}\n")
        })
        .collect();
    assert_eq!(layout_of(&same_word).header_columns, 0);
    let counts: String = (0..12)
        .map(|index| {
            format!(
                "2024-01-02 10:00:{index:02} WARN {} requests queued\n",
                100 + index * 7
            )
        })
        .collect();
    assert_eq!(layout_of(&counts).header_columns, 0);
    // Too few lines to tell a column from a coincidence.
    let short = "2024-01-02 10:00:00 INFO 1 a\n2024-01-02 10:00:01 INFO 1 b\n";
    assert_eq!(layout_of(short).header_columns, 0);
}

#[test]
fn a_syslog_program_may_carry_its_version() {
    let text = "Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure\n\
                Jun 14 15:16:02 combo sshd(pam_unix)[19937]: check pass; user unknown\n\
                Jun 15 04:06:18 combo syslogd 1.4.1: restart.\n\
                Jun 15 04:06:19 mac BezelServices 255.10[94]: ASSERTION FAILED: x\n\
                Jun 15 04:06:20 combo sshd(pam_unix)[20886]: session opened for user\n";
    let split = headers_of(text);
    assert_eq!(split[2].source, "syslogd 1.4.1");
    assert_eq!(split[2].message, "restart.");
    assert_eq!(split[3].source, "BezelServices 255.10");
    assert_eq!(split[3].message, "ASSERTION FAILED: x");
    // A version needs its dots; a word before the colon is still the message.
    assert_eq!(
        headers_of(text.replace("1.4.1", "141").as_str())[2].source,
        ""
    );
}
