//! Fuzz target: the metric parsers besides Prometheus text (Influx line protocol, statsd, OTLP JSON
//! metrics, Prometheus HTTP API JSON, CSV and TSV tables, OpenMetrics). The first byte declares
//! which parser reads the rest (no sniffing), so each one meets inputs its sniffer would turn away.
#![no_main]

use faultmaven_ingest::Format;
use libfuzzer_sys::fuzz_target;

const FORMATS: &[Format] = &[
    Format::InfluxLineProtocol,
    Format::Statsd,
    Format::OtlpMetricsJson,
    Format::PrometheusApiJson,
    Format::CsvMetrics,
    Format::TsvMetrics,
    Format::OpenMetricsText,
];

fuzz_target!(|data: &[u8]| {
    faultmaven_fuzz::drive_declared(FORMATS, data);
});
