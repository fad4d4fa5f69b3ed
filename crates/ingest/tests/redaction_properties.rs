//! Properties of the redactor over generated text (the labelled corpus in
//! `redaction_corpus.rs` measures recall and precision on real-looking lines; these check
//! what must hold for any line): a generated secret of each token kind never survives,
//! whatever words surround it; redacting redacted text changes nothing (the engine redacts
//! questions and comments that may quote redacted findings); and the time taken stays linear
//! in the line's length on lines packed with detector triggers.

// Integration tests: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use faultmaven_ingest::{RedactionConfig, Redactor};
use proptest::prelude::*;

fn redactor() -> Redactor {
    Redactor::new(&RedactionConfig {
        numbered_placeholders: false,
        ..RedactionConfig::default()
    })
}

/// A card number with a valid Luhn check digit, from 15 digits.
fn with_luhn_digit(digits: &[u8]) -> String {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(position, &digit)| {
            let digit = u32::from(digit);
            if position % 2 == 0 {
                let doubled = digit * 2;
                if doubled > 9 {
                    doubled - 9
                } else {
                    doubled
                }
            } else {
                digit
            }
        })
        .sum();
    let check = (10 - sum % 10) % 10;
    let mut number: String = digits.iter().map(|d| char::from(b'0' + d)).collect();
    number.push(char::from(b'0' + check as u8));
    number
}

/// Secrets of the kinds recognised by their own shape (no key name needed).
fn secret() -> impl Strategy<Value = String> {
    prop_oneof![
        "AKIA[A-Z2-7]{16}",
        "ghp_[A-Za-z0-9]{36}",
        "glpat-[A-Za-z0-9_-]{20}",
        "xoxb-[0-9]{11}-[0-9]{12}-[A-Za-z0-9]{24}",
        "sk_live_[A-Za-z0-9]{24}",
        "AIza[A-Za-z0-9_-]{35}",
        "eyJ[A-Za-z0-9_-]{10,30}\\.eyJ[A-Za-z0-9_-]{10,40}\\.[A-Za-z0-9_-]{20,43}",
        "[a-z]{2,12}(\\.[a-z]{2,8})?@[a-z]{3,10}\\.(com|org|io|de)",
        // Visa (4) and Mastercard (51-55) numbers with a valid check digit.
        (
            prop_oneof![
                (0u8..10).prop_map(|second| vec![4u8, second]),
                (1u8..6).prop_map(|second| vec![5u8, second]),
            ],
            proptest::collection::vec(0u8..10, 13),
        )
            .prop_map(|(mut digits, rest)| {
                digits.extend(rest);
                with_luhn_digit(&digits)
            }),
    ]
}

/// Words of log lines, including ones that look like parts of secrets and triggers.
fn words() -> impl Strategy<Value = Vec<String>> {
    proptest::collection::vec(
        prop_oneof![
            "[a-z]{1,10}",
            "[A-Z][a-z]{1,8}:",
            "[0-9]{1,6}",
            Just("ERROR".to_owned()),
            Just("token".to_owned()),
            Just("user=alice".to_owned()),
            Just("GET /api/v1/orders".to_owned()),
            Just("10.0.0.1".to_owned()),
            Just("key:".to_owned()),
            Just("(".to_owned()),
            Just("\"".to_owned()),
        ],
        0..8,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn a_secret_never_survives_whatever_surrounds_it(
        before in words(),
        secret in secret(),
        after in words(),
    ) {
        let line = format!("{} {secret} {}", before.join(" "), after.join(" "));
        let redacted = redactor().redact(&line);
        prop_assert!(!redacted.contains(&secret), "{line:?} -> {redacted:?}");
        prop_assert!(redacted.contains("<REDACTED:"), "{line:?} -> {redacted:?}");
    }

    #[test]
    fn redacted_text_is_left_as_it_is(
        before in words(),
        secret in secret(),
        after in words(),
        key in prop_oneof![Just(""), Just("password="), Just("api_key: "), Just("Authorization: Bearer ")],
    ) {
        let redactor = redactor();
        let line = format!("{} {key}{secret} {}", before.join(" "), after.join(" "));
        let once = redactor.redact(&line).into_owned();
        let twice = redactor.redact(&once);
        prop_assert_eq!(once.as_str(), twice.as_ref(), "{:?}", line);
    }
}

#[test]
fn lines_packed_with_triggers_take_linear_time() {
    // Each pattern fires a detector's trigger or its regex; the line is 16 times longer in
    // the second run, so linear work takes about 16 times as long and quadratic work 256.
    // The bound (48x) leaves room for a loaded machine; it measures CPU-independent work
    // only roughly, so it guards against superlinear detectors, not against small slowdowns.
    let redactor = redactor();
    let patterns = [
        "a@",
        "@b.",
        "password=",
        "4111 ",
        "1-",
        "Bearer ",
        "eyJ",
        "-----BEGIN ",
        "sk-",
        "://u:",
        "token ",
        "AKIA",
        "key=",
    ];
    for pattern in patterns {
        let time = |bytes: usize| {
            let line = pattern.repeat(bytes / pattern.len());
            let start = std::time::Instant::now();
            let mut total = 0;
            // Repeat the short run so both measurements are long enough to time.
            let rounds = if bytes < 100_000 { 16 } else { 1 };
            for _ in 0..rounds {
                total += redactor.redact(&line).len();
            }
            assert!(total > 0);
            start.elapsed().as_secs_f64() / f64::from(rounds)
        };
        let short = time(64 * 1024).max(1e-4);
        let long = time(1024 * 1024);
        assert!(
            long < short * 48.0 + 0.05,
            "{pattern:?}: 64 KiB in {short:.4} s, 1 MiB in {long:.4} s"
        );
    }
}
