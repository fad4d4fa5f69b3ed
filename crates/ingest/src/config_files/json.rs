//! A single JSON document flattened to key paths. JSON does not keep positions once parsed,
//! so entries carry no line; serde_json's recursion limit (128) guards the stack and the
//! flattening depth is capped like every other syntax.

use super::path::{join_index, join_key};
use super::{ConfigLimits, ItemCollector, ParsedConfig};
use serde_json::Value;

struct Walker<'l> {
    items: ItemCollector<'l>,
    max_depth: usize,
    depth_reported: bool,
}

impl Walker<'_> {
    fn value(&mut self, path: &str, value: &Value, depth: usize) {
        if self.items.is_full() {
            return;
        }
        if depth > self.max_depth {
            if !self.depth_reported {
                self.depth_reported = true;
                self.items.issue(
                    None,
                    format!(
                        "nesting deeper than {} levels; deeper keys were skipped",
                        self.max_depth
                    ),
                );
            }
            return;
        }
        let shown_path = || {
            if path.is_empty() {
                "$".to_owned()
            } else {
                path.to_owned()
            }
        };
        match value {
            Value::Object(map) if map.is_empty() => {
                self.items.push(None, shown_path(), "{}".to_owned());
            }
            Value::Object(map) => {
                for (key, element) in map {
                    self.value(&join_key(path, key), element, depth + 1);
                }
            }
            Value::Array(array) if array.is_empty() => {
                self.items.push(None, shown_path(), "[]".to_owned());
            }
            Value::Array(array) => {
                for (index, element) in array.iter().enumerate() {
                    self.value(&join_index(path, index), element, depth + 1);
                }
            }
            Value::String(text) => {
                self.items.push(None, shown_path(), text.clone());
            }
            other => {
                self.items.push(None, shown_path(), other.to_string());
            }
        }
    }
}

pub(crate) fn parse(text: &str, limits: &ConfigLimits) -> ParsedConfig {
    let mut walker = Walker {
        items: ItemCollector::new(limits),
        max_depth: limits.max_depth.max(1),
        depth_reported: false,
    };
    match serde_json::from_str::<Value>(text) {
        Ok(value) => walker.value("", &value, 0),
        Err(error) => {
            let line = u64::try_from(error.line()).ok().filter(|&line| line > 0);
            walker.items.issue(line, format!("invalid json: {error}"));
        }
    }
    walker.items.finish()
}
