//! Multi-line secrets through the whole pipeline: a PEM private key block must not leak any
//! of its body lines, whatever format the upload is sniffed as and however it is chunked.

// Integration tests: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

/// Body lines of a synthetic RSA key (random base64, not a real key).
const KEY_BODY: [&str; 4] = [
    "MIIEowIBAAKCAQEAu7VJTUt9Us8cKjMzEfYyjiWA4R4M2bS1GB4t7NXp98C3SC6d",
    "VMvDuictGeurT8jNbvJZHtCSuYEvuNMoSfm76oqFvAp8Gy0iz5sxjZmSnXyCdPEo",
    "vNfX4lNYWwR9c3Ff8d6s7Zk2Lq9Xv4Tn7Rb1Yc5W3sH6jD0fG2aE8uI4oP1kZs3H",
    "j6Dp0Fg2Ae8Ui4Oo1QmNbVc7Xz4Lk2Jh9Gf6Ds3AaQ1w2E3rT5y6U7i8O9p0AbCd",
];

fn pem_block() -> String {
    let mut block = String::from("-----BEGIN RSA PRIVATE KEY-----\n");
    for line in KEY_BODY {
        block.push_str(line);
        block.push('\n');
    }
    block.push_str("-----END RSA PRIVATE KEY-----\n");
    block
}

/// Every text a record carries, joined, so a leak anywhere is found.
fn all_text(collected: &support::Collected) -> String {
    let mut text = String::new();
    for record in &collected.0 {
        text.push_str(&record.message);
        text.push('\n');
        if let Some(source) = &record.source {
            text.push_str(source);
        }
        for (key, value) in &record.attributes {
            text.push_str(key);
            text.push('=');
            text.push_str(value);
            text.push('\n');
        }
    }
    for sample in &collected.1 {
        for (key, value) in &sample.labels {
            text.push_str(key);
            text.push_str(value);
        }
    }
    text
}

fn assert_no_key_material(name: &str, upload: &str) {
    for chunks in [&[][..], &[7][..], &[64, 1, 300][..]] {
        let (summary, collected) =
            support::parse_in_chunks(name, upload.as_bytes(), chunks, &support::config())
                .expect("parses");
        let text = all_text(&collected);
        for body in KEY_BODY {
            assert!(
                !text.contains(&body[..24]),
                "{name} ({}) leaks key line {body:?} with chunks {chunks:?}:\n{text}",
                summary.format
            );
        }
        // Formats whose records are not logs or metrics (configuration entries, parsed by
        // their own parsers) emit nothing here; where records exist, the key must show as
        // its placeholder.
        assert!(
            collected.0.is_empty() && collected.1.is_empty()
                || text.contains("<REDACTED:private_key"),
            "{name} ({}): placeholder missing:\n{text}",
            summary.format
        );
    }
}

#[test]
fn pem_file_on_its_own() {
    assert_no_key_material("tls.key", &pem_block());
}

#[test]
fn pem_block_inside_a_plain_text_log() {
    let upload = format!(
        "2024-05-01 14:03:07,123 INFO [main] com.shop.Tls: loading key\n{}2024-05-01 14:03:08,000 INFO [main] com.shop.Tls: loaded\n",
        pem_block()
    );
    assert_no_key_material("app.log", &upload);
}

#[test]
fn pem_block_between_unstructured_lines() {
    let upload = format!(
        "deploy notes for the tls rotation\nkey pasted below by mistake\n{}end of notes\n",
        pem_block()
    );
    assert_no_key_material("notes.txt", &upload);
}

#[test]
fn pem_block_in_a_yaml_value() {
    let mut upload = String::from(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: tls\nstringData:\n  tls.key: |\n",
    );
    for line in pem_block().lines() {
        upload.push_str("    ");
        upload.push_str(line);
        upload.push('\n');
    }
    assert_no_key_material("secret.yaml", &upload);
}

#[test]
fn pem_block_escaped_in_json_lines() {
    let escaped = pem_block().replace('\n', "\\n");
    let upload = format!(
        "{{\"ts\":\"2024-05-01T14:03:07Z\",\"level\":\"info\",\"msg\":\"loaded\",\"private_key\":\"{escaped}\"}}\n{{\"ts\":\"2024-05-01T14:03:08Z\",\"level\":\"info\",\"msg\":\"key {escaped}\"}}\n"
    );
    assert_no_key_material("events.jsonl", &upload);
}

#[test]
fn pem_block_in_logfmt() {
    let escaped = pem_block().replace('\n', "\\n");
    let upload = format!(
        "ts=2024-05-01T14:03:07Z level=info msg=\"loading\"\nts=2024-05-01T14:03:08Z level=info msg=\"key {escaped}\"\nts=2024-05-01T14:03:09Z level=info msg=done\n"
    );
    assert_no_key_material("app.logfmt", &upload);
}

/// Fields of clean lines skip the redactor; a line whose trigger only appears once a JSON
/// escape is decoded must still be redacted.
#[test]
fn escaped_triggers_in_json_lines_are_redacted() {
    let upload = concat!(
        "{\"ts\":\"2024-05-01T14:03:07Z\",\"level\":\"info\",\"msg\":\"started\"}\n",
        "{\"ts\":\"2024-05-01T14:03:08Z\",\"level\":\"info\",\"msg\":\"db \\u0070assword=Hunter2-x9 user \\u0061lice\\u0040example.com\"}\n",
        "{\"ts\":\"2024-05-01T14:03:09Z\",\"level\":\"info\",\"msg\":\"done\"}\n",
    );
    let (summary, collected) = support::parse("events.jsonl", upload.as_bytes());
    assert_eq!(summary.format, "json_lines");
    let text = all_text(&collected);
    assert!(!text.contains("Hunter2-x9"), "{text}");
    assert!(!text.contains("alice@example.com"), "{text}");
    assert!(text.contains("started") && text.contains("done"), "{text}");
}
