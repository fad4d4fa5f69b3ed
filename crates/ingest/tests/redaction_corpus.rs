//! Recall and precision of the redactor over the labelled corpus in
//! testdata/redaction/corpus.tsv: each line with the spans a human marked as secrets.

// Integration tests: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use faultmaven_ingest::{RedactionConfig, Redactor};
use std::collections::BTreeMap;
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

/// Counts for one kind (or all kinds): spans labelled, labelled spans found with the right
/// kind, spans the redactor reported, reported spans that match a label of the same kind.
#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    labelled: usize,
    labelled_found: usize,
    reported: usize,
    reported_correct: usize,
}

impl Counts {
    fn recall(&self) -> f64 {
        if self.labelled == 0 {
            1.0
        } else {
            self.labelled_found as f64 / self.labelled as f64
        }
    }

    fn precision(&self) -> f64 {
        if self.reported == 0 {
            1.0
        } else {
            self.reported_correct as f64 / self.reported as f64
        }
    }

    fn row(&self, name: &str) -> String {
        format!(
            "{name:<18} {:>8} {:>8} {:>8} {:>8} {:>9.3} {:>9.3}",
            self.labelled,
            self.labelled_found,
            self.reported,
            self.reported_correct,
            self.recall(),
            self.precision()
        )
    }
}

/// Reads one detector switch from a configuration.
type IsOn = fn(&RedactionConfig) -> bool;

/// Kinds whose detectors are off by default. Their labels count only when the switch is on;
/// with it off, those spans must come out unchanged.
const SWITCHED_KINDS: [(&str, IsOn); 2] = [
    ("ip_address", |config| config.ip_addresses),
    ("hostname", |config| config.hostnames),
];

fn label_applies(kind: &str, config: &RedactionConfig) -> bool {
    SWITCHED_KINDS
        .iter()
        .find(|(switched, _)| *switched == kind)
        .is_none_or(|(_, enabled)| enabled(config))
}

/// The expected redaction of `input` given the labels that apply.
fn render(input: &str, labels: &[Span]) -> String {
    let mut out = String::with_capacity(input.len());
    let mut position = 0;
    for label in labels {
        out.push_str(&input[position..label.range.start]);
        out.push_str(&format!("<REDACTED:{}>", label.kind));
        position = label.range.end;
    }
    out.push_str(&input[position..]);
    out
}

/// Strict (kind must match) and masked (any placeholder hides it) totals of one run.
struct Totals {
    strict: Counts,
    masked: Counts,
    per_kind: BTreeMap<String, Counts>,
}

/// Scores the redactor built from `config` over the corpus and prints the table.
fn evaluate(title: &str, config: RedactionConfig) -> Totals {
    let path = support::repo_root().join("testdata/redaction/corpus.tsv");
    let corpus = std::fs::read_to_string(&path).expect("corpus readable");
    let redactor = Redactor::new(&RedactionConfig {
        numbered_placeholders: false,
        ..config.clone()
    });
    let mut per_kind: BTreeMap<String, Counts> = BTreeMap::new();
    let mut strict = Counts::default();
    // Masked: the secret is hidden whatever kind the placeholder names.
    let mut masked = Counts::default();
    let (mut lines, mut exact, mut secret_lines, mut clean_lines, mut clean_touched) =
        (0, 0, 0, 0, 0);
    let mut misses = Vec::new();
    for row in corpus.lines().filter(|row| !row.starts_with('#')).skip(1) {
        let (input, labelled) = row.split_once('\t').expect("two columns");
        lines += 1;
        let truth: Vec<Span> = expected_spans(input, labelled)
            .into_iter()
            .filter(|span| label_applies(&span.kind, &config))
            .collect();
        let expected = render(input, &truth);
        let actual: Vec<Span> = redactor
            .find_secrets(input)
            .into_iter()
            .map(|(range, kind)| Span {
                range,
                kind: kind.as_str().to_owned(),
            })
            .collect();
        if truth.is_empty() {
            clean_lines += 1;
            clean_touched += usize::from(!actual.is_empty());
        } else {
            secret_lines += 1;
        }
        for label in &truth {
            let found = actual
                .iter()
                .any(|a| a.kind == label.kind && overlaps(&a.range, &label.range));
            let hidden = actual.iter().any(|a| overlaps(&a.range, &label.range));
            let counts = per_kind.entry(label.kind.clone()).or_default();
            counts.labelled += 1;
            counts.labelled_found += usize::from(found);
            strict.labelled += 1;
            strict.labelled_found += usize::from(found);
            masked.labelled += 1;
            masked.labelled_found += usize::from(hidden);
        }
        for report in &actual {
            let correct = truth
                .iter()
                .any(|t| t.kind == report.kind && overlaps(&t.range, &report.range));
            let hides_a_secret = truth.iter().any(|t| overlaps(&t.range, &report.range));
            let counts = per_kind.entry(report.kind.clone()).or_default();
            counts.reported += 1;
            counts.reported_correct += usize::from(correct);
            strict.reported += 1;
            strict.reported_correct += usize::from(correct);
            masked.reported += 1;
            masked.reported_correct += usize::from(hides_a_secret);
        }
        let redacted = redactor.redact(input);
        if redacted == expected {
            exact += 1;
        } else {
            misses.push(format!("  {input}\n  want {expected}\n  got  {redacted}"));
        }
    }
    println!(
        "corpus: {title}: {lines} lines ({secret_lines} with secrets, {clean_lines} without), {} labelled spans",
        strict.labelled
    );
    println!(
        "{:<18} {:>8} {:>8} {:>8} {:>8} {:>9} {:>9}",
        "kind", "labelled", "found", "reported", "correct", "recall", "precision"
    );
    for (kind, counts) in &per_kind {
        println!("{}", counts.row(kind));
    }
    println!("{}", strict.row("all (kind exact)"));
    println!("{}", masked.row("all (masked)"));
    println!(
        "exact lines {exact}/{lines}; clean lines changed {clean_touched}/{clean_lines}\nlines that differ:\n{}\n",
        misses.join("\n")
    );
    assert!(lines >= 300, "the corpus needs 300+ lines");
    assert!(secret_lines >= 120 && clean_lines >= 120, "enough of both");
    Totals {
        strict,
        masked,
        per_kind,
    }
}

fn assert_floors(totals: &Totals) {
    let Totals {
        strict,
        masked,
        per_kind,
    } = totals;
    assert!(strict.recall() >= 0.95, "recall {:.3}", strict.recall());
    assert!(
        strict.precision() >= 0.97,
        "precision {:.3}",
        strict.precision()
    );
    assert!(
        masked.recall() >= 0.97,
        "masked recall {:.3}",
        masked.recall()
    );
    // No kind may be mostly missed or mostly wrong.
    for (kind, counts) in per_kind {
        assert!(
            counts.recall() >= 0.8,
            "{kind} recall {:.3}",
            counts.recall()
        );
        assert!(
            counts.precision() >= 0.8,
            "{kind} precision {:.3}",
            counts.precision()
        );
    }
}

#[test]
fn corpus_recall_and_precision() {
    let defaults = evaluate(
        "default settings (host names and IP addresses kept)",
        RedactionConfig::default(),
    );
    assert_floors(&defaults);
    let with_hosts = evaluate(
        "host names redacted (hostnames = true)",
        RedactionConfig {
            hostnames: true,
            ..RedactionConfig::default()
        },
    );
    assert_floors(&with_hosts);
    assert!(
        with_hosts
            .per_kind
            .get("hostname")
            .is_some_and(|counts| counts.labelled >= 40),
        "the corpus labels enough host names"
    );
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
