//! Recognises exceptions and stack traces in log messages and names them by type and top
//! frame: JVM (`java.lang.X: msg` + `at` frames, `Caused by:`), Python (`Traceback ...`
//! then `XError: msg`), Go (`panic:` / `fatal error:` + `goroutine`), Rust (`thread 'x'
//! panicked at`), .NET (`System.X: msg` + `at ... in file:line N`) and Node (`TypeError:
//! msg` + `at fn (file:line:col)`).
//!
//! A trace may arrive as one multi-line record or as consecutive one-line records; the
//! [`TraceAssembler`] joins the latter (per upload, by adjacent line numbers) before parsing.

/// What identifies an exception: its type and the frame it was thrown from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ExceptionSignature {
    /// Exception type (`java.lang.NullPointerException`, `ValueError`, `panic`).
    pub kind: String,
    /// The innermost frame the trace names (where it was thrown), when there is one.
    pub top_frame: Option<String>,
    /// The exception's message (first line, cut).
    pub message: String,
    /// The last `Caused by:` type of a chained JVM trace.
    pub root_cause: Option<String>,
    /// True for panics and fatal errors that end a process.
    pub fatal: bool,
}

const MAX_MESSAGE_CHARS: usize = 200;

/// Cheap test run on every message before the parser: false means no exception for sure.
pub(crate) fn may_contain_exception(text: &str) -> bool {
    text.contains("Exception")
        || text.contains("Error")
        || text.contains("Traceback")
        || text.contains("panic")
        || text.contains("Throwable")
        || text.contains("fatal error:")
        || text.contains("Interrupt")
}

/// The exception a pasted trace (a code snippet) reports: read from its text like a log's
/// trace, so the same exception groups with its log sightings; else from what ingest read
/// (runtimes this module does not parse, such as Ruby and PHP).
pub(crate) fn snippet_exception(
    snippet: &faultmaven_model::CodeSnippet<'_>,
) -> Option<ExceptionSignature> {
    if let Some(signature) = parse_exception(&snippet.text) {
        return Some(signature);
    }
    let exception = snippet.exception.as_deref()?;
    let (kind, message) = match exception.split_once(": ") {
        Some((kind, message)) => (kind.trim(), message),
        None => (exception.trim(), ""),
    };
    Some(ExceptionSignature {
        fatal: kind == "panic" || kind.starts_with("fatal"),
        kind: crate::signals::cut(kind, MAX_MESSAGE_CHARS),
        top_frame: snippet.frames.first().map(describe_frame),
        message: message_text(message),
        root_cause: None,
    })
}

/// `function (file:line)`, the way signatures name frames.
pub(crate) fn describe_frame(frame: &faultmaven_model::StackFrame) -> String {
    let file = frame
        .file
        .as_deref()
        .map(|file| file.rsplit(['/', '\\']).next().unwrap_or(file));
    match (file, frame.line) {
        (Some(file), Some(line)) => format!("{} ({file}:{line})", frame.function),
        (Some(file), None) => format!("{} ({file})", frame.function),
        _ => frame.function.clone(),
    }
}

/// Parses the exception a message (possibly several lines) reports, if any.
pub(crate) fn parse_exception(text: &str) -> Option<ExceptionSignature> {
    if !may_contain_exception(text) {
        return None;
    }
    let lines: Vec<&str> = text
        .lines()
        .map(|line| line.trim_end_matches('\r'))
        .collect();
    parse_python(&lines)
        .or_else(|| parse_go(&lines))
        .or_else(|| parse_rust(&lines))
        .or_else(|| parse_framed(&lines))
}

fn message_text(text: &str) -> String {
    crate::signals::cut(text.trim(), MAX_MESSAGE_CHARS)
}

