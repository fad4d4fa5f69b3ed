//! Unit tests of `redact`.

use super::*;

fn unnumbered() -> Redactor {
    Redactor::new(&RedactionConfig {
        numbered_placeholders: false,
        ..RedactionConfig::default()
    })
}

fn check(input: &str, expected: &str) {
    assert_eq!(unnumbered().redact(input), expected, "input {input:?}");
}

#[test]
fn nothing_to_redact_borrows() {
    let redactor = Redactor::new(&RedactionConfig::default());
    for text in [
        "GET /api/v1/users 200 12ms",
        "user 42 logged in from 10.0.0.1",
        "order 4111111111111112 shipped",
    ] {
        assert!(matches!(redactor.redact(text), Cow::Borrowed(_)), "{text}");
    }
}

#[test]
fn detectors() {
    check(
        "key AKIAIOSFODNN7EXAMPLE used",
        "key <REDACTED:aws_access_key> used",
    );
    check(
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "aws_secret_access_key = <REDACTED:aws_secret_key>",
    );
    check(
        "token ghp_abcdefghijklmnopqrstuvwxyz0123456789 ok",
        "token <REDACTED:github_token> ok",
    );
    check("xoxb-1234567890-abcdefghij", "<REDACTED:slack_token>");
    check("sk_live_4eC39HqLyjWDarjtT1zdp7dc", "<REDACTED:stripe_key>");
    check(
        "OPENAI key sk-proj-abc123def456ghi789jkl012mno345",
        "OPENAI key <REDACTED:openai_key>",
    );
    check(
        "AIzaSyA-1234567890abcdefghijklmnopqrstu x",
        "<REDACTED:google_api_key> x",
    );
    check(
        "jwt=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
        "jwt=<REDACTED:jwt>",
    );
    check(
        "Authorization: Bearer abc.def-123_xyz",
        "Authorization: Bearer <REDACTED:bearer_token>",
    );
    check(
        "Authorization: Basic dXNlcjpwYXNzd29yZA==",
        "Authorization: Basic <REDACTED:basic_auth>",
    );
    check("Basic authentication failed", "Basic authentication failed");
    check(
        "postgres://app:s3cr3t@db.internal:5432/app",
        "postgres://app:<REDACTED:password>@db.internal:5432/app",
    );
    check(
        "password=hunter2 user=bob",
        "password=<REDACTED:password> user=bob",
    );
    check(
        r#"{"db_password": "hunter2"}"#,
        r#"{"db_password": "<REDACTED:password>"}"#,
    );
    check("client_secret: abc123", "client_secret: <REDACTED:secret>");
    check(
        "token_type=Bearer expires_in=3600",
        "token_type=Bearer expires_in=3600",
    );
    check("password: is required", "password: is required");
    check(
        "Bad activity token: android.os.BinderProxy@2bd79ce",
        "Bad activity token: android.os.BinderProxy@2bd79ce",
    );
    check("mail bob@example.com now", "mail <REDACTED:email> now");
    check("icon@2x.png", "icon@2x.png");
    check(
        "card 4111 1111 1111 1111 ok",
        "card <REDACTED:credit_card> ok",
    );
    check("blk_-4111111111111111 ok", "blk_-4111111111111111 ok");
    check(
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----\nafter",
        "<REDACTED:private_key>\nafter",
    );
}

#[test]
fn numbering_is_consistent() {
    let redactor = Redactor::new(&RedactionConfig::default());
    let first = redactor.redact("from a@example.com to b@example.com");
    let again = redactor.redact("cc a@example.com");
    assert_eq!(first, "from <REDACTED:email:1> to <REDACTED:email:2>");
    assert_eq!(again, "cc <REDACTED:email:1>");
}

#[test]
fn ip_addresses_only_when_enabled() {
    let text = "peer 10.1.2.3 and fe80::1 version 1.2.3.4.5";
    assert_eq!(unnumbered().redact(text), text);
    let redactor = Redactor::new(&RedactionConfig {
        ip_addresses: true,
        numbered_placeholders: false,
        ..RedactionConfig::default()
    });
    assert_eq!(
        redactor.redact(text),
        "peer <REDACTED:ip_address> and <REDACTED:ip_address> version 1.2.3.4.5"
    );
}

#[test]
fn hostnames_only_when_enabled_and_numbered_consistently() {
    let text =
        "db-01.prod.internal refused; retry db-01.prod.internal via api.example.com (app.log)";
    assert_eq!(unnumbered().redact(text), text);
    let redactor = Redactor::new(&RedactionConfig {
        hostnames: true,
        ..RedactionConfig::default()
    });
    assert_eq!(
        redactor.redact(text),
        "<REDACTED:hostname:1> refused; retry <REDACTED:hostname:1> via <REDACTED:hostname:2> (app.log)"
    );
    // An e-mail address stays one e-mail, not a user and a host.
    assert_eq!(
        redactor.redact("mail ops@corp.example.com"),
        "mail <REDACTED:email:1>"
    );
}

