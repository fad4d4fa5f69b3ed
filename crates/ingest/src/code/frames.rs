//! Stack frames and exception headers of every common runtime, read line by line:
//! JVM (`at a.b.C.m(C.java:42)`), Python (`File "x.py", line 3, in f`), Go (`main.f(...)`
//! then `\t/src/x.go:12 +0x1d`), Node (`at fn (/app/x.js:1:2)`), .NET
//! (`at A.B() in C:\x.cs:line 9`), Ruby (`x.rb:10:in 'm'`), Rust (`0: fn` then
//! `at src/x.rs:1:2`), PHP (`#0 /x.php(3): f()`) and C/C++ (gdb and sanitizer backtraces).

use faultmaven_model::StackFrame;
use regex::{Captures, Regex};
use std::sync::LazyLock;

/// The runtime a frame's shape belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Runtime {
    Jvm,
    Python,
    Go,
    Node,
    DotNet,
    Ruby,
    Rust,
    Php,
    Native,
}

impl Runtime {
    /// The language name reported for a trace of this runtime; the file extensions of its
    /// frames refine it (Kotlin on the JVM, TypeScript on Node, C or C++).
    pub fn language(self, files: &[&str]) -> &'static str {
        let any = |ending: &[&str]| {
            files
                .iter()
                .any(|file| ending.iter().any(|ending| file.ends_with(ending)))
        };
        match self {
            Self::Jvm if any(&[".kt", ".kts"]) => "kotlin",
            Self::Jvm => "java",
            Self::Python => "python",
            Self::Go => "go",
            Self::Node if any(&[".ts", ".tsx"]) => "typescript",
            Self::Node => "javascript",
            Self::DotNet => "csharp",
            Self::Ruby => "ruby",
            Self::Rust => "rust",
            Self::Php => "php",
            Self::Native if any(&[".cc", ".cpp", ".cxx", ".hpp", ".hh"]) => "cpp",
            Self::Native => "c",
        }
    }
}

/// What one line of a trace is.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TraceLine {
    /// A complete frame.
    Frame(Runtime, StackFrame),
    /// A function whose file is on the next line (Go, Rust backtraces).
    FunctionOnly(Runtime, StackFrame),
    /// The file and line of the preceding [`TraceLine::FunctionOnly`].
    Location {
        runtime: Runtime,
        file: String,
        line: Option<u32>,
    },
}

macro_rules! regex {
    ($name:ident, $pattern:expr) => {
        static $name: LazyLock<Regex> = LazyLock::new(|| {
            #[allow(clippy::expect_used)]
            Regex::new($pattern).expect("the pattern is valid")
        });
    };
}

// at com.shop.OrderService.place(OrderService.java:42) / (Native Method) / (Unknown Source)
regex!(
    JVM_FRAME,
    r"^\s*at (?:[\w.$-]+/)?([\w$.<>]+)\.([\w$<>-]+)\(((?:[\w$.-]+\.(?:java|kt|kts|scala|groovy|clj))(?::(\d+))?|Native Method|Unknown Source)\)"
);
// File "/app/x.py", line 3, in handler
regex!(
    PYTHON_FRAME,
    r#"^\s*File "([^"]+)", line (\d+)(?:, in (.+))?$"#
);
// main.handler(0xc000010000, 0x1) / net/http.(*conn).serve(...) / created by main.start
regex!(
    GO_FUNCTION,
    r"^(?:created by )?((?:[\w.-]+/)*[\w.-]+?)\.((?:\(\*?[\w]+\)\.)?[\w$.]+)(?:\(.*\))?(?: in goroutine \d+)?$"
);
// \t/src/app/handler.go:12 +0x1d
regex!(GO_LOCATION, r"^\s+(\S+\.go):(\d+)(?: \+0x[0-9a-f]+)?$");
// at fn (/app/x.js:1:2) / at /app/x.js:1:2 / at async Foo.bar (file:///app/x.mjs:3:4)
regex!(
    NODE_FRAME,
    r"^\s*at (?:async )?(?:(?:new )?([^\s(][^()]*?) \()?((?:[a-z]+:)?[^():\s][^()]*?):(\d+):(\d+)\)?$"
);
// at Shop.Orders.Place(Int32 id) in C:\src\Orders.cs:line 9
regex!(
    DOTNET_FRAME,
    r"^\s*at ([\w.`<>+\[\],|]+)\.([\w`<>|]+(?:\[[^\]]*\])?)\(([^)]*)\)(?: in (.+):line (\d+))?\s*$"
);
// app/models/order.rb:10:in 'Order#place' / from x.rb:3:in `block in <main>'
regex!(
    RUBY_FRAME,
    r"^\s*(?:from )?(\S+\.rb):(\d+):in [`'](.+?)'(?::.*)?$"
);
//    3: shop::orders::place  (Rust backtrace; the location follows)
regex!(
    RUST_FUNCTION,
    r"^\s*\d+: (?:0x[0-9a-f]+ - )?([\w:<>_$.{}#\[\] ]+?)(?:::h[0-9a-f]{16})?$"
);
//              at src/orders.rs:42:9
regex!(RUST_LOCATION, r"^\s+at (\S+\.rs):(\d+)(?::\d+)?$");
// #0 /var/www/src/Order.php(42): App\Order->place() / #1 [internal function]: f()
regex!(
    PHP_FRAME,
    r"^#\d+ (?:(\S+\.php)\((\d+)\)|\[internal function\]): (.+?)(?:\(.*\))?$"
);
// #0  0x0000555555555131 in handler (req=0x0) at server.c:12
// #1 0x4c1d2e in Buffer::append(char const*) /src/buffer.cc:88:5
regex!(
    NATIVE_FRAME,
    r"^\s*#\d+\s+(?:0x[0-9a-f]+ in )?([\w:~<>]+)(?: ?\(.*?\))?(?: at | )(\S+\.(?:c|cc|cpp|cxx|h|hpp|hh)):(\d+)(?::\d+)?$"
);

