//! The admin bearer token: configured once, kept only as its SHA-256 digest, compared in
//! constant time, never printed.

use serde::{Deserialize, Deserializer};
use sha2::{Digest, Sha256};

/// The token that unlocks the admin routes (`[server] admin_token`,
/// `FAULTMAVEN__SERVER__ADMIN_TOKEN`).
///
/// Only its SHA-256 digest is kept, so the clear token is not in memory after the configuration
/// is read, and `Debug` prints `***`. A presented token is hashed too and the digests compared
/// without an early exit, so the time taken says nothing about how much of it was right.
#[derive(Clone, PartialEq, Eq)]
pub struct AdminToken {
    digest: [u8; 32],
}

impl std::fmt::Debug for AdminToken {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("AdminToken(***)")
    }
}

impl AdminToken {
    /// Shortest token accepted: a guessable admin token is worse than none.
    pub const MINIMUM_LENGTH: usize = 16;

    /// The token `text` (surrounding white space ignored), or why it is refused.
    pub fn new(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if text.chars().count() < Self::MINIMUM_LENGTH {
            return Err(format!(
                "admin_token must be at least {} characters (for example the output of \
                 `openssl rand -hex 32`)",
                Self::MINIMUM_LENGTH
            ));
        }
        Ok(Self {
            digest: Sha256::digest(text.as_bytes()).into(),
        })
    }

    /// True when `presented` is the token; constant time in the content of both.
    pub fn matches(&self, presented: &str) -> bool {
        let presented: [u8; 32] = Sha256::digest(presented.trim().as_bytes()).into();
        let difference = presented
            .iter()
            .zip(&self.digest)
            .fold(0u8, |difference, (left, right)| difference | (left ^ right));
        difference == 0
    }
}

/// `admin_token` as written in a file or the environment: a string, or a number when the
/// environment value looked like one (`FAULTMAVEN__SERVER__ADMIN_TOKEN=1234...`).
#[derive(Deserialize)]
#[serde(untagged)]
enum RawToken {
    Text(String),
    Integer(i64),
}

/// Reads `admin_token`: absent or empty means the admin routes are disabled; anything else must
/// be a valid [`AdminToken`].
pub fn deserialize_optional<'de, D>(deserializer: D) -> Result<Option<AdminToken>, D::Error>
where
    D: Deserializer<'de>,
{
    let text = match Option::<RawToken>::deserialize(deserializer)? {
        None => return Ok(None),
        Some(RawToken::Text(text)) => text,
        Some(RawToken::Integer(number)) => number.to_string(),
    };
    if text.trim().is_empty() {
        return Ok(None);
    }
    AdminToken::new(&text)
        .map(Some)
        .map_err(serde::de::Error::custom)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_only_the_token_and_never_prints_it() {
        let token = AdminToken::new("  correct-horse-battery-staple ").expect("long enough");
        assert!(token.matches("correct-horse-battery-staple"));
        assert!(!token.matches("correct-horse-battery-stapl"));
        assert!(!token.matches("correct-horse-battery-staple!"));
        assert!(!token.matches(""));
        assert_eq!(format!("{token:?}"), "AdminToken(***)");
        assert!(AdminToken::new("short").is_err());
    }
}
