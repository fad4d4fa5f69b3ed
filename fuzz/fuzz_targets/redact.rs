//! Fuzz target: the redactor on arbitrary text, with every detector on. Spans must be in
//! order, disjoint and on character boundaries; redacting twice must change nothing more
//! (placeholders are never themselves redacted).
#![no_main]

use faultmaven_ingest::{RedactionConfig, Redactor};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn redactor() -> &'static Redactor {
    static REDACTOR: OnceLock<Redactor> = OnceLock::new();
    REDACTOR.get_or_init(|| {
        Redactor::new(&RedactionConfig {
            ip_addresses: true,
            numbered_placeholders: false,
            ..RedactionConfig::default()
        })
    })
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let redactor = redactor();
    let spans = redactor.find_secrets(&text);
    let mut previous_end = 0;
    for (range, _) in &spans {
        assert!(
            range.start >= previous_end && range.start < range.end,
            "spans in order"
        );
        assert!(text.is_char_boundary(range.start) && text.is_char_boundary(range.end));
        previous_end = range.end;
    }
    let once = redactor.redact(&text);
    assert_eq!(
        spans.is_empty(),
        matches!(once, std::borrow::Cow::Borrowed(_))
    );
    // A key/value split of the same text goes through the field path.
    if let Some((key, value)) = text.split_once('=') {
        let _ = redactor.redact_field(key, value);
    }
});