fn frame(
    function: &str,
    module: Option<&str>,
    file: Option<&str>,
    line: Option<&str>,
    upload_line: u64,
) -> StackFrame {
    StackFrame {
        function: function.trim().to_owned(),
        module: module.filter(|m| !m.is_empty()).map(str::to_owned),
        file: file.map(str::to_owned),
        line: line.and_then(|line| line.parse().ok()),
        upload_line,
    }
}

/// Group `index` of a match, when it took part.
fn group<'t>(captures: &Captures<'t>, index: usize) -> Option<&'t str> {
    captures.get(index).map(|m| m.as_str())
}

/// `Class::method`, `Class->method`, `a.b.method`: the qualifier and the last name, split at
/// the last of the separators.
fn split_last<'t>(qualified: &'t str, separators: &[&str]) -> (Option<&'t str>, &'t str) {
    separators
        .iter()
        .filter_map(|separator| qualified.rfind(separator).map(|at| (at, separator.len())))
        .max()
        .filter(|(at, _)| *at > 0)
        .map_or((None, qualified), |(at, width)| {
            (Some(&qualified[..at]), &qualified[at + width..])
        })
}

/// A complete frame whose file and line are groups `file` and `line` of the match.
fn located(
    runtime: Runtime,
    captures: &Captures<'_>,
    (module, function): (Option<&str>, &str),
    (file, line): (usize, usize),
    upload_line: u64,
) -> Option<TraceLine> {
    Some(TraceLine::Frame(
        runtime,
        frame(
            function,
            module,
            group(captures, file),
            group(captures, line),
            upload_line,
        ),
    ))
}

