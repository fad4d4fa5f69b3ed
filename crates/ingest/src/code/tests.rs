//! Reading pastes: runtime, frame order, exception text.

use super::*;

fn reading(text: &str) -> CodeReading {
    let lines: Vec<(u64, &str)> = text
        .lines()
        .enumerate()
        .map(|(index, line)| (index as u64 + 1, line))
        .collect();
    read(&lines)
}

#[test]
fn python_frames_are_innermost_first() {
    let found = reading(
        "Traceback (most recent call last):\n  File \"a.py\", line 3, in main\n    run()\n  File \"b.py\", line 9, in run\n    boom()\nValueError: bad value\n",
    );
    assert_eq!(found.language, Some("python"));
    assert_eq!(found.exception.as_deref(), Some("ValueError: bad value"));
    let functions: Vec<&str> = found.frames.iter().map(|f| f.function.as_str()).collect();
    assert_eq!(functions, ["run", "main"]);
    assert_eq!(found.frames[0].upload_line, 4);
}

#[test]
fn go_locations_join_their_function() {
    let found = reading("panic: boom\n\ngoroutine 1 [running]:\nmain.run(0x1)\n\t/src/main.go:12 +0x1d\nmain.main()\n\t/src/main.go:5 +0x10\n");
    assert_eq!(found.language, Some("go"));
    assert_eq!(found.exception.as_deref(), Some("panic: boom"));
    assert_eq!(found.frames.len(), 2);
    assert_eq!(found.frames[0].file.as_deref(), Some("/src/main.go"));
    assert_eq!(found.frames[0].line, Some(12));
    assert_eq!(found.frames[0].module.as_deref(), Some("main"));
}

#[test]
fn exception_headers() {
    assert!(exception_header("java.lang.IllegalStateException: x").is_some());
    assert!(exception_header("KeyError: 'a'").is_some());
    assert!(exception_header("Error").is_none());
    assert!(exception_header("the Error was bad").is_none());
    assert_eq!(
        ruby_exception(&["x.rb:3:in 'm': nope (ArgumentError)"]).as_deref(),
        Some("ArgumentError: nope")
    );
    assert_eq!(
        php_exception("PHP Fatal error:  Uncaught LogicException: no in /a.php:3").as_deref(),
        Some("LogicException: no")
    );
    assert_eq!(
        rust_panic(&["thread 'main' panicked at 'boom', src/main.rs:2:5"]).as_deref(),
        Some("panic: boom")
    );
}

#[test]
fn source_without_frames_has_a_language_only() {
    let found = reading("fn main() {\n    let mut total = 0;\n    for x in 0..3 {\n        total += x;\n    }\n    println!(\"{total}\");\n}\npub fn helper() -> Result<(), Error> {\n    Ok(())\n}\n");
    assert_eq!(found.language, Some("rust"));
    assert_eq!(found.exception, None);
    assert!(found.frames.is_empty());
}
