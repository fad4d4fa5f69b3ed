//! Fuzz target: archives and compression through `UploadParser`. The fuzzed bytes go in raw
//! (the seeds hold real zip, tar, tar.gz and zst files to mutate), after each container's magic
//! number, and wrapped as a member of a valid tar (so member parsing and nesting are reached);
//! every variant must give summaries or a typed error within the configured limits.
#![no_main]

use libfuzzer_sys::fuzz_target;

/// A one-member tar holding `data`, built by hand so no name or size check stands between
/// the fuzzer and the reader.
fn tar_with(data: &[u8]) -> Vec<u8> {
    let mut header = [0u8; 512];
    header[..7].copy_from_slice(b"x.log.z");
    header[100..107].copy_from_slice(b"0000644");
    header[124..136].copy_from_slice(format!("{:011o}\0", data.len()).as_bytes());
    header[156] = b'0';
    header[257..263].copy_from_slice(b"ustar\0");
    header[148..156].copy_from_slice(b"        ");
    let sum: u32 = header.iter().map(|&b| u32::from(b)).sum();
    header[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    let mut tar = header.to_vec();
    tar.extend_from_slice(data);
    tar.resize(tar.len().div_ceil(512) * 512 + 1024, 0);
    tar
}

fuzz_target!(|data: &[u8]| {
    let (mut plan, upload) = faultmaven_fuzz::plan_from(data);
    // Small limits so the member, depth and size caps are reached by short inputs.
    plan.config.archive.max_members = 8;
    plan.config.archive.max_depth = 3;
    plan.config.archive.max_zip_bytes = 1 << 20;
    plan.config.archive.ratio_grace_bytes = 64 * 1024;
    faultmaven_fuzz::drive_upload(&plan, upload);
    for magic in [
        &b"\x1f\x8b\x08\x00"[..],
        &b"\x28\xb5\x2f\xfd"[..],
        &b"PK\x03\x04"[..],
    ] {
        let mut prefixed = magic.to_vec();
        prefixed.extend_from_slice(upload);
        faultmaven_fuzz::drive_upload(&plan, &prefixed);
    }
    faultmaven_fuzz::drive_upload(&plan, &tar_with(upload));
});
