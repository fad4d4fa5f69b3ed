//! Fuzz target: any bytes, fed in fuzzer-chosen chunks with fuzzer-chosen limits and file-name
//! hints, through `AttachmentParser`: every registered format (and every format added later)
//! is reached through the sniffer.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (plan, upload) = faultmaven_fuzz::plan_from(data);
    faultmaven_fuzz::drive(&plan, upload);
});
