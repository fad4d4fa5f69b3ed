//! Code pasted on its own: a bare stack trace of any common runtime, or a source snippet.
//! The paste becomes one [`CodeSnippet`](faultmaven_model::CodeSnippet): its language, the
//! exception it reports and its frames (innermost first, each citing its line of the upload),
//! with the text redacted like any other.
//!
//! A log that carries stack traces stays a log: a trace is only code when it starts the paste
//! and no timestamps head its lines.
//!
//! Like configuration documents, the paste is buffered (capped by
//! `max_config_document_bytes`): its language and exception are only known from all of it.

mod frames;
mod language;

use self::frames::{classify, Runtime, TraceLine};
use crate::format::{FormatParser, ParserSettings, Window};
use crate::output::Output;
use faultmaven_model::{AttachmentId, CodeSnippet, StackFrame};
use std::borrow::Cow;

/// Most frames kept per snippet; a goroutine dump may list thousands.
const MAX_FRAMES: usize = 200;
/// Longest exception text kept, in characters.
const MAX_EXCEPTION_CHARS: usize = 300;

/// How strongly the window looks like a bare stack trace or a source snippet.
pub(crate) fn sniff(window: &Window<'_>) -> u8 {
    let lines = window.lines();
    let Some(first) = lines.iter().find(|line| !line.trim().is_empty()) else {
        return 0;
    };
    // A timestamp in front of the first line makes it a log, whatever follows.
    if crate::timestamp::parse_prefix(first.trim_start()).is_some() {
        return 0;
    }
    let mut non_blank = 0usize;
    let mut frame_lines = 0usize;
    for (index, line) in lines.iter().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        non_blank += 1;
        if classify(line, index as u64 + 1).is_some() {
            frame_lines += 1;
        }
    }
    let starts_a_trace = is_trace_header(first) || classify(first, 1).is_some();
    // Frames between timestamped lines are a log's stack traces; mostly frames is a trace
    // (whose `file:12:5` positions may look like times of day).
    let mostly_frames = frame_lines * 100 >= non_blank * 50;
    let timed = window.text_stats().timestamp_share() >= 0.3;
    if starts_a_trace
        && frame_lines >= 2
        && frame_lines * 100 >= non_blank * 30
        && (mostly_frames || !timed)
    {
        // `Error: ...` or `panic: ...` on top reads as a leveled log record with
        // continuation lines; mostly frames outranks that reading.
        return if mostly_frames { 96 } else { 88 };
    }
    if timed {
        return 0;
    }
    match language::detect(lines.iter().map(|line| line.as_ref())) {
        Some((_, share)) if share >= 60 => 72,
        Some(_) => 62,
        None => 0,
    }
}

/// The first line of a bare trace in any runtime.
fn is_trace_header(line: &str) -> bool {
    let line = line.trim();
    const OPENINGS: &[&str] = &[
        "Traceback (most recent call last)",
        "Exception in thread ",
        "panic: ",
        "fatal error: ",
        "goroutine ",
        "Unhandled exception.",
        "Unhandled Exception:",
        "Uncaught ",
        "Error: ",
        "PHP Fatal error:",
        "Fatal error: Uncaught",
        "Program received signal",
        "==",
    ];
    OPENINGS.iter().any(|opening| line.starts_with(opening))
        || line.contains("panicked at")
        || exception_header(line).is_some()
}

/// `Type: message` or `Type` where the type names an exception (`java.io.IOException`,
/// `ValueError`, `System.InvalidOperationException`, `TypeError`).
fn exception_header(line: &str) -> Option<&str> {
    let line = line.trim();
    let name_end = line
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '$' | ':' | '\\')))
        .unwrap_or(line.len());
    let name = line[..name_end].trim_end_matches(':');
    let last = name.rsplit(['.', ':', '\\']).next().unwrap_or(name);
    let rest = &line[name.len()..];
    let shaped = [
        "Exception",
        "Error",
        "Throwable",
        "Interrupt",
        "Exit",
        "Fault",
    ]
    .iter()
    // A bare `Error` says nothing; `ValueError` or `java.io.IOException` do.
    .any(|suffix| last.ends_with(suffix) && (last.len() > suffix.len() || name.contains('.')))
        && last.starts_with(|c: char| c.is_ascii_uppercase());
    (shaped && (rest.is_empty() || rest.starts_with(':'))).then_some(line)
}

