//! The language of a pasted source snippet, from the constructs each language alone writes
//! (`def f():` and `elif` for Python, `func` and `:=` for Go, `fn` and `let mut` for Rust...).
//! Each line votes for the languages whose markers it carries; a language needs several votes
//! and a clear lead, so prose and logs stay unclassified.

/// One tell-tale construct: where it must appear in a trimmed line, and the language it
/// points to.
struct Marker {
    language: &'static str,
    shape: Shape,
    weight: u32,
}

enum Shape {
    Starts(&'static str),
    Contains(&'static str),
    Ends(&'static str),
    /// The whole trimmed line.
    Is(&'static str),
}

const fn starts(language: &'static str, text: &'static str, weight: u32) -> Marker {
    Marker {
        language,
        shape: Shape::Starts(text),
        weight,
    }
}

const fn contains(language: &'static str, text: &'static str, weight: u32) -> Marker {
    Marker {
        language,
        shape: Shape::Contains(text),
        weight,
    }
}

const fn ends(language: &'static str, text: &'static str, weight: u32) -> Marker {
    Marker {
        language,
        shape: Shape::Ends(text),
        weight,
    }
}

const fn is(language: &'static str, text: &'static str, weight: u32) -> Marker {
    Marker {
        language,
        shape: Shape::Is(text),
        weight,
    }
}

static MARKERS: &[Marker] = &[
    // Python
    starts("python", "def ", 2),
    starts("python", "async def ", 3),
    starts("python", "elif ", 3),
    starts("python", "from ", 1),
    starts("python", "import ", 1),
    contains("python", "self.", 1),
    starts("python", "except ", 3),
    is("python", "try:", 2),
    is("python", "else:", 2),
    contains("python", "__init__", 3),
    starts("python", "@", 0),
    // Java and Kotlin
    starts("java", "public class ", 3),
    starts("java", "public static ", 3),
    starts("java", "private final ", 2),
    starts("java", "import java.", 4),
    starts("java", "@Override", 3),
    contains("java", "System.out.", 3),
    contains("java", "throws ", 2),
    starts("kotlin", "fun ", 3),
    starts("kotlin", "val ", 1),
    starts("kotlin", "data class ", 4),
    contains("kotlin", "?.let {", 4),
    // Go
    starts("go", "func ", 3),
    starts("go", "package ", 1),
    contains("go", " := ", 3),
    contains("go", "err != nil", 4),
    starts("go", "import (", 3),
    contains("go", "fmt.", 2),
    starts("go", "defer ", 3),
    // JavaScript and TypeScript
    starts("javascript", "const ", 1),
    starts("javascript", "function ", 2),
    contains("javascript", " => ", 2),
    contains("javascript", "require(", 3),
    contains("javascript", "console.", 3),
    contains("javascript", "module.exports", 4),
    contains("javascript", "await ", 1),
    starts("typescript", "interface ", 2),
    starts("typescript", "export interface ", 4),
    contains("typescript", ": string", 3),
    contains("typescript", ": number", 3),
    contains("typescript", "): Promise<", 4),
    // C#
    starts("csharp", "using System", 4),
    starts("csharp", "namespace ", 2),
    contains("csharp", "async Task", 4),
    contains("csharp", "Console.WriteLine", 4),
    contains("csharp", "{ get; set; }", 4),
    starts("csharp", "var ", 1),
    // Ruby
    is("ruby", "end", 2),
    starts("ruby", "require '", 3),
    starts("ruby", "require_relative ", 4),
    starts("ruby", "puts ", 2),
    contains("ruby", " do |", 4),
    starts("ruby", "attr_accessor ", 4),
    starts("ruby", "module ", 1),
    // Rust
    starts("rust", "fn ", 3),
    starts("rust", "pub fn ", 4),
    contains("rust", "let mut ", 3),
    starts("rust", "impl", 2),
    starts("rust", "use std::", 4),
    contains("rust", "-> Result<", 4),
    starts("rust", "#[derive(", 4),
    contains("rust", ".unwrap()", 3),
    // PHP
    starts("php", "<?php", 6),
    contains("php", "$this->", 4),
    starts("php", "echo ", 1),
    starts("php", "namespace App", 2),
    // C and C++
    starts("c", "#include <", 4),
    starts("c", "#include \"", 4),
    contains("c", "printf(", 2),
    contains("c", "malloc(", 3),
    starts("c", "int main(", 3),
    contains("cpp", "std::", 3),
    starts("cpp", "template <", 4),
    starts("cpp", "template<", 4),
    contains("cpp", "nullptr", 3),
    // Shell
    starts("shell", "#!/bin/bash", 6),
    starts("shell", "#!/bin/sh", 6),
    starts("shell", "#!/usr/bin/env bash", 6),
    is("shell", "fi", 3),
    is("shell", "done", 2),
    is("shell", "esac", 4),
    starts("shell", "if [ ", 4),
    starts("shell", "if [[ ", 4),
    starts("shell", "set -e", 3),
    starts("shell", "echo ", 1),
    contains("shell", "$(", 2),
    ends("shell", "; then", 4),
    ends("shell", "; do", 4),
    // SQL (keywords are matched upper-cased)
    starts("sql", "SELECT ", 3),
    starts("sql", "FROM ", 2),
    starts("sql", "WHERE ", 2),
    starts("sql", "INSERT INTO ", 4),
    starts("sql", "UPDATE ", 1),
    starts("sql", "CREATE TABLE ", 5),
    starts("sql", "CREATE INDEX ", 5),
    starts("sql", "ALTER TABLE ", 5),
    contains("sql", " JOIN ", 3),
    starts("sql", "GROUP BY ", 3),
    starts("sql", "ORDER BY ", 2),
];

/// Languages that a sibling's markers support too (Kotlin code shares Java's imports).
fn family(language: &str) -> &'static [&'static str] {
    match language {
        "kotlin" => &["java"],
        "typescript" => &["javascript"],
        "cpp" => &["c"],
        _ => &[],
    }
}

/// Votes below which no language is named.
const MIN_VOTES: u32 = 6;

/// The language of a source snippet and its share of code-like lines (0..=100), if the
/// snippet clearly is one.
pub(crate) fn detect<'a>(lines: impl Iterator<Item = &'a str>) -> Option<(&'static str, u32)> {
    let mut votes: Vec<(&'static str, u32)> = Vec::new();
    let mut non_blank = 0u32;
    let mut code_like = 0u32;
    for line in lines {
        let trimmed = line.trim();
        if trimmed.is_empty() {
            continue;
        }
        non_blank += 1;
        let upper = trimmed.to_ascii_uppercase();
        let mut voted = false;
        for marker in MARKERS {
            let hit = match marker.shape {
                Shape::Starts(text) if marker.language == "sql" => upper.starts_with(text),
                Shape::Contains(text) if marker.language == "sql" => upper.contains(text),
                Shape::Starts(text) => trimmed.starts_with(text),
                Shape::Contains(text) => trimmed.contains(text),
                Shape::Ends(text) => trimmed.ends_with(text),
                Shape::Is(text) => trimmed == text,
            };
            if hit && marker.weight > 0 {
                voted = true;
                match votes.iter_mut().find(|(name, _)| *name == marker.language) {
                    Some((_, count)) => *count += marker.weight,
                    None => votes.push((marker.language, marker.weight)),
                }
            }
        }
        if voted || is_code_punctuation(trimmed) {
            code_like += 1;
        }
    }
    let share = (code_like * 100).checked_div(non_blank).unwrap_or(0);
    let total = |language: &str| {
        let own = votes
            .iter()
            .find(|(name, _)| *name == language)
            .map_or(0, |(_, count)| *count);
        own + family(language)
            .iter()
            .map(|sibling| {
                votes
                    .iter()
                    .find(|(name, _)| name == sibling)
                    .map_or(0, |(_, count)| *count)
            })
            .sum::<u32>()
    };
    let (best, best_votes) = votes
        .iter()
        .map(|(name, own)| (*name, total(name), *own))
        // A specialised sibling wins only with votes of its own.
        .max_by_key(|(_, total, own)| (*total, *own))
        .map(|(name, total, _)| (name, total))?;
    let runner_up = votes
        .iter()
        .filter(|(name, _)| *name != best && !family(best).contains(name))
        .map(|(name, _)| total(name))
        .max()
        .unwrap_or(0);
    (best_votes >= MIN_VOTES && best_votes >= runner_up * 2 && share >= 50).then_some((best, share))
}

/// Lines that look like code whatever the language: braces, statement ends, comments.
fn is_code_punctuation(line: &str) -> bool {
    line.ends_with(';')
        || line.ends_with('{')
        || line.ends_with('}')
        || line.ends_with("});")
        || line.ends_with(':') && !line.contains(' ')
        || line.starts_with("//")
        || line.starts_with("/*")
        || line.starts_with("* ")
        || line.starts_with("return ")
        || line.starts_with("if ")
        || line.starts_with("for ")
        || line.starts_with("while ")
        || line.starts_with("} ")
        || line == "}"
        || line == ")"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn language(text: &str) -> Option<&'static str> {
        detect(text.lines()).map(|(language, _)| language)
    }

    #[test]
    fn prose_and_logs_have_no_language() {
        assert_eq!(
            language("The checkout service failed at 14:03.\nWe restarted it.\nThen it worked."),
            None
        );
        assert_eq!(
            language("2024-05-01 14:03:07 ERROR db: timeout\n2024-05-01 14:03:08 INFO retry"),
            None
        );
    }

    #[test]
    fn small_snippets() {
        assert_eq!(
            language("import os\n\ndef handler(event):\n    try:\n        return load(event)\n    except KeyError:\n        return None\n"),
            Some("python")
        );
        assert_eq!(
            language("func (s *Server) Handle(w http.ResponseWriter) {\n\tdata, err := s.load()\n\tif err != nil {\n\t\treturn\n\t}\n}\n"),
            Some("go")
        );
        assert_eq!(
            language("SELECT o.id, c.email\nFROM orders o\nJOIN customers c ON c.id = o.customer_id\nWHERE o.status = 'failed'\nORDER BY o.created_at DESC;\n"),
            Some("sql")
        );
    }
}
