//! Every loghub-2k raw log (16 systems, 2000 lines each) goes through the plain-text parser:
//! every line is accounted for, nothing panics, and timestamps and levels come out where the
//! system writes them.

// Integration tests: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use faultmaven_test_datasets::Dataset;

/// Systems whose lines carry a level token, with the share of records that must get one.
const SYSTEMS_WITH_LEVELS: [&str; 9] = [
    "Android",
    "Apache",
    "BGL",
    "HDFS",
    "Hadoop",
    "OpenStack",
    "Spark",
    "Windows",
    "Zookeeper",
];

/// Splits one CSV row, honouring quotes and doubled quotes.
fn csv_fields(row: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut characters = row.chars().peekable();
    while let Some(character) = characters.next() {
        match (character, quoted) {
            ('"', true) if characters.peek() == Some(&'"') => {
                field.push('"');
                characters.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(std::mem::take(&mut field)),
            _ => field.push(character),
        }
    }
    fields.push(field);
    fields
}

/// The loghub ground truth splits every line into header fields and `Content`: the message
/// we extract must be that content (header stripped), and must never lose any of it.
fn check_messages_against_ground_truth(
    system: &str,
    dir: &std::path::Path,
    logs: &[faultmaven_model::LogRecord<'_>],
) {
    let path = dir
        .join(system)
        .join(format!("{system}_2k.log_structured.csv"));
    let Ok(bytes) = std::fs::read(&path) else {
        println!("note: {} is absent; content check skipped", path.display());
        return;
    };
    let text = String::from_utf8_lossy(&bytes);
    let mut rows = text.lines();
    let header = csv_fields(rows.next().unwrap_or_default());
    let content_column = header.iter().position(|name| name == "Content").unwrap();
    let messages: std::collections::HashMap<u64, &str> = logs
        .iter()
        .map(|record| (record.first_line, record.message.as_ref()))
        .collect();
    let (mut exact, mut total) = (0, 0);
    for row in rows {
        let fields = csv_fields(row);
        let line: u64 = fields[0].parse().unwrap();
        let content = fields[content_column].trim();
        let message = messages.get(&line).copied().unwrap_or_default().trim();
        total += 1;
        if message == content {
            exact += 1;
        } else if total - exact <= 3 {
            println!("{system} line {line}: message {message:?} for content {content:?}");
        }
        assert!(
            message.ends_with(content),
            "{system} line {line}: message {message:?} lost content {content:?}"
        );
    }
    let share = f64::from(exact) / f64::from(total);
    println!(
        "{system:<13} message equals the ground-truth content on {:.1}% of lines",
        share * 100.0
    );
    assert!(
        share >= 0.99,
        "{system}: header stripped exactly on {share:.3} of lines"
    );
}

#[test]
fn every_loghub_log_is_accounted_for() {
    // `$LOGHUB_2K_DIR`, else `shared/datasets/loghub-2k` in a parent folder; absent, the test
    // fails and says so.
    let dir = Dataset::Loghub2k.dir(env!("CARGO_MANIFEST_DIR"));
    let mut systems: Vec<_> = std::fs::read_dir(&dir)
        .expect("dataset folder readable")
        .filter_map(Result::ok)
        .filter(|entry| entry.path().is_dir())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    systems.sort();
    assert_eq!(systems.len(), 16, "expected 16 loghub systems");
    println!("system        format          records  timestamp  level   source");
    for system in &systems {
        let path = dir.join(system).join(format!("{system}_2k.log"));
        let bytes = std::fs::read(&path).expect("log readable");
        let (summary, (logs, metrics)) = support::parse(&format!("{system}_2k.log"), &bytes);
        let redacted: Vec<&str> = logs
            .iter()
            .filter(|record| record.message.contains("<REDACTED"))
            .map(|record| record.message.as_ref())
            .collect();
        if let Some(example) = redacted.first() {
            let example: String = example.chars().take(160).collect();
            println!(
                "{system}: {} records redacted, e.g. {example:?}",
                redacted.len()
            );
        }
        assert_eq!(summary.lines, 2000, "{system}: lines");
        assert!(metrics.is_empty(), "{system}: no metrics expected");
        // Every line belongs to exactly one record, in order.
        let mut next_line = 1;
        for record in &logs {
            assert_eq!(record.first_line, next_line, "{system}: gap before record");
            assert!(record.last_line >= record.first_line);
            next_line = record.last_line + 1;
        }
        assert_eq!(next_line, 2001, "{system}: lines after the last record");
        // Shares of lines (a joined record counts for each of its lines).
        let share = |has: &dyn Fn(&faultmaven_model::LogRecord<'_>) -> bool| {
            let lines: u64 = logs
                .iter()
                .filter(|record| has(record))
                .map(|record| record.last_line - record.first_line + 1)
                .sum();
            lines as f64 / summary.lines as f64
        };
        let timestamps = share(&|record| record.timestamp.is_some());
        let levels = share(&|record| record.level.is_some());
        let sources = share(&|record| record.source.is_some());
        println!(
            "{system:<13} {:<15} {:>7}  {:>8.1}%  {:>5.1}%  {:>5.1}%",
            summary.format,
            logs.len(),
            timestamps * 100.0,
            levels * 100.0,
            sources * 100.0
        );
        assert_eq!(summary.format, "plain_text_log", "{system}: format");
        // Compare the text itself: with redaction off, so a real address in the data (Linux has
        // one) does not count as lost content.
        let unredacted = faultmaven_ingest::IngestConfig {
            redaction: faultmaven_ingest::RedactionConfig {
                enabled: false,
                ..Default::default()
            },
            ..support::config()
        };
        let (_, (plain_logs, _)) =
            support::parse_in_chunks(&format!("{system}_2k.log"), &bytes, &[], &unredacted)
                .unwrap();
        check_messages_against_ground_truth(system, &dir, &plain_logs);
        assert!(timestamps >= 0.99, "{system}: timestamp share {timestamps}");
        if SYSTEMS_WITH_LEVELS.contains(&system.as_str()) {
            assert!(levels >= 0.99, "{system}: level share {levels}");
        }
    }
}
