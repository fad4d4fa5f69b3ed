//! Lines that continue the record before them: stack-trace frames, causes, tracebacks,
//! goroutine dumps.

/// Lines that continue the record before them whatever the layout: indented lines, Java
/// frames and causes, Python traceback parts, Go goroutine headers.
pub(super) fn is_continuation_line(line: &str) -> bool {
    let bytes = line.as_bytes();
    if bytes.first().is_some_and(|b| *b == b' ' || *b == b'\t') {
        return true;
    }
    line.starts_with("at ")
        || line.starts_with("Caused by:")
        || line.starts_with("Suppressed:")
        || (line.starts_with("... ") && line.ends_with(" more"))
        || line.starts_with("Traceback (most recent call last)")
        || line.starts_with("During handling of the above exception")
        || line.starts_with("The above exception was the direct cause")
        || line.starts_with("[signal ")
        || is_goroutine_header(line)
}

/// `goroutine 1 [running]:`
pub(super) fn is_goroutine_header(line: &str) -> bool {
    line.strip_prefix("goroutine ").is_some_and(|rest| {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        digits > 0 && rest[digits..].starts_with(" [")
    })
}

/// Starts a stack trace on its own (the first line of a trace file).
pub(super) fn is_trace_start(line: &str) -> Option<TraceLanguage> {
    if line.starts_with("Traceback (most recent call last)") {
        return Some(TraceLanguage::Python);
    }
    if line.starts_with("panic: ") || is_goroutine_header(line) || line.starts_with("fatal error: ")
    {
        return Some(TraceLanguage::Go);
    }
    if line.starts_with("Exception in thread ") || is_exception_header(line) {
        return Some(TraceLanguage::Java);
    }
    None
}

/// The language of a stack trace on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TraceLanguage {
    Java,
    Python,
    Go,
}

/// `java.lang.IllegalStateException: boom` or `ValueError: bad`: a dotted or plain identifier
/// ending in Exception/Error/... followed by `:` or the end of the line.
pub(super) fn is_exception_header(line: &str) -> bool {
    let name_end = line
        .bytes()
        .position(|b| !(b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'$')))
        .unwrap_or(line.len());
    let name = &line[..name_end];
    let rest = &line[name_end..];
    (rest.is_empty() || rest.starts_with(':'))
        && [
            "Exception",
            "Error",
            "Throwable",
            "Warning",
            "Interrupt",
            "Exit",
            "Fault",
        ]
        .iter()
        .any(|suffix| name.ends_with(suffix))
        && name.as_bytes().first().is_some_and(u8::is_ascii_alphabetic)
}

/// The last line of a Python traceback: the exception's (dotted) type name, then `:` and its
/// message or nothing. Any type, not only the `...Error`/`...Exception` names:
/// `requests.exceptions.ReadTimeout: ...`, `KeyboardInterrupt`, `StopIteration`.
pub(super) fn is_python_exception_line(line: &str) -> bool {
    let name_end = line
        .bytes()
        .position(|b| !(b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_')))
        .unwrap_or(line.len());
    let rest = &line[name_end..];
    name_end > 0
        && line.as_bytes()[0].is_ascii_alphabetic()
        && (rest.is_empty() || rest.starts_with(':'))
}

/// A frame line of a trace, for sniffing.
pub(super) fn is_trace_line(line: &str) -> bool {
    let trimmed = line.trim_start();
    trimmed.starts_with("at ")
        || trimmed.starts_with("File \"")
        || trimmed.starts_with("Caused by:")
        || (trimmed.starts_with("... ") && trimmed.ends_with(" more"))
        || is_go_frame(trimmed)
        || is_trace_start(line).is_some()
        || (line.starts_with('\t') && trimmed.contains(".go:"))
}

/// `main.main()`, `net/http.(*conn).serve(0xc000)`, `created by main.start`, and the
/// runtime's own `panic({0x6c8a40?, 0xa3f1b0?})` frame (no package before it).
pub(super) fn is_go_frame(line: &str) -> bool {
    if line.starts_with("created by ") || (line.starts_with("panic(") && line.ends_with(')')) {
        return true;
    }
    line.ends_with(')')
        && line.find('(').is_some_and(|open| {
            open > 0
                && line[..open].contains('.')
                && line[..open].bytes().all(|b| {
                    b.is_ascii_alphanumeric()
                        || matches!(b, b'.' | b'_' | b'/' | b'*' | b'(' | b')' | b'-')
                })
        })
}
