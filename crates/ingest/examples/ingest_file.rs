//! Parses a file the way an upload would be parsed and prints the summary and the first
//! records: `cargo run -p faultmaven-ingest --example ingest_file -- PATH [RECORDS]`.

use faultmaven_ingest::{AttachmentParser, IngestConfig, Redactor};
use faultmaven_model::{AttachmentId, AttachmentRole, LogRecord, MetricSample};
use std::io::Read;
use std::sync::Arc;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut arguments = std::env::args().skip(1);
    let path = arguments
        .next()
        .ok_or("usage: ingest_file PATH [RECORDS]")?;
    let shown: usize = arguments.next().map_or(Ok(10), |text| text.parse())?;
    let config = IngestConfig::default();
    let redactor = Arc::new(Redactor::new(&config.redaction));
    let mut parser = AttachmentParser::new(
        AttachmentId::new(1),
        &path,
        AttachmentRole::Incident,
        &config,
        redactor,
    );
    let mut sink: (Vec<LogRecord<'static>>, Vec<MetricSample<'static>>) = (Vec::new(), Vec::new());
    let mut file = std::fs::File::open(&path)?;
    let mut buffer = vec![0u8; 256 * 1024];
    loop {
        let read = file.read(&mut buffer)?;
        if read == 0 {
            break;
        }
        parser.feed(&buffer[..read], &mut sink)?;
    }
    let summary = parser.finish(&mut sink)?;
    println!("{}", serde_json::to_string_pretty(&summary)?);
    for record in sink.0.iter().take(shown) {
        println!(
            "#{}-{} ts={} level={:?} source={:?}\n    message={:?}\n    attributes={:?}",
            record.first_line,
            record.last_line,
            record.timestamp.map(|t| t.to_rfc3339()).unwrap_or_default(),
            record.level,
            record.source,
            record.message,
            record.attributes
        );
    }
    for sample in sink.1.iter().take(shown) {
        println!(
            "#{} {}{:?} = {} at {}",
            sample.line,
            sample.name,
            sample.labels,
            sample.value,
            sample.timestamp.map(|t| t.to_rfc3339()).unwrap_or_default()
        );
    }
    Ok(())
}
