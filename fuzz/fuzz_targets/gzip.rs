//! Fuzz target: the gzip path. The fuzzed bytes are compressed (so the parsers see them
//! through the decompressor, in one or several gzip members) and, separately, fed raw after
//! the gzip magic (so the decompressor sees damaged streams); either must give a summary or a
//! typed error.
#![no_main]

use flate2::write::GzEncoder;
use flate2::Compression;
use libfuzzer_sys::fuzz_target;
use std::io::Write;

fuzz_target!(|data: &[u8]| {
    let (plan, upload) = faultmaven_fuzz::plan_from(data);
    let middle = upload.len() / 2;
    let mut compressed = Vec::new();
    for member in [&upload[..middle], &upload[middle..]] {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
        encoder.write_all(member).expect("in-memory write");
        compressed.extend(encoder.finish().expect("in-memory finish"));
    }
    faultmaven_fuzz::drive(&plan, &compressed);
    let mut damaged = vec![0x1f, 0x8b];
    damaged.extend_from_slice(upload);
    faultmaven_fuzz::drive(&plan, &damaged);
});
