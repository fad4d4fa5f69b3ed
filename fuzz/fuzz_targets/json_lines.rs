//! Fuzz target: the JSON lines parser. A valid JSON lines head fills the sniff window, so the fuzzed bytes
//! after it always stream through that parser.
#![no_main]

use faultmaven_ingest::Format;
use libfuzzer_sys::fuzz_target;

const HEAD: &str = concat!(
    "{\"ts\":\"2024-05-01T14:03:07Z\",\"level\":\"info\",\"msg\":\"started\",\"pod\":\"web-1\"}\n",
    "{\"ts\":\"2024-05-01T14:03:08Z\",\"level\":\"error\",\"msg\":\"db timeout\",\"pod\":\"web-2\"}\n",
    "{\"ts\":\"2024-05-01T14:03:09Z\",\"level\":\"warn\",\"msg\":\"retrying\",\"pod\":\"web-1\"}\n",
);

fuzz_target!(|data: &[u8]| {
    faultmaven_fuzz::drive_format(HEAD, Format::JsonLines, data);
});
