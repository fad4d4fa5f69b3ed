//! JSON lines logs: one object per line, flattened (`{"k8s":{"pod":"x"}}` becomes `k8s.pod`)
//! in a single pass that borrows every string without escapes from the line.

use crate::format::{FormatParser, ParserSettings, Window};
use crate::output::Output;
use crate::structured::{learn_roles, recycle, Field, FieldRoles, RecordBuilder, ValueKind};
use crate::timestamp::YearResolver;
use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::fmt;

/// Flattens one JSON object into `out`. Fails when the text is not one JSON object.
pub(crate) fn flatten_object<'a>(
    line: &'a str,
    out: &mut Vec<Field<'a>>,
) -> Result<(), serde_json::Error> {
    let mut deserializer = serde_json::Deserializer::from_str(line);
    ObjectSeed { prefix: None, out }.deserialize(&mut deserializer)?;
    deserializer.end()
}

struct ObjectSeed<'o, 'a> {
    prefix: Option<&'o str>,
    out: &'o mut Vec<Field<'a>>,
}

impl<'de> DeserializeSeed<'de> for ObjectSeed<'_, 'de> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ObjectSeed<'_, 'de> {
    type Value = ();

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key_seed(StrSeed)? {
            let full_key = match self.prefix {
                Some(prefix) => {
                    let mut joined = String::with_capacity(prefix.len() + 1 + key.len());
                    joined.push_str(prefix);
                    joined.push('.');
                    joined.push_str(&key);
                    Cow::Owned(joined)
                }
                None => key,
            };
            map.next_value_seed(ValueSeed {
                key: full_key,
                out: self.out,
            })?;
        }
        Ok(())
    }
}

/// A string that stays borrowed when the JSON had no escapes in it.
struct StrSeed;

impl<'de> DeserializeSeed<'de> for StrSeed {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for StrSeed {
    type Value = Cow<'de, str>;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a string")
    }

    fn visit_borrowed_str<E: serde::de::Error>(self, value: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(value))
    }

    fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(value.to_owned()))
    }

    fn visit_string<E: serde::de::Error>(self, value: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(value))
    }
}

struct ValueSeed<'o, 'a> {
    key: Cow<'a, str>,
    out: &'o mut Vec<Field<'a>>,
}

impl<'de> DeserializeSeed<'de> for ValueSeed<'_, 'de> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> ValueSeed<'_, 'de> {
    fn push(self, value: Cow<'de, str>, kind: ValueKind) {
        self.out.push(Field {
            key: self.key,
            value,
            kind,
        });
    }
}

impl<'de> Visitor<'de> for ValueSeed<'_, 'de> {
    type Value = ();

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a JSON value")
    }

    fn visit_borrowed_str<E: serde::de::Error>(self, value: &'de str) -> Result<(), E> {
        self.push(Cow::Borrowed(value), ValueKind::String);
        Ok(())
    }

    fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<(), E> {
        self.push(Cow::Owned(value.to_owned()), ValueKind::String);
        Ok(())
    }

    fn visit_string<E: serde::de::Error>(self, value: String) -> Result<(), E> {
        self.push(Cow::Owned(value), ValueKind::String);
        Ok(())
    }

    fn visit_bool<E: serde::de::Error>(self, value: bool) -> Result<(), E> {
        self.push(
            Cow::Borrowed(if value { "true" } else { "false" }),
            ValueKind::Bool,
        );
        Ok(())
    }

    fn visit_i64<E: serde::de::Error>(self, value: i64) -> Result<(), E> {
        let text = itoa::Buffer::new().format(value).to_owned();
        self.push(Cow::Owned(text), ValueKind::Number);
        Ok(())
    }

    fn visit_u64<E: serde::de::Error>(self, value: u64) -> Result<(), E> {
        let text = itoa::Buffer::new().format(value).to_owned();
        self.push(Cow::Owned(text), ValueKind::Number);
        Ok(())
    }

    fn visit_f64<E: serde::de::Error>(self, value: f64) -> Result<(), E> {
        self.push(Cow::Owned(value.to_string()), ValueKind::Number);
        Ok(())
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
        self.push(Cow::Borrowed(""), ValueKind::Null);
        Ok(())
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<(), E> {
        self.visit_unit()
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        let ValueSeed { key, out } = self;
        ObjectSeed {
            prefix: Some(&key),
            out,
        }
        .visit_map(map)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        // Arrays stay whole, as JSON text: flattening `tags[0]`, `tags[1]` helps nobody.
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<serde_json::Value>()? {
            items.push(item);
        }
        let text = serde_json::to_string(&items).map_err(serde::de::Error::custom)?;
        self.push(Cow::Owned(text), ValueKind::Composite);
        Ok(())
    }
}