/// `Name` or `pkg.Name` whose last segment ends like an exception type.
fn is_exception_type(name: &str, require_qualified: bool) -> bool {
    if name.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'$' | b'.'))
    {
        return false;
    }
    let last = name.rsplit('.').next().unwrap_or(name);
    let qualified = name.contains('.') && !name.starts_with('.') && !name.ends_with('.');
    let suffix_ok = [
        "Exception",
        "Error",
        "Throwable",
        "Interrupt",
        "Exit",
        "Fault",
    ]
    .iter()
    .any(|suffix| last.ends_with(suffix));
    let capitalised = last.bytes().next().is_some_and(|b| b.is_ascii_uppercase());
    if !(suffix_ok && capitalised) {
        return false;
    }
    // A bare "Error" says nothing; "ValueError" or "java.io.IOException" do.
    let specific = qualified || last.len() > "Error".len();
    specific && (qualified || !require_qualified)
}

/// Splits `Type: message` / `Type` at the start of `line`.
fn split_header(line: &str) -> Option<(&str, &str)> {
    let line = line.trim();
    let (name, rest) = match line.find(':') {
        Some(colon) => (&line[..colon], line[colon + 1..].trim()),
        None => (line, ""),
    };
    (!name.contains(char::is_whitespace)).then_some((name, rest))
}

fn parse_python(lines: &[&str]) -> Option<ExceptionSignature> {
    let start = lines
        .iter()
        .position(|line| line.trim() == "Traceback (most recent call last):")?;
    let mut frame: Option<String> = None;
    let mut header: Option<(String, String)> = None;
    for line in &lines[start + 1..] {
        let trimmed = line.trim_start();
        if let Some(rest) = trimmed.strip_prefix("File \"") {
            // File "path/app.py", line 42, in handler
            let (path, rest) = rest.split_once('"')?;
            let file = path.rsplit(['/', '\\']).next().unwrap_or(path);
            let line_number = rest
                .split(',')
                .find_map(|part| part.trim().strip_prefix("line "))
                .unwrap_or("?");
            let function = rest.split_once(" in ").map_or("?", |(_, f)| f.trim());
            frame = Some(format!("{function} ({file}:{line_number})"));
            header = None;
            continue;
        }
        if trimmed.starts_with("Traceback (most recent call last):") {
            frame = None;
            header = None;
            continue;
        }
        let indented = line.len() != trimmed.len();
        if indented || header.is_some() {
            continue;
        }
        if let Some((name, message)) = split_header(line) {
            if is_exception_type(name, false) {
                header = Some((name.to_owned(), message.to_owned()));
            }
        }
    }
    let (kind, message) = header?;
    Some(ExceptionSignature {
        fatal: kind == "SystemExit",
        kind,
        top_frame: frame,
        message: message_text(&message),
        root_cause: None,
    })
}

fn parse_go(lines: &[&str]) -> Option<ExceptionSignature> {
    let (index, kind, message) = lines.iter().enumerate().find_map(|(index, line)| {
        let trimmed = line.trim_start();
        if let Some(message) = trimmed.strip_prefix("panic: ") {
            Some((index, "panic", message))
        } else {
            trimmed
                .strip_prefix("fatal error: ")
                .map(|message| (index, "fatal error", message))
        }
    })?;
    let goroutine = lines[index..]
        .iter()
        .position(|line| line.starts_with("goroutine ") && line.trim_end().ends_with(':'));
    let top_frame = goroutine.and_then(|offset| {
        lines[index + offset + 1..]
            .iter()
            .filter(|line| !line.is_empty() && !line.starts_with(char::is_whitespace))
            .map(|line| line.trim())
            .find(|line| !line.starts_with("panic(") && !line.starts_with("runtime."))
            .map(|line| match line.rfind('(') {
                Some(paren) if paren > 0 => line[..paren].to_owned(),
                _ => line.to_owned(),
            })
    });
    let message = message.trim_end_matches(" [recovered]");
    Some(ExceptionSignature {
        kind: kind.to_owned(),
        top_frame,
        message: message_text(message),
        root_cause: None,
        fatal: true,
    })
}

