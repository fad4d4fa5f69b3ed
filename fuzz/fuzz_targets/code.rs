//! Fuzz target: the code format. A stack-trace head (or a source head) fills the sniff
//! window, so the fuzzed bytes after it are read as frames, exception lines and source by the
//! code parser; the sink checks every frame cites a line of its snippet.
#![no_main]

use faultmaven_ingest::Format;
use libfuzzer_sys::fuzz_target;

const TRACE_HEAD: &str = concat!(
    "java.lang.IllegalStateException: pool closed\n",
    "\tat com.shop.Pool.take(Pool.java:42)\n",
    "\tat com.shop.Api.handle(Api.java:7)\n",
);

const SOURCE_HEAD: &str = concat!(
    "import os\n",
    "def handler(event):\n",
    "    try:\n",
    "        return load(event)\n",
    "    except KeyError:\n",
    "        return None\n",
);

fuzz_target!(|data: &[u8]| {
    faultmaven_fuzz::drive_format(TRACE_HEAD, Format::Code, data);
    faultmaven_fuzz::drive_format(SOURCE_HEAD, Format::Code, data);
});