#[test]
fn fields_by_key() {
    let redactor = unnumbered();
    assert_eq!(
        redactor.redact_field("password", "hunter2"),
        "<REDACTED:password>"
    );
    assert_eq!(
        redactor.redact_field("auth.api_key", "abc"),
        "<REDACTED:api_key>"
    );
    assert_eq!(redactor.redact_field("token_type", "Bearer"), "Bearer");
    assert_eq!(redactor.redact_field("user", "a@b.io"), "<REDACTED:email>");
    assert_eq!(redactor.redact_field("secretName", "db-creds"), "db-creds");
}

#[test]
fn key_classification() {
    assert_eq!(
        classify_secret_key("MYSQL_ROOT_PASSWORD"),
        Some(RedactionKind::Password)
    );
    assert_eq!(classify_secret_key("apiKey"), Some(RedactionKind::ApiKey));
    assert_eq!(
        classify_secret_key("refresh_token"),
        Some(RedactionKind::Token)
    );
    assert_eq!(classify_secret_key("max_tokens"), None);
    assert_eq!(classify_secret_key("PWD"), None);
    assert_eq!(classify_secret_key("bypass"), None);
    assert_eq!(classify_secret_key("password_length"), None);
}

#[test]
fn trigger_spellings() {
    assert_eq!(trigger_variants("~pass"), ["pass", "PASS", "Pass"]);
    assert_eq!(
        trigger_variants("~api_key"),
        ["api_key", "API_KEY", "apiKey", "ApiKey"]
    );
    assert_eq!(
        trigger_variants("~api-key"),
        ["api-key", "API-KEY", "Api-Key"]
    );
    assert_eq!(trigger_variants("sk-"), ["sk-"]);
    assert!(compiled().trigger_masks.len() <= 64);
    check("dbPassword=hunter2", "dbPassword=<REDACTED:password>");
    check("X-Api-Key: abcdef123456", "X-Api-Key: <REDACTED:api_key>");
}

#[test]
fn digit_runs() {
    for (text, expected) in [
        ("4111111111111", true),
        ("card 4111 1111 1111 1111 ok", true),
        ("x 4111-1111-1111-1 y", true),
        ("411111111111", false),
        ("2024-01-05 12:00:00 id 123456", false),
        ("12  34 56 78 90 12 34", false),
        ("abc", false),
        ("", false),
        ("---- ---- 1234567890123", true),
        ("GET /orders/482113 200 3012ms bytes=1234", false),
    ] {
        assert_eq!(
            has_long_digit_run(text.as_bytes(), 13),
            expected,
            "{text:?}"
        );
    }
}

#[test]
fn luhn_and_issuers() {
    let digits = |text: &str| text.bytes().map(|b| b - b'0').collect::<Vec<_>>();
    assert!(is_card_number(&digits("4111111111111111")));
    assert!(is_card_number(&digits("378282246310005")));
    assert!(is_card_number(&digits("5555555555554444")));
    assert!(!is_card_number(&digits("4111111111111112")));
    assert!(!is_card_number(&digits("1234567812345670")));
}

#[test]
fn cards_inside_runs_of_numbers() {
    // A card next to an amount or an id, separated by a space: the card alone is redacted.
    check(
        "charged 4111111111111111 200 USD",
        "charged <REDACTED:credit_card> 200 USD",
    );
    check(
        "card 4111 1111 1111 1111 100 ok",
        "card <REDACTED:credit_card> 100 ok",
    );
    check(
        "ref 1234 5555555555554444",
        "ref 1234 <REDACTED:credit_card>",
    );
    check(
        "cards 4111111111111111 5555555555554444",
        "cards <REDACTED:credit_card> <REDACTED:credit_card>",
    );
    // A dash binds the groups into one token: an id, not a card.
    check("order 4111111111111111-000", "order 4111111111111111-000");
    // Groups of fewer than four digits before the last are not how cards are written.
    check("ids 411 1111111111111 1", "ids 411 1111111111111 1");
}

#[test]
fn disabled_redactor_passes_text() {
    let redactor = Redactor::new(&RedactionConfig {
        enabled: false,
        ..RedactionConfig::default()
    });
    assert_eq!(
        redactor.redact("password=x bob@example.com"),
        "password=x bob@example.com"
    );
}