fn parse_rust(lines: &[&str]) -> Option<ExceptionSignature> {
    for (index, line) in lines.iter().enumerate() {
        let Some(rest) = line.trim_start().strip_prefix("thread '") else {
            continue;
        };
        let Some((_, after)) = rest.split_once("' panicked at ") else {
            continue;
        };
        // New format: `panicked at src/main.rs:10:5:` then the message on the next line.
        // Old format: `panicked at 'message', src/main.rs:10:5`.
        let (message, location) = match after.strip_prefix('\'') {
            Some(quoted) => match quoted.rsplit_once("', ") {
                Some((message, location)) => (message.to_owned(), location.to_owned()),
                None => (quoted.to_owned(), String::new()),
            },
            None => (
                lines.get(index + 1).map_or("", |l| l.trim()).to_owned(),
                after.trim_end_matches(':').to_owned(),
            ),
        };
        return Some(ExceptionSignature {
            kind: "panic".to_owned(),
            top_frame: (!location.is_empty()).then_some(location),
            message: message_text(&message),
            root_cause: None,
            fatal: true,
        });
    }
    None
}

/// The frame named by an `at ...` line (JVM, .NET, Node), without arguments and locations.
fn frame_of(line: &str) -> Option<String> {
    let rest = line.trim_start().strip_prefix("at ")?.trim();
    if rest.is_empty() {
        return None;
    }
    // .NET: `Namespace.Class.Method(args) in C:\src\File.cs:line 42`
    let rest = rest.split(" in ").next().unwrap_or(rest);
    let frame = match rest.find('(') {
        Some(0) | None => {
            // Node anonymous frame: `/app/index.js:10:5` or `(/app/index.js:10:5)`.
            let location = rest.trim_matches(|c| c == '(' || c == ')');
            location
                .rsplit(['/', '\\'])
                .next()
                .unwrap_or(location)
                .to_owned()
        }
        Some(paren) => rest[..paren].trim().to_owned(),
    };
    (!frame.is_empty()).then_some(frame)
}

/// JVM, .NET, Node and plain `pkg.SomeException: message` lines.
fn parse_framed(lines: &[&str]) -> Option<ExceptionSignature> {
    let has_frames = lines.iter().any(|line| frame_of(line).is_some());
    let mut header: Option<(usize, String, String)> = None;
    for (index, line) in lines.iter().enumerate() {
        let trimmed = line.trim();
        let candidate = trimmed
            .strip_prefix("Unhandled exception. ")
            .or_else(|| trimmed.strip_prefix("Uncaught "))
            .or_else(|| {
                // `Exception in thread "main" java.lang.X: msg`
                trimmed
                    .strip_prefix("Exception in thread \"")
                    .and_then(|rest| rest.split_once("\" "))
                    .map(|(_, rest)| rest)
            })
            .unwrap_or(trimmed);
        if let Some((name, message)) = split_header(candidate) {
            if is_exception_type(name, !has_frames) {
                header = Some((index, name.to_owned(), message.to_owned()));
                break;
            }
        }
        // Mid-line: `... failed: java.net.ConnectException: Connection refused`. Only
        // qualified names count here: a bare word is too easily prose.
        if index == 0 {
            let words = trimmed.split_whitespace().count();
            let found =
                trimmed
                    .split_whitespace()
                    .enumerate()
                    .skip(1)
                    .find_map(|(position, word)| {
                        let name = word.trim_end_matches(':');
                        let followed = word.ends_with(':') || position + 1 == words;
                        (followed && is_exception_type(name, true)).then_some(name)
                    });
            if let Some(name) = found {
                let message = trimmed
                    .split_once(&format!("{name}:"))
                    .map_or("", |(_, rest)| rest.trim());
                header = Some((index, name.to_owned(), message.to_owned()));
                break;
            }
        }
    }
    let (index, kind, message) = header?;
    let top_frame = lines[index + 1..].iter().find_map(|line| frame_of(line));
    let root_cause = lines[index + 1..]
        .iter()
        .filter_map(|line| line.trim_start().strip_prefix("Caused by: "))
        .filter_map(split_header)
        .map(|(name, _)| name.to_owned())
        .next_back();
    Some(ExceptionSignature {
        kind,
        top_frame,
        message: message_text(&message),
        root_cause,
        fatal: false,
    })
}

