//! Fuzz target: the log parsers besides JSON lines, logfmt and plain text (Docker json-file,
//! Kubernetes CRI, journald export and JSON, Windows event text, CSV and TSV log tables,
//! header-learned text logs; pasted stack traces are the `code` format, with a target of its own). The first byte declares which parser reads the rest
//! (no sniffing), so each one meets inputs its sniffer would turn away.
#![no_main]

use faultmaven_ingest::Format;
use libfuzzer_sys::fuzz_target;

const FORMATS: &[Format] = &[
    Format::DockerJson,
    Format::CriLog,
    Format::JournaldExport,
    Format::JournaldJson,
    Format::WindowsEventText,
    Format::CsvLog,
    Format::TsvLog,
    Format::PlainTextLog,
];

fuzz_target!(|data: &[u8]| {
    faultmaven_fuzz::drive_declared(FORMATS, data);
});
