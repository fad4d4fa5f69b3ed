//! Fuzz target: the sniffer on arbitrary bytes and file-name hints must never panic, and must
//! decide the same way for the same input.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    const NAMES: [&str; 6] = ["", "app.log", "x.jsonl", "m.csv", "m.prom", "a.gz"];
    let (name, head) = match data.split_first() {
        Some((&selector, head)) => (NAMES[usize::from(selector) % NAMES.len()], head),
        None => ("", data),
    };
    let first = faultmaven_ingest::sniff(name, head);
    assert_eq!(
        first,
        faultmaven_ingest::sniff(name, head),
        "sniffing is deterministic"
    );
});
