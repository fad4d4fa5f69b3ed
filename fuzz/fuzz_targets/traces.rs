//! Fuzz target: the trace parsers (OTLP JSON, Jaeger JSON, Zipkin v2 JSON, CSV and TSV span
//! tables). The first byte declares which parser reads the rest (no sniffing), so each one meets
//! inputs its sniffer would turn away.
#![no_main]

use faultmaven_ingest::Format;
use libfuzzer_sys::fuzz_target;

const FORMATS: &[Format] = &[
    Format::OtlpJson,
    Format::JaegerJson,
    Format::ZipkinJson,
    Format::CsvSpans,
];

fuzz_target!(|data: &[u8]| {
    faultmaven_fuzz::drive_declared(FORMATS, data);
});
