//! Unit tests of `text`.

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
    assert!(is_exception_header("KeyboardInterrupt"));
    assert!(!is_exception_header("Error while reading"));
    assert!(!is_exception_header("an Exception: x"));
}
