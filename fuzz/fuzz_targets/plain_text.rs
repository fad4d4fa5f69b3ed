//! Fuzz target: the plain-text log (with multi-line records) parser. A valid plain-text log (with multi-line records) head fills the sniff window, so the fuzzed bytes
//! after it always stream through that parser.
#![no_main]

use faultmaven_ingest::Format;
use libfuzzer_sys::fuzz_target;

const HEAD: &str = concat!(
    "2024-05-01 14:03:07,123 INFO [main] com.shop.App: started\n",
    "2024-05-01 14:03:08,456 ERROR [pool-1] com.shop.db.Pool: connection refused\n",
    "java.net.ConnectException: Connection refused\n",
    "\tat com.shop.db.Pool.acquire(Pool.java:42)\n",
    "2024-05-01 14:03:09,789 WARN [main] com.shop.App: retrying\n",
);

fuzz_target!(|data: &[u8]| {
    faultmaven_fuzz::drive_format(HEAD, Format::PlainTextLog, data);
});
