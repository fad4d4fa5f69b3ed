//! Identifier newtypes. Each is built by `parse` (validating) or by a constructor that cannot
//! produce an invalid value, so code holding one never re-checks it.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Why a string is not a valid identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// The string is not of the identifier's form.
    #[error("invalid {kind} id {value:?}: {reason}")]
    Invalid {
        /// Which identifier was being parsed ("session", "hypothesis", ...).
        kind: &'static str,
        /// The rejected input, cut to 64 characters.
        value: String,
        /// What is wrong with it.
        reason: &'static str,
    },
}

fn invalid(kind: &'static str, value: &str, reason: &'static str) -> IdError {
    IdError::Invalid {
        kind,
        value: value.chars().take(64).collect(),
        reason,
    }
}

/// A session identifier: 8 to 64 characters of `[A-Za-z0-9_-]`.
///
/// Sessions are created by the server with random ids (`SessionId::random_from`), but clients
/// send them back, so parsing validates the alphabet and length.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SessionId(String);

impl SessionId {
    /// Parses a client-supplied session id.
    pub fn parse(value: &str) -> Result<Self, IdError> {
        if !(8..=64).contains(&value.len()) {
            return Err(invalid("session", value, "length must be 8 to 64"));
        }
        if !value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(invalid(
                "session",
                value,
                "only A-Z, a-z, 0-9, '-' and '_' are allowed",
            ));
        }
        Ok(Self(value.to_owned()))
    }

    /// Builds a session id from 16 random bytes (the caller supplies the randomness so this
    /// crate needs no RNG).
    pub fn from_random_bytes(bytes: [u8; 16]) -> Self {
        let mut text = String::with_capacity(32);
        for byte in bytes {
            text.push_str(&format!("{byte:02x}"));
        }
        Self(text)
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for SessionId {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for SessionId {
    type Error = IdError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<SessionId> for String {
    fn from(id: SessionId) -> Self {
        id.0
    }
}

macro_rules! numbered_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal, $kind:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(u32);

        impl $name {
            /// The id with this sequence number.
            pub const fn new(number: u32) -> Self {
                Self(number)
            }

            /// The sequence number.
            pub const fn number(self) -> u32 {
                self.0
            }

            /// Parses the textual form, e.g. `
            #[doc = $prefix]
            /// 12`.
            pub fn parse(value: &str) -> Result<Self, IdError> {
                let digits = value
                    .strip_prefix($prefix)
                    .ok_or_else(|| invalid($kind, value, concat!("must start with '", $prefix, "'")))?;
                if digits.is_empty() || digits.len() > 9 || !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(invalid($kind, value, "must be the prefix followed by 1 to 9 digits"));
                }
                digits
                    .parse()
                    .map(Self)
                    .map_err(|_| invalid($kind, value, "number out of range"))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!($prefix, "{}"), self.0)
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::parse(&value)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> Self {
                id.to_string()
            }
        }
    };
}

numbered_id!(
    /// An uploaded file within one request: `a1`, `a2`, ... in upload order.
    AttachmentId, "a", "attachment"
);
numbered_id!(
    /// A finding within one session: `F1`, `F2`, ...
    FindingId, "F", "finding"
);
numbered_id!(
    /// A hypothesis within one session: `H1`, `H2`, ...
    HypothesisId, "H", "hypothesis"
);
numbered_id!(
    /// A follow-up question within one session: `Q1`, `Q2`, ...
    QuestionId, "Q", "question"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbered_ids_round_trip() {
        assert_eq!(FindingId::parse("F12").unwrap(), FindingId::new(12));
        assert_eq!(HypothesisId::new(3).to_string(), "H3");
        assert_eq!(AttachmentId::parse("a1").unwrap().number(), 1);
        for bad in ["", "F", "H1", "F-1", "F1x", "F12345678901", "f1"] {
            assert!(FindingId::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn session_ids_are_validated() {
        assert!(SessionId::parse("abcdEF12-_x").is_ok());
        assert!(SessionId::parse("short").is_err());
        assert!(SessionId::parse("has space inside").is_err());
        assert!(SessionId::parse(&"x".repeat(65)).is_err());
        let random = SessionId::from_random_bytes([0xab; 16]);
        assert_eq!(random.as_str().len(), 32);
        assert_eq!(SessionId::parse(random.as_str()).unwrap(), random);
    }

    #[test]
    fn ids_serialize_as_strings() {
        let json = serde_json::to_string(&FindingId::new(7)).unwrap();
        assert_eq!(json, "\"F7\"");
        let back: FindingId = serde_json::from_str(&json).unwrap();
        assert_eq!(back, FindingId::new(7));
        assert!(serde_json::from_str::<FindingId>("\"H7\"").is_err());
    }
}
