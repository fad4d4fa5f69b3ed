//! Fuzz target: the Prometheus exposition parser. A valid Prometheus exposition head fills the sniff window, so the fuzzed bytes
//! after it always stream through that parser.
#![no_main]

use faultmaven_ingest::Format;
use libfuzzer_sys::fuzz_target;

const HEAD: &str = concat!(
    "# HELP http_requests_total Requests served.\n",
    "# TYPE http_requests_total counter\n",
    "http_requests_total{method=\"get\",code=\"200\"} 1027 1714572187000\n",
    "http_requests_total{method=\"post\",code=\"500\"} 3 1714572187000\n",
);

fuzz_target!(|data: &[u8]| {
    faultmaven_fuzz::drive_format(HEAD, Format::PrometheusText, data);
});