/// True when a line continues a trace started on an earlier line. `python_open`: the trace
/// is a Python traceback still waiting for its exception line; `chained`: the trace's last
/// line announced another Python traceback.
fn continues_trace(line: &str, python_open: bool, chained: bool) -> bool {
    let trimmed = line.trim_start();
    let indented = trimmed.len() != line.len();
    if trimmed.starts_with("Traceback (most recent call last):") {
        return chained;
    }
    trimmed.starts_with("at ")
        || trimmed.starts_with("Caused by: ")
        || trimmed.starts_with("Suppressed: ")
        || (trimmed.starts_with("... ") && trimmed.ends_with(" more"))
        || trimmed.starts_with("--- End of ")
        || trimmed.starts_with("File \"")
        || trimmed.starts_with("goroutine ")
        || trimmed.starts_with("[signal ")
        || trimmed.starts_with("During handling of the above exception")
        || trimmed.starts_with("The above exception was the direct cause")
        || (indented && python_open)
        || (python_open
            && split_header(trimmed).is_some_and(|(name, _)| is_exception_type(name, false)))
}

/// A trace being collected from consecutive records of one upload.
#[derive(Debug)]
pub(crate) struct PendingTrace<T> {
    /// The joined text, capped.
    pub text: String,
    /// First line of the trace.
    pub first_line: u64,
    /// Last line seen so far.
    pub last_line: u64,
    /// Whatever the caller keeps about the first record (time, level, subjects).
    pub context: T,
    /// The trace is a Python traceback (blank lines may separate chained ones).
    python: bool,
    /// A Python traceback still waiting for its exception line.
    python_open: bool,
    /// The last line announced another (chained) Python traceback.
    chained: bool,
}

impl<T> PendingTrace<T> {
    /// Records what the appended text means for the lines that may follow.
    fn note(&mut self, text: &str) {
        for line in text.lines() {
            let trimmed = line.trim();
            if trimmed.is_empty() {
                continue;
            }
            if trimmed.starts_with("Traceback (most recent call last):") {
                self.python = true;
                self.python_open = true;
            } else if !line.starts_with(char::is_whitespace)
                && split_header(line).is_some_and(|(name, _)| is_exception_type(name, false))
            {
                self.python_open = false;
            }
            self.chained = trimmed.starts_with("During handling of the above exception")
                || trimmed.starts_with("The above exception was the direct cause");
        }
    }
}

/// Most text one trace may collect.
const MAX_TRACE_BYTES: usize = 16 * 1024;

/// Joins stack traces split over consecutive one-line records.
#[derive(Debug)]
pub(crate) struct TraceAssembler<T> {
    pending: Option<PendingTrace<T>>,
}

impl<T> Default for TraceAssembler<T> {
    fn default() -> Self {
        Self { pending: None }
    }
}