/// How many window lines are JSON objects, for sniffing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct JsonLinesStats {
    pub objects: usize,
    pub non_blank: usize,
    /// The first object has a key that names a log role (time, level or message).
    pub looks_like_log: bool,
    /// The first non-blank line is a whole object (a pretty-printed document's `{` is not).
    pub first_is_object: bool,
    /// Non-blank lines starting with `{`, whole objects or not.
    pub braced: usize,
}

pub(crate) fn stats(window: &Window<'_>) -> JsonLinesStats {
    let mut stats = JsonLinesStats::default();
    let mut fields = Vec::new();
    for line in window.lines() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        stats.non_blank += 1;
        if !line.starts_with('{') {
            continue;
        }
        stats.braced += 1;
        fields.clear();
        if flatten_object(line, &mut fields).is_ok() {
            if stats.non_blank == 1 {
                stats.first_is_object = true;
            }
            if stats.objects == 0 {
                stats.looks_like_log = fields.iter().any(|field| {
                    let key = field.key.to_ascii_lowercase();
                    matches!(
                        key.as_str(),
                        "msg"
                            | "message"
                            | "level"
                            | "severity"
                            | "lvl"
                            | "@timestamp"
                            | "timestamp"
                            | "time"
                            | "ts"
                            | "log"
                    )
                });
            }
            stats.objects += 1;
        }
    }
    stats
}

/// Parses JSON lines into log records.
pub(crate) struct JsonLinesParser {
    builder: RecordBuilder,
    /// The field buffer, kept empty between lines.
    fields: Vec<Field<'static>>,
}

impl JsonLinesParser {
    pub fn new(settings: &ParserSettings, window: &Window<'_>) -> Self {
        let mut samples = Vec::new();
        for line in window.lines() {
            let mut fields = Vec::new();
            if flatten_object(line.trim(), &mut fields).is_ok() {
                samples.push(fields);
            }
        }
        Self::with_roles(settings, learn_roles(&samples, settings.base_year))
    }

    pub fn with_roles(settings: &ParserSettings, roles: FieldRoles) -> Self {
        Self {
            builder: RecordBuilder {
                attachment: settings.attachment,
                roles,
                years: YearResolver::new(settings.base_year),
            },
            fields: Vec::new(),
        }
    }
}

impl FormatParser for JsonLinesParser {
    fn line(&mut self, number: u64, line: &str, out: &mut Output<'_>) {
        let trimmed = line.trim();
        if trimmed.is_empty() {
            return;
        }
        let mut fields = recycle(std::mem::take(&mut self.fields));
        match flatten_object(trimmed, &mut fields) {
            Ok(()) => self.builder.emit(number, trimmed, &mut fields, out),
            Err(error) => out.issue(
                Some(number),
                format_args!("invalid JSON, line skipped: {error}"),
            ),
        }
        self.fields = recycle(fields);
    }

    fn finish(&mut self, _out: &mut Output<'_>) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flat(line: &str) -> Vec<(String, String, ValueKind)> {
        let mut fields = Vec::new();
        flatten_object(line, &mut fields).unwrap();
        fields
            .into_iter()
            .map(|field| (field.key.into_owned(), field.value.into_owned(), field.kind))
            .collect()
    }

    #[test]
    fn flattens_nested_objects_and_keeps_arrays() {
        use ValueKind::*;
        assert_eq!(
            flat(r#"{"a":1,"b":{"c":"x\"y","d":{"e":true}},"f":[1,"two"],"g":null,"h":2.5}"#),
            vec![
                ("a".into(), "1".into(), Number),
                ("b.c".into(), "x\"y".into(), String),
                ("b.d.e".into(), "true".into(), Bool),
                ("f".into(), r#"[1,"two"]"#.into(), Composite),
                ("g".into(), "".into(), Null),
                ("h".into(), "2.5".into(), Number),
            ]
        );
    }

    #[test]
    fn strings_without_escapes_are_borrowed() {
        let line = r#"{"msg":"plain text","esc":"a\nb"}"#;
        let mut fields = Vec::new();
        flatten_object(line, &mut fields).unwrap();
        assert!(matches!(fields[0].value, Cow::Borrowed(_)));
        assert!(matches!(fields[1].value, Cow::Owned(_)));
    }

    #[test]
    fn rejects_non_objects() {
        let mut fields = Vec::new();
        assert!(flatten_object("[1,2]", &mut fields).is_err());
        assert!(flatten_object(r#"{"a":1} trailing"#, &mut fields).is_err());
        assert!(flatten_object(r#"{"a":"#, &mut fields).is_err());
    }
}