/// What a paste says.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct CodeReading {
    pub language: Option<&'static str>,
    pub exception: Option<String>,
    pub frames: Vec<StackFrame>,
}

/// Reads the frames, runtime and exception of numbered lines; a snippet without frames gets
/// the language of its source.
pub(crate) fn read(lines: &[(u64, &str)]) -> CodeReading {
    let mut frames: Vec<(Runtime, StackFrame)> = Vec::new();
    let mut first_frame_index = None;
    for (index, &(number, line)) in lines.iter().enumerate() {
        let Some(found) = classify(line, number) else {
            continue;
        };
        first_frame_index.get_or_insert(index);
        match found {
            TraceLine::Frame(runtime, frame) | TraceLine::FunctionOnly(runtime, frame) => {
                if frames.len() < MAX_FRAMES {
                    frames.push((runtime, frame));
                }
            }
            TraceLine::Location {
                runtime,
                file,
                line,
            } => {
                // The file of the function named on the line before (Go, Rust).
                if let Some((previous, frame)) = frames.last_mut() {
                    if *previous == runtime && frame.file.is_none() {
                        frame.file = Some(file);
                        frame.line = line;
                    }
                }
            }
        }
    }
    let Some(runtime) = majority(&frames) else {
        return CodeReading {
            language: language::detect(lines.iter().map(|(_, line)| *line))
                .map(|(language, _)| language),
            exception: None,
            frames: Vec::new(),
        };
    };
    let mut frames: Vec<StackFrame> = frames
        .into_iter()
        .filter(|(found, _)| *found == runtime)
        .map(|(_, frame)| frame)
        .collect();
    if runtime == Runtime::Python {
        // Python prints the outermost call first.
        frames.reverse();
    }
    let files: Vec<&str> = frames.iter().filter_map(|f| f.file.as_deref()).collect();
    let language = runtime.language(&files);
    let text: Vec<&str> = lines.iter().map(|(_, line)| *line).collect();
    let exception = exception(runtime, &text, first_frame_index.unwrap_or(0))
        .map(|text| text.trim().chars().take(MAX_EXCEPTION_CHARS).collect());
    CodeReading {
        language: Some(language),
        exception,
        frames,
    }
}

fn majority(frames: &[(Runtime, StackFrame)]) -> Option<Runtime> {
    let mut counts: Vec<(Runtime, usize)> = Vec::new();
    for (runtime, _) in frames {
        match counts.iter_mut().find(|(found, _)| found == runtime) {
            Some((_, count)) => *count += 1,
            None => counts.push((*runtime, 1)),
        }
    }
    counts
        .into_iter()
        .max_by_key(|(_, count)| *count)
        .map(|(runtime, _)| runtime)
}

/// The exception a trace reports, in the runtime's own words (`Type: message`).
fn exception(runtime: Runtime, lines: &[&str], first_frame: usize) -> Option<String> {
    let before = &lines[..first_frame.min(lines.len())];
    let strip = |line: &str| -> String {
        let mut line = line.trim();
        for prefix in [
            "Unhandled exception. ",
            "Unhandled Exception: ",
            "Uncaught ",
            "Error: Uncaught ",
        ] {
            line = line.strip_prefix(prefix).unwrap_or(line);
        }
        if let Some(rest) = line.strip_prefix("Exception in thread \"") {
            line = rest.split_once("\" ").map_or(rest, |(_, rest)| rest);
        }
        line.to_owned()
    };
    match runtime {
        Runtime::Python => lines
            .iter()
            .rev()
            .find(|line| !line.starts_with([' ', '\t']) && exception_header(line).is_some())
            .map(|line| line.trim().to_owned()),
        Runtime::Go => lines
            .iter()
            .find(|line| line.starts_with("panic: ") || line.starts_with("fatal error: "))
            .map(|line| line.trim().to_owned()),
        Runtime::Rust => rust_panic(lines),
        Runtime::Ruby => ruby_exception(lines),
        Runtime::Php => lines.iter().find_map(|line| php_exception(line)),
        Runtime::Jvm | Runtime::DotNet | Runtime::Node | Runtime::Native => before
            .iter()
            .find(|line| !line.trim().is_empty())
            .map(|line| strip(line)),
    }
}