impl<T> TraceAssembler<T> {
    /// Feeds one record. Returns a finished trace when this record does not continue the
    /// pending one. `context` is only built when the record starts a trace.
    pub fn push(
        &mut self,
        message: &str,
        first_line: u64,
        last_line: u64,
        context: impl FnOnce() -> T,
    ) -> Option<PendingTrace<T>> {
        if let Some(pending) = &mut self.pending {
            let adjacent = first_line == pending.last_line + 1;
            let blank_in_python = pending.python && message.trim().is_empty();
            if adjacent
                && (blank_in_python
                    || continues_trace(message, pending.python_open, pending.chained))
            {
                if pending.text.len() + message.len() < MAX_TRACE_BYTES {
                    pending.text.push('\n');
                    pending.text.push_str(message);
                }
                pending.note(message);
                pending.last_line = last_line;
                return None;
            }
        }
        let finished = self.pending.take();
        if starts_trace(message) {
            let mut trace = PendingTrace {
                text: crate::signals::cut(message, MAX_TRACE_BYTES),
                first_line,
                last_line,
                context: context(),
                python: false,
                python_open: false,
                chained: false,
            };
            trace.note(message);
            self.pending = Some(trace);
        }
        finished
    }

    /// The trace still pending at the end of the upload.
    pub fn finish(&mut self) -> Option<PendingTrace<T>> {
        self.pending.take()
    }
}

