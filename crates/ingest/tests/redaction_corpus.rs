//! Recall and precision of the redactor over the labelled corpus in
//! testdata/redaction/corpus.tsv: each line with the spans a human marked as secrets.

// Integration tests: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use faultmaven_ingest::{RedactionConfig, Redactor};
use std::ops::Range;

/// A span of the input that must be (or was) replaced, and its kind.
#[derive(Debug, Clone, PartialEq)]
struct Span {
    range: Range<usize>,
    kind: String,
}

/// Recovers the labelled spans by aligning the expected line with the input: literal text is
/// copied, and each placeholder stands for the input up to the next literal.
fn expected_spans(input: &str, expected: &str) -> Vec<Span> {
    let mut pieces = Vec::new(); // (is_placeholder, text)
    let mut rest = expected;
    while let Some(start) = rest.find("<REDACTED:") {
        let end = start + rest[start..].find('>').expect("placeholder closes");
        pieces.push((false, &rest[..start]));
        pieces.push((true, &rest[start + "<REDACTED:".len()..end]));
        rest = &rest[end + 1..];
    }
    pieces.push((false, rest));
    let mut spans = Vec::new();
    let mut position = 0;
    for (index, (is_placeholder, text)) in pieces.iter().enumerate() {
        if !is_placeholder {
            assert!(
                input[position..].starts_with(text),
                "corpus line does not align: {input:?} / {expected:?}"
            );
            position += text.len();
            continue;
        }
        let next_literal = pieces.get(index + 1).map_or("", |(_, text)| *text);
        let end = if next_literal.is_empty() {
            input.len()
        } else {
            position
                + 1
                + input[position + 1..]
                    .find(next_literal)
                    .expect("literal after a placeholder")
        };
        let kind = text.split(':').next().unwrap_or(text).to_owned();
        spans.push(Span {
            range: position..end,
            kind,
        });
        position = end;
    }
    spans
}

fn overlaps(a: &Range<usize>, b: &Range<usize>) -> bool {
    a.start < b.end && b.start < a.end
}

#[test]
fn corpus_recall_and_precision() {
    let path = support::repo_root().join("testdata/redaction/corpus.tsv");
    let corpus = std::fs::read_to_string(&path).expect("corpus readable");
    let redactor = Redactor::new(&RedactionConfig {
        numbered_placeholders: false,
        ..RedactionConfig::default()
    });
    let (mut labelled, mut found, mut found_correct, mut labelled_found) = (0, 0, 0, 0);
    let (mut lines, mut exact, mut secret_lines, mut clean_lines) = (0, 0, 0, 0);
    let mut misses = Vec::new();
    for row in corpus.lines().filter(|row| !row.starts_with('#')).skip(1) {
        let (input, expected) = row.split_once('\t').expect("two columns");
        lines += 1;
        if input == expected {
            clean_lines += 1;
        } else {
            secret_lines += 1;
        }
        let truth = expected_spans(input, expected);
        let actual: Vec<Span> = redactor
            .find_secrets(input)
            .into_iter()
            .map(|(range, kind)| Span {
                range,
                kind: kind.as_str().to_owned(),
            })
            .collect();
        labelled += truth.len();
        found += actual.len();
        found_correct += actual
            .iter()
            .filter(|a| {
                truth
                    .iter()
                    .any(|t| t.kind == a.kind && overlaps(&t.range, &a.range))
            })
            .count();
        labelled_found += truth
            .iter()
            .filter(|t| {
                actual
                    .iter()
                    .any(|a| t.kind == a.kind && overlaps(&t.range, &a.range))
            })
            .count();
        let redacted = redactor.redact(input);
        if redacted == expected {
            exact += 1;
        } else {
            misses.push(format!("  {input}\n  want {expected}\n  got  {redacted}"));
        }
    }
    let recall = labelled_found as f64 / labelled as f64;
    let precision = found_correct as f64 / found as f64;
    println!(
        "corpus: {lines} lines ({secret_lines} with secrets, {clean_lines} without), {labelled} labelled spans"
    );
    println!(
        "recall {recall:.3}, precision {precision:.3}, exact lines {exact}/{lines}\nlines that differ:\n{}",
        misses.join("\n")
    );
    assert!(lines >= 100, "the corpus needs 100+ lines");
    assert!(recall >= 0.95, "recall {recall:.3}");
    assert!(precision >= 0.95, "precision {precision:.3}");
}

#[test]
fn alignment_helper() {
    let spans = expected_spans("a=xyz b=1", "a=<REDACTED:password> b=1");
    assert_eq!(
        spans,
        [Span {
            range: 2..5,
            kind: "password".into()
        }]
    );
}