/// `thread 'main' panicked at src/main.rs:4:5:` + message (Rust 1.73+), or the older
/// `thread 'main' panicked at 'message', src/main.rs:4:5`.
fn rust_panic(lines: &[&str]) -> Option<String> {
    let index = lines.iter().position(|line| line.contains("panicked at"))?;
    let (_, rest) = lines[index].split_once("panicked at")?;
    let rest = rest.trim();
    let message = match rest.strip_prefix('\'') {
        Some(quoted) => quoted
            .rsplit_once("', ")
            .map_or(quoted, |(m, _)| m)
            .to_owned(),
        None => lines
            .get(index + 1)
            .map_or(String::new(), |m| m.trim().to_owned()),
    };
    Some(format!("panic: {message}"))
}

/// `app.rb:10:in 'm': message (RuntimeError)` becomes `RuntimeError: message`.
fn ruby_exception(lines: &[&str]) -> Option<String> {
    lines.iter().find_map(|line| {
        let line = line.trim();
        let (_, tail) = line.split_once(".rb:")?;
        let (_, tail) = tail.split_once("': ")?;
        let (message, kind) = tail.rsplit_once(" (")?;
        let kind = kind.strip_suffix(')')?;
        Some(format!("{kind}: {message}"))
    })
}

/// `PHP Fatal error:  Uncaught RuntimeException: message in /x.php:3` becomes
/// `RuntimeException: message`.
fn php_exception(line: &str) -> Option<String> {
    let (_, rest) = line.split_once("Uncaught ")?;
    let rest = rest
        .rsplit_once(" in /")
        .map_or(rest, |(message, _)| message);
    Some(rest.trim().to_owned())
}

/// Buffers the paste, then emits it as one snippet.
pub(crate) struct CodeParser {
    attachment: AttachmentId,
    max_bytes: usize,
    lines: Vec<(u64, String)>,
    bytes: usize,
    cut_at: Option<u64>,
}

impl CodeParser {
    pub fn new(settings: &ParserSettings) -> Self {
        Self {
            attachment: settings.attachment,
            max_bytes: settings.max_config_document_bytes,
            lines: Vec::new(),
            bytes: 0,
            cut_at: None,
        }
    }
}

impl FormatParser for CodeParser {
    fn line(&mut self, number: u64, line: &str, out: &mut Output<'_>) {
        if self.cut_at.is_some() {
            return;
        }
        if self.bytes + line.len() > self.max_bytes {
            self.cut_at = Some(number);
            out.issue(
                Some(number),
                format_args!(
                    "code longer than {} bytes: the rest is not read",
                    self.max_bytes
                ),
            );
            return;
        }
        self.bytes += line.len() + 1;
        self.lines.push((number, line.to_owned()));
    }

    fn finish(&mut self, out: &mut Output<'_>) {
        let lines = std::mem::take(&mut self.lines);
        let (Some(&(first_line, _)), Some(&(last_line, _))) = (lines.first(), lines.last()) else {
            return;
        };
        let numbered: Vec<(u64, &str)> = lines
            .iter()
            .map(|(number, line)| (*number, line.as_str()))
            .collect();
        let reading = read(&numbered);
        let mut text = String::with_capacity(self.bytes);
        for (_, line) in &lines {
            text.push_str(line);
            text.push('\n');
        }
        out.code(CodeSnippet {
            attachment: self.attachment,
            first_line,
            last_line,
            language: reading.language.map(Cow::Borrowed),
            exception: reading.exception.map(Cow::Owned),
            frames: reading.frames,
            text: Cow::Owned(text),
        });
    }
}

#[cfg(test)]
mod tests;