/// Classifies one line of a trace; `None` for headers, messages and anything else.
pub(crate) fn classify(line: &str, upload_line: u64) -> Option<TraceLine> {
    let text = line.trim_end();
    if let Some(c) = JVM_FRAME.captures(text) {
        let file_part = group(&c, 3).unwrap_or_default();
        let file = file_part.split(':').next().filter(|f| f.contains('.'));
        let class = group(&c, 1);
        let function = format!("{}.{}", class.unwrap_or_default(), &c[2]);
        return Some(TraceLine::Frame(
            Runtime::Jvm,
            frame(&function, class, file, group(&c, 4), upload_line),
        ));
    }
    if let Some(c) = PYTHON_FRAME.captures(text) {
        let function = group(&c, 3).unwrap_or("<module>");
        return located(Runtime::Python, &c, (None, function), (1, 2), upload_line);
    }
    if let Some(c) = DOTNET_FRAME.captures(text) {
        // `at x.Y(Native Method)`-style JVM frames were taken above; what is left with a
        // typed parameter list or a ` in file:line N` tail is .NET.
        let dotnet = c.get(4).is_some() || !c[3].contains(".java");
        if dotnet && !text.contains(".js:") {
            let class = group(&c, 1);
            let function = format!("{}.{}", class.unwrap_or_default(), &c[2]);
            return located(Runtime::DotNet, &c, (class, &function), (4, 5), upload_line);
        }
    }
    if let Some(c) = RUST_LOCATION.captures(text) {
        return Some(TraceLine::Location {
            runtime: Runtime::Rust,
            file: c[1].to_owned(),
            line: c[2].parse().ok(),
        });
    }
    if let Some(c) = NODE_FRAME.captures(text) {
        let function = group(&c, 1).unwrap_or("<anonymous>");
        return located(
            Runtime::Node,
            &c,
            split_last(function, &["."]),
            (2, 3),
            upload_line,
        );
    }
    if let Some(c) = RUBY_FRAME.captures(text) {
        let qualified = group(&c, 3).unwrap_or_default();
        let qualified = qualified.strip_prefix("block in ").unwrap_or(qualified);
        let split = split_last(qualified, &["#", "."]);
        return located(Runtime::Ruby, &c, split, (1, 2), upload_line);
    }
    if let Some(c) = NATIVE_FRAME.captures(text) {
        let split = split_last(group(&c, 1).unwrap_or_default(), &["::"]);
        return located(Runtime::Native, &c, split, (2, 3), upload_line);
    }
    if let Some(c) = PHP_FRAME.captures(text) {
        let split = split_last(group(&c, 3).unwrap_or_default(), &["->", "::"]);
        return located(Runtime::Php, &c, split, (1, 2), upload_line);
    }
    if let Some(c) = GO_LOCATION.captures(text) {
        return Some(TraceLine::Location {
            runtime: Runtime::Go,
            file: c[1].to_owned(),
            line: c[2].parse().ok(),
        });
    }
    if let Some(c) = RUST_FUNCTION.captures(text) {
        let (module, function) = split_last(c[1].trim(), &["::"]);
        return Some(TraceLine::FunctionOnly(
            Runtime::Rust,
            frame(function, module, None, None, upload_line),
        ));
    }
    // Go function lines are plain identifiers with a package; demand the argument list or
    // `created by` so prose is not read as frames.
    if (text.ends_with(')') || text.starts_with("created by ")) && !text.starts_with(' ') {
        if let Some(c) = GO_FUNCTION.captures(text) {
            let package = group(&c, 1);
            let function = format!("{}.{}", package.unwrap_or_default(), &c[2]);
            return Some(TraceLine::FunctionOnly(
                Runtime::Go,
                frame(&function, package, None, None, upload_line),
            ));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(line: &str) -> (Runtime, StackFrame) {
        match classify(line, 7) {
            Some(TraceLine::Frame(runtime, frame) | TraceLine::FunctionOnly(runtime, frame)) => {
                (runtime, frame)
            }
            other => panic!("{line:?} gave {other:?}"),
        }
    }

    fn check(line: &str, runtime: Runtime, function: &str, file: Option<&str>, at: Option<u32>) {
        let (found, frame) = parsed(line);
        assert_eq!(found, runtime, "{line}");
        assert_eq!(frame.function, function, "{line}");
        assert_eq!(frame.file.as_deref(), file, "{line}");
        assert_eq!(frame.line, at, "{line}");
        assert_eq!(frame.upload_line, 7);
    }

    #[test]
    fn frames_of_every_runtime() {
        check(
            "\tat com.shop.OrderService.place(OrderService.java:42)",
            Runtime::Jvm,
            "com.shop.OrderService.place",
            Some("OrderService.java"),
            Some(42),
        );
        check(
            "\tat java.base/java.lang.Thread.run(Thread.java:833)",
            Runtime::Jvm,
            "java.lang.Thread.run",
            Some("Thread.java"),
            Some(833),
        );
        check(
            "  File \"/app/handlers.py\", line 31, in create_order",
            Runtime::Python,
            "create_order",
            Some("/app/handlers.py"),
            Some(31),
        );
        check(
            "    at processOrder (/srv/app/orders.js:12:7)",
            Runtime::Node,
            "processOrder",
            Some("/srv/app/orders.js"),
            Some(12),
        );
        check(
            "    at /srv/app/index.js:3:1",
            Runtime::Node,
            "<anonymous>",
            Some("/srv/app/index.js"),
            Some(3),
        );
        check(
            r"   at Shop.Orders.OrderService.Place(Int32 id) in C:\src\Shop\OrderService.cs:line 27",
            Runtime::DotNet,
            "Shop.Orders.OrderService.Place",
            Some(r"C:\src\Shop\OrderService.cs"),
            Some(27),
        );
        check(
            "app/models/order.rb:18:in 'Order#charge!'",
            Runtime::Ruby,
            "charge!",
            Some("app/models/order.rb"),
            Some(18),
        );
        check(
            "#0 /var/www/src/Order.php(42): App\\Order->place()",
            Runtime::Php,
            "place",
            Some("/var/www/src/Order.php"),
            Some(42),
        );
        check(
            "#1  0x0000555555555189 in handle_request (req=0x0) at server.c:27",
            Runtime::Native,
            "handle_request",
            Some("server.c"),
            Some(27),
        );
        check(
            "main.(*Server).handle(0xc0000a6000, 0x1)",
            Runtime::Go,
            "main.(*Server).handle",
            None,
            None,
        );
        check(
            "   3: shop::orders::place",
            Runtime::Rust,
            "place",
            None,
            None,
        );
    }

    #[test]
    fn locations_and_prose() {
        assert_eq!(
            classify("\t/src/app/handler.go:12 +0x1d", 1),
            Some(TraceLine::Location {
                runtime: Runtime::Go,
                file: "/src/app/handler.go".into(),
                line: Some(12)
            })
        );
        assert!(matches!(
            classify("             at src/orders.rs:42:9", 1),
            Some(TraceLine::Location {
                runtime: Runtime::Rust,
                ..
            })
        ));
        for prose in [
            "The service was restarted (again).",
            "look at this",
            "2024-05-01 12:00:00 INFO started",
        ] {
            assert_eq!(classify(prose, 1), None, "{prose}");
        }
    }
}
