//! Fuzz target: the CSV metrics parser. A valid CSV metrics head fills the sniff window, so the fuzzed bytes
//! after it always stream through that parser.
#![no_main]

use faultmaven_ingest::Format;
use libfuzzer_sys::fuzz_target;

const HEAD: &str = concat!(
    "timestamp,cpu_percent,memory_mb,requests\n",
    "2024-05-01T14:03:00Z,12.5,512,130\n",
    "2024-05-01T14:04:00Z,13.1,515,128\n",
    "2024-05-01T14:05:00Z,97.0,530,12\n",
);

fuzz_target!(|data: &[u8]| {
    faultmaven_fuzz::drive_format(HEAD, Format::CsvMetrics, data);
});
