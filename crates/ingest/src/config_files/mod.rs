//! Configuration files (YAML, Kubernetes manifests, TOML, JSON, INI, `.env`, Dockerfile, nginx)
//! flattened into key paths such as `spec.containers[0].resources.limits.memory`.
//!
//! Configuration files are small and most of their syntaxes need the whole document (a YAML
//! mapping spans many lines), so the parser buffers the document up to
//! `max_config_document_bytes` and parses it at the end. Every syntax has its own module with
//! one pure function from text to [`ParsedConfig`]; this module turns the result into redacted
//! [`ConfigEntry`] records.

mod dockerfile;
mod dotenv;
mod ini;
mod json;
mod nginx;
mod path;
mod sniff;
mod toml;
mod yaml;

pub(crate) use path::last_key;
pub(crate) use sniff::{sniff_dockerfile, sniff_nginx};

use crate::format::{FormatParser, ParserSettings};
use crate::output::Output;
use faultmaven_model::ConfigEntry;
use std::borrow::Cow;

/// The syntax of a configuration document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ConfigSyntax {
    Yaml,
    Toml,
    Json,
    Ini,
    DotEnv,
    Dockerfile,
    Nginx,
}

/// Bounds every configuration parser respects.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ConfigLimits {
    /// Deepest nesting kept; deeper keys are skipped with one issue.
    pub max_depth: usize,
    /// Most keys kept per upload; the rest are dropped with one issue.
    pub max_entries: usize,
}

/// One flattened key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ConfigItem {
    pub line: Option<u64>,
    pub path: String,
    pub value: String,
}

/// One document of a file (YAML files may hold several).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ConfigDocument {
    pub label: Option<String>,
    pub items: Vec<ConfigItem>,
}

/// What a configuration parser produced: documents and problems.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ParsedConfig {
    pub documents: Vec<ConfigDocument>,
    pub issues: Vec<(Option<u64>, String)>,
}

impl ParsedConfig {
    fn item_count(&self) -> usize {
        self.documents
            .iter()
            .map(|document| document.items.len())
            .sum()
    }
}

/// Collects items for one document while enforcing the entry cap.
pub(crate) struct ItemCollector<'l> {
    limits: &'l ConfigLimits,
    parsed: ParsedConfig,
    current: ConfigDocument,
    total: usize,
    full: bool,
}

impl<'l> ItemCollector<'l> {
    pub fn new(limits: &'l ConfigLimits) -> Self {
        Self {
            limits,
            parsed: ParsedConfig::default(),
            current: ConfigDocument::default(),
            total: 0,
            full: false,
        }
    }

    /// Adds a key; returns false once the cap is reached so callers can stop early.
    pub fn push(&mut self, line: Option<u64>, path: String, value: String) -> bool {
        if self.total >= self.limits.max_entries {
            if !self.full {
                self.full = true;
                self.issue(
                    line,
                    format!(
                        "more than {} configuration keys; the rest were skipped",
                        self.limits.max_entries
                    ),
                );
            }
            return false;
        }
        self.total += 1;
        self.current.items.push(ConfigItem { line, path, value });
        true
    }

    pub fn is_full(&self) -> bool {
        self.full
    }

    pub fn issue(&mut self, line: Option<u64>, reason: String) {
        self.parsed.issues.push((line, reason));
    }

    pub fn current_items(&self) -> &[ConfigItem] {
        &self.current.items
    }

    /// The value of the last key, for syntaxes with continuation lines.
    pub fn last_value_mut(&mut self) -> Option<&mut String> {
        self.current.items.last_mut().map(|item| &mut item.value)
    }

    pub fn set_label(&mut self, label: Option<String>) {
        self.current.label = label;
    }

    /// Closes the current document (kept even when empty only if `keep_empty`).
    pub fn end_document(&mut self, keep_empty: bool) {
        let document = std::mem::take(&mut self.current);
        if keep_empty || !document.items.is_empty() {
            self.parsed.documents.push(document);
        }
    }

    pub fn finish(mut self) -> ParsedConfig {
        if !self.current.items.is_empty() || self.parsed.documents.is_empty() {
            self.end_document(false);
        }
        self.parsed
    }
}

/// Parses a whole configuration document.
pub(crate) fn parse_config(
    syntax: ConfigSyntax,
    text: &str,
    limits: &ConfigLimits,
) -> ParsedConfig {
    let parsed = match syntax {
        ConfigSyntax::Yaml => yaml::parse(text, limits),
        ConfigSyntax::Toml => toml::parse(text, limits),
        ConfigSyntax::Json => json::parse(text, limits),
        ConfigSyntax::Ini => ini::parse(text, limits),
        ConfigSyntax::DotEnv => dotenv::parse(text, limits),
        ConfigSyntax::Dockerfile => dockerfile::parse(text, limits),
        ConfigSyntax::Nginx => nginx::parse(text, limits),
    };
    debug_assert!(parsed.item_count() <= limits.max_entries);
    parsed
}

/// Byte offsets where each line starts, to turn a parser's byte span into a line number.
pub(crate) struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|at| at + 1));
        Self { starts }
    }

    /// The 1-based line holding byte `offset`.
    pub fn line_of(&self, offset: usize) -> u64 {
        let index = match self.starts.binary_search(&offset) {
            Ok(index) => index,
            Err(index) => index.saturating_sub(1),
        };
        index as u64 + 1
    }
}

/// Buffers a configuration upload, then parses it and emits its keys.
pub(crate) struct ConfigDocumentParser {
    syntax: ConfigSyntax,
    attachment: faultmaven_model::AttachmentId,
    text: String,
    max_bytes: usize,
    limits: ConfigLimits,
    /// Line where the document went over the size cap, if it did.
    overflow_line: Option<u64>,
}

impl ConfigDocumentParser {
    pub fn new(syntax: ConfigSyntax, settings: &ParserSettings) -> Self {
        Self {
            syntax,
            attachment: settings.attachment,
            text: String::new(),
            max_bytes: settings.max_config_document_bytes,
            limits: ConfigLimits {
                max_depth: settings.max_config_depth,
                max_entries: settings.max_config_entries,
            },
            overflow_line: None,
        }
    }
}

impl FormatParser for ConfigDocumentParser {
    fn line(&mut self, number: u64, line: &str, _out: &mut Output<'_>) {
        if self.overflow_line.is_some() {
            return;
        }
        if self.text.len() + line.len() + 1 > self.max_bytes {
            self.overflow_line = Some(number);
            return;
        }
        // Lines arrive in order from line 1, so the buffer's line numbers are the upload's.
        self.text.push_str(line);
        self.text.push('\n');
    }

    fn finish(&mut self, out: &mut Output<'_>) {
        if let Some(line) = self.overflow_line {
            out.issue(
                Some(line),
                format_args!(
                    "configuration document larger than {} bytes; only the part before this line was parsed",
                    self.max_bytes
                ),
            );
        }
        let text = std::mem::take(&mut self.text);
        let parsed = parse_config(self.syntax, &text, &self.limits);
        for (line, reason) in &parsed.issues {
            out.issue(*line, format_args!("{reason}"));
        }
        for (index, document) in parsed.documents.into_iter().enumerate() {
            let label = document.label.map(Cow::Owned);
            for item in document.items {
                out.config(ConfigEntry {
                    attachment: self.attachment,
                    line: item.line,
                    document: u32::try_from(index).unwrap_or(u32::MAX),
                    document_label: label.clone(),
                    path: Cow::Owned(item.path),
                    value: Cow::Owned(item.value),
                });
            }
        }
    }
}

#[cfg(test)]
mod tests;