/// True when a record may be the first of a trace (its frames may follow in later records).
fn starts_trace(message: &str) -> bool {
    may_contain_exception(message)
        && (message.contains("Traceback (most recent call last):")
            || parse_exception(message).is_some()
            || message
                .lines()
                .any(|line| split_header(line).is_some_and(|(n, _)| is_exception_type(n, false))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, kind: &str, frame: Option<&str>, message: &str) {
        let signature = parse_exception(text).unwrap_or_else(|| panic!("no exception in {text:?}"));
        assert_eq!(signature.kind, kind, "{text:?}");
        assert_eq!(signature.top_frame.as_deref(), frame, "{text:?}");
        assert_eq!(signature.message, message, "{text:?}");
    }

    #[test]
    fn java_with_frames_and_cause() {
        let text = "Exception in thread \"main\" java.lang.IllegalStateException: pool closed\n\
                    \tat com.acme.db.Pool.borrow(Pool.java:88)\n\
                    \tat com.acme.api.Handler.handle(Handler.java:12)\n\
                    Caused by: java.net.SocketException: Broken pipe\n\
                    \t... 5 more";
        check(
            text,
            "java.lang.IllegalStateException",
            Some("com.acme.db.Pool.borrow"),
            "pool closed",
        );
        let signature = parse_exception(text).expect("exception");
        assert_eq!(
            signature.root_cause.as_deref(),
            Some("java.net.SocketException")
        );
    }

    #[test]
    fn java_inline_in_a_log_message() {
        check(
            "Failed to connect to db-1: java.net.ConnectException: Connection refused",
            "java.net.ConnectException",
            None,
            "Connection refused",
        );
    }

    #[test]
    fn python_traceback() {
        let text = "Traceback (most recent call last):\n  \
                    File \"/srv/app/main.py\", line 10, in <module>\n    main()\n  \
                    File \"/srv/app/views.py\", line 42, in get_user\n    return users[id]\n\
                    KeyError: 'alice'";
        check(text, "KeyError", Some("get_user (views.py:42)"), "'alice'");
    }

    #[test]
    fn go_panic() {
        let text = "panic: runtime error: invalid memory address or nil pointer dereference\n\
                    [signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x48f1e2]\n\n\
                    goroutine 1 [running]:\n\
                    main.(*Server).handle(0x0, 0xc000010000)\n\
                    \t/src/server.go:42 +0x22\n\
                    main.main()\n\t/src/main.go:9 +0x1d";
        check(
            text,
            "panic",
            Some("main.(*Server).handle"),
            "runtime error: invalid memory address or nil pointer dereference",
        );
    }

    #[test]
    fn rust_panic_both_formats() {
        check(
            "thread 'main' panicked at src/main.rs:10:5:\ncalled `Option::unwrap()` on a `None` value",
            "panic",
            Some("src/main.rs:10:5"),
            "called `Option::unwrap()` on a `None` value",
        );
        check(
            "thread 'worker' panicked at 'index out of bounds', src/lib.rs:3:9",
            "panic",
            Some("src/lib.rs:3:9"),
            "index out of bounds",
        );
    }

    #[test]
    fn dotnet_and_node() {
        check(
            "System.NullReferenceException: Object reference not set to an instance of an object.\n   \
             at Acme.Orders.Service.Place(Order order) in C:\\src\\Service.cs:line 42\n   \
             at Acme.Orders.Api.Post() in C:\\src\\Api.cs:line 7",
            "System.NullReferenceException",
            Some("Acme.Orders.Service.Place"),
            "Object reference not set to an instance of an object.",
        );
        check(
            "TypeError: Cannot read properties of undefined (reading 'id')\n    \
             at getUser (/app/src/users.js:14:22)\n    at /app/src/index.js:5:3",
            "TypeError",
            Some("getUser"),
            "Cannot read properties of undefined (reading 'id')",
        );
    }

    #[test]
    fn ordinary_lines_are_not_exceptions() {
        for text in [
            "Error: disk quota exceeded",
            "ERROR connection lost",
            "request failed with Error code 5",
            "ValueError happens when users type letters",
            "mod_jk child workerEnv in error state 6",
            "",
        ] {
            assert_eq!(parse_exception(text), None, "{text:?}");
        }
    }

    #[test]
    fn traces_split_over_records_are_joined() {
        let mut assembler: TraceAssembler<u64> = TraceAssembler::default();
        let lines = [
            "starting worker",
            "java.io.IOException: disk full",
            "\tat com.acme.Store.write(Store.java:5)",
            "\tat com.acme.Main.run(Main.java:9)",
            "worker stopped",
        ];
        let mut finished = Vec::new();
        for (index, line) in lines.iter().enumerate() {
            let number = index as u64 + 1;
            finished.extend(assembler.push(line, number, number, || number));
        }
        finished.extend(assembler.finish());
        assert_eq!(finished.len(), 1);
        let trace = &finished[0];
        assert_eq!(
            (trace.first_line, trace.last_line, trace.context),
            (2, 4, 2)
        );
        let signature = parse_exception(&trace.text).expect("exception");
        assert_eq!(signature.top_frame.as_deref(), Some("com.acme.Store.write"));

        let mut assembler: TraceAssembler<()> = TraceAssembler::default();
        let python = [
            "Traceback (most recent call last):",
            "  File \"a.py\", line 1, in <module>",
            "    f()",
            "ZeroDivisionError: division by zero",
            "next request",
        ];
        let mut finished = Vec::new();
        for (index, line) in python.iter().enumerate() {
            let number = index as u64 + 1;
            finished.extend(assembler.push(line, number, number, || ()));
        }
        assert_eq!(finished.len(), 1);
        assert_eq!(finished[0].last_line, 4);
        let signature = parse_exception(&finished[0].text).expect("exception");
        assert_eq!(signature.kind, "ZeroDivisionError");
    }

    #[test]
    fn chained_python_tracebacks_name_the_last_exception() {
        let lines = [
            "Traceback (most recent call last):",
            "  File \"app.py\", line 2, in load",
            "KeyError: 'port'",
            "",
            "During handling of the above exception, another exception occurred:",
            "",
            "Traceback (most recent call last):",
            "  File \"app.py\", line 5, in main",
            "ValueError: bad config",
            "server stopped",
        ];
        let mut assembler: TraceAssembler<()> = TraceAssembler::default();
        let mut finished = Vec::new();
        for (index, line) in lines.iter().enumerate() {
            let number = index as u64 + 1;
            finished.extend(assembler.push(line, number, number, || ()));
        }
        assert_eq!(finished.len(), 1);
        assert_eq!((finished[0].first_line, finished[0].last_line), (1, 9));
        let signature = parse_exception(&finished[0].text).expect("exception");
        assert_eq!(signature.kind, "ValueError");
        assert_eq!(signature.top_frame.as_deref(), Some("main (app.py:5)"));
    }
}
