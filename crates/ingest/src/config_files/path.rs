//! Key paths: `a.b[0].c`, with keys that would be ambiguous written as `["app.kubernetes.io/name"]`.

/// Appends a mapping key to a path.
pub(crate) fn join_key(parent: &str, key: &str) -> String {
    let plain = !key.is_empty()
        && key.bytes().all(|b| {
            !matches!(b, b'.' | b'[' | b']' | b'"')
                && !b.is_ascii_whitespace()
                && !b.is_ascii_control()
        });
    let mut path = String::with_capacity(parent.len() + key.len() + 5);
    path.push_str(parent);
    if plain {
        if !parent.is_empty() {
            path.push('.');
        }
        path.push_str(key);
    } else {
        path.push_str("[\"");
        for c in key.chars() {
            match c {
                '"' => path.push_str("\\\""),
                '\\' => path.push_str("\\\\"),
                c if c.is_control() => path.push(' '),
                c => path.push(c),
            }
        }
        path.push_str("\"]");
    }
    path
}

/// Appends a sequence index to a path.
pub(crate) fn join_index(parent: &str, index: usize) -> String {
    format!("{parent}[{index}]")
}

/// The last key of a path, which names what the value is (`password`, `memory`), for redaction.
pub(crate) fn last_key(path: &str) -> &str {
    let mut rest = path;
    // `env[1]` names the same thing as `env`.
    while let Some(open) = rest.rfind('[') {
        let inside = &rest[open + 1..];
        match inside.strip_suffix(']') {
            Some(digits) if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => {
                rest = &rest[..open];
            }
            _ => break,
        }
    }
    if let Some(quoted) = rest.strip_suffix("\"]") {
        if let Some(open) = quoted.rfind("[\"") {
            return &quoted[open + 2..];
        }
    }
    rest.rsplit('.').next().unwrap_or(rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_indexes() {
        assert_eq!(join_key("", "spec"), "spec");
        assert_eq!(
            join_key("metadata.labels", "app.kubernetes.io/name"),
            "metadata.labels[\"app.kubernetes.io/name\"]"
        );
        assert_eq!(join_index("spec.containers", 0), "spec.containers[0]");
        assert_eq!(last_key("spec.containers[0].env[1].password"), "password");
        assert_eq!(last_key("db.passwords[2]"), "passwords");
        assert_eq!(
            last_key("labels[\"app.kubernetes.io/name\"]"),
            "app.kubernetes.io/name"
        );
        assert_eq!(last_key("DB_PASSWORD"), "DB_PASSWORD");
    }
}
