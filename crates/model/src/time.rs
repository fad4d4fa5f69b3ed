//! A point in time, stored as nanoseconds since the Unix epoch (UTC).

use chrono::{DateTime, SecondsFormat, TimeZone, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// A UTC instant with nanosecond resolution, cheap to copy and compare.
///
/// Serialized as RFC 3339 text (`2024-05-01T14:03:07.123Z`) because people read the JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Timestamp(i64);

impl Timestamp {
    /// From nanoseconds since the epoch.
    pub const fn from_unix_nanos(nanos: i64) -> Self {
        Self(nanos)
    }

    /// From milliseconds since the epoch (saturating outside the representable range,
    /// which is years 1677 to 2262).
    pub const fn from_unix_millis(millis: i64) -> Self {
        Self(millis.saturating_mul(1_000_000))
    }

    /// From seconds since the epoch, with a fractional part.
    pub fn from_unix_seconds_f64(seconds: f64) -> Option<Self> {
        let nanos = seconds * 1e9;
        if nanos.is_finite() && nanos.abs() < i64::MAX as f64 {
            Some(Self(nanos as i64))
        } else {
            None
        }
    }

    /// Nanoseconds since the epoch.
    pub const fn unix_nanos(self) -> i64 {
        self.0
    }

    /// Milliseconds since the epoch (floor).
    pub const fn unix_millis(self) -> i64 {
        self.0.div_euclid(1_000_000)
    }

    /// As a chrono UTC date-time.
    pub fn to_datetime(self) -> DateTime<Utc> {
        Utc.timestamp_nanos(self.0)
    }

    /// RFC 3339 text with as many fractional digits as needed (none, millis, micros or nanos).
    pub fn to_rfc3339(self) -> String {
        self.to_datetime()
            .to_rfc3339_opts(SecondsFormat::AutoSi, true)
    }

    /// Parses RFC 3339 text.
    pub fn parse_rfc3339(text: &str) -> Option<Self> {
        DateTime::parse_from_rfc3339(text)
            .ok()
            .and_then(|dt| dt.timestamp_nanos_opt())
            .map(Self)
    }
}

impl From<DateTime<Utc>> for Timestamp {
    fn from(value: DateTime<Utc>) -> Self {
        // Out-of-range dates (before 1677 or after 2262) saturate rather than wrap.
        Self(
            value
                .timestamp_nanos_opt()
                .unwrap_or(if value.timestamp() < 0 {
                    i64::MIN
                } else {
                    i64::MAX
                }),
        )
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_rfc3339())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse_rfc3339(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("invalid RFC 3339 timestamp {text:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_round_trip() {
        let ts = Timestamp::from_unix_millis(1_714_572_187_123);
        assert_eq!(ts.to_rfc3339(), "2024-05-01T14:03:07.123Z");
        assert_eq!(
            Timestamp::parse_rfc3339("2024-05-01T14:03:07.123Z"),
            Some(ts)
        );
        let json = serde_json::to_string(&ts).unwrap();
        assert_eq!(serde_json::from_str::<Timestamp>(&json).unwrap(), ts);
    }

    #[test]
    fn millis_floor_for_negative_times() {
        assert_eq!(Timestamp::from_unix_nanos(-1).unix_millis(), -1);
    }
}
