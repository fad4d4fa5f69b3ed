//! TOML flattened to key paths, with the line of every key (toml_edit keeps spans).

use super::path::{join_index, join_key};
use super::{ConfigLimits, ItemCollector, LineIndex, ParsedConfig};
use toml_edit::{ImDocument, Item, Table, Value};

struct Walker<'t, 'l> {
    items: ItemCollector<'l>,
    lines: &'t LineIndex,
    max_depth: usize,
    depth_reported: bool,
}

impl Walker<'_, '_> {
    fn line(&self, span: Option<std::ops::Range<usize>>) -> Option<u64> {
        span.map(|span| self.lines.line_of(span.start))
    }

    fn too_deep(&mut self, depth: usize, line: Option<u64>) -> bool {
        if depth < self.max_depth {
            return false;
        }
        if !self.depth_reported {
            self.depth_reported = true;
            self.items.issue(
                line,
                format!(
                    "nesting deeper than {} levels; deeper keys were skipped",
                    self.max_depth
                ),
            );
        }
        true
    }

    fn table(&mut self, path: &str, table: &Table, depth: usize) {
        for (key, item) in table.iter() {
            if self.items.is_full() {
                return;
            }
            let key_line = table
                .get_key_value(key)
                .and_then(|(key, _)| self.line(key.span()));
            let line = key_line.or_else(|| self.line(item.span()));
            self.item(&join_key(path, key), item, line, depth + 1);
        }
    }

    fn item(&mut self, path: &str, item: &Item, line: Option<u64>, depth: usize) {
        if self.too_deep(depth, line) {
            return;
        }
        match item {
            Item::None => {}
            Item::Value(value) => self.value(path, value, line, depth),
            Item::Table(table) => {
                if table.is_empty() {
                    self.items.push(line, path.to_owned(), "{}".to_owned());
                }
                self.table(path, table, depth);
            }
            Item::ArrayOfTables(tables) => {
                for (index, table) in tables.iter().enumerate() {
                    let table_line = self.line(table.span()).or(line);
                    let element = join_index(path, index);
                    if table.is_empty() {
                        self.items
                            .push(table_line, element.clone(), "{}".to_owned());
                    }
                    self.table(&element, table, depth + 1);
                }
            }
        }
    }

    fn value(&mut self, path: &str, value: &Value, line: Option<u64>, depth: usize) {
        let line = line.or_else(|| self.line(value.span()));
        let text = match value {
            Value::String(text) => text.value().clone(),
            Value::Integer(number) => number.value().to_string(),
            Value::Float(number) => number.value().to_string(),
            Value::Boolean(flag) => flag.value().to_string(),
            Value::Datetime(datetime) => datetime.value().to_string(),
            Value::Array(array) => {
                if array.is_empty() {
                    self.items.push(line, path.to_owned(), "[]".to_owned());
                }
                for (index, element) in array.iter().enumerate() {
                    if self.too_deep(depth + 1, line) {
                        return;
                    }
                    let element_line = self.line(element.span()).or(line);
                    self.value(&join_index(path, index), element, element_line, depth + 1);
                }
                return;
            }
            Value::InlineTable(table) => {
                if table.is_empty() {
                    self.items.push(line, path.to_owned(), "{}".to_owned());
                }
                for (key, element) in table.iter() {
                    if self.too_deep(depth + 1, line) {
                        return;
                    }
                    let key_line = table
                        .get_key_value(key)
                        .and_then(|(key, _)| self.line(key.span()))
                        .or(line);
                    self.value(&join_key(path, key), element, key_line, depth + 1);
                }
                return;
            }
        };
        self.items.push(line, path.to_owned(), text);
    }
}

pub(crate) fn parse(text: &str, limits: &ConfigLimits) -> ParsedConfig {
    let lines = LineIndex::new(text);
    let mut walker = Walker {
        items: ItemCollector::new(limits),
        lines: &lines,
        max_depth: limits.max_depth.max(1),
        depth_reported: false,
    };
    match ImDocument::parse(text) {
        Ok(document) => walker.table("", document.as_table(), 0),
        Err(error) => {
            let line = error.span().map(|span| lines.line_of(span.start));
            let message = error.message().to_owned();
            walker.items.issue(line, format!("invalid toml: {message}"));
        }
    }
    walker.items.finish()
}
