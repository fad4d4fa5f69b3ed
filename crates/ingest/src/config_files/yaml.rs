//! YAML (every document of a multi-document stream) flattened to key paths, with Kubernetes
//! manifests labelled `Deployment prod/checkout`.
//!
//! The event parser (saphyr-parser) keeps no tree and no recursion, so deep nesting cannot
//! overflow the stack; aliases are reported as `*alias`, never expanded, so a "billion laughs"
//! document stays as small as it was sent.

use super::path::{join_index, join_key};
use super::{ConfigLimits, ItemCollector, ParsedConfig};
use saphyr_parser::{Event, Parser, ScalarStyle};

enum Frame {
    Mapping {
        path: String,
        /// The key whose value comes next; `None` while a key is expected.
        key: Option<String>,
    },
    Sequence {
        path: String,
        next_index: usize,
    },
}

/// Where the next node goes.
enum Slot {
    /// The node is a mapping key.
    Key,
    /// The node is a value at this path.
    Value(String),
}

struct Flattener<'l> {
    items: ItemCollector<'l>,
    stack: Vec<Frame>,
    /// Depth of a subtree being skipped (too deep, or a complex mapping key); 0 when none.
    skipping: usize,
    depth_reported: bool,
    max_depth: usize,
}

impl Flattener<'_> {
    fn slot(&mut self) -> Slot {
        match self.stack.last_mut() {
            None => Slot::Value(String::new()),
            Some(Frame::Mapping { key: None, .. }) => Slot::Key,
            Some(Frame::Mapping { path, key }) => {
                let key = key.take().unwrap_or_default();
                Slot::Value(join_key(path, &key))
            }
            Some(Frame::Sequence { path, next_index }) => {
                let path = join_index(path, *next_index);
                *next_index += 1;
                Slot::Value(path)
            }
        }
    }

    fn scalar(&mut self, line: u64, text: String) {
        if self.skipping > 0 {
            return;
        }
        match self.slot() {
            Slot::Key => {
                if let Some(Frame::Mapping { key, .. }) = self.stack.last_mut() {
                    *key = Some(text);
                }
            }
            Slot::Value(path) => {
                let path = if path.is_empty() {
                    "$".to_owned()
                } else {
                    path
                };
                self.items.push(Some(line), path, text);
            }
        }
    }

    fn open(&mut self, line: u64, mapping: bool) {
        if self.skipping > 0 {
            self.skipping += 1;
            return;
        }
        let path = match self.slot() {
            Slot::Key => {
                self.items.issue(
                    Some(line),
                    "complex mapping key (a mapping or sequence used as a key) skipped".into(),
                );
                // The key's value that follows gets a placeholder key.
                if let Some(Frame::Mapping { key, .. }) = self.stack.last_mut() {
                    *key = Some("?".to_owned());
                }
                self.skipping = 1;
                return;
            }
            Slot::Value(path) => path,
        };
        if self.stack.len() >= self.max_depth {
            if !self.depth_reported {
                self.depth_reported = true;
                self.items.issue(
                    Some(line),
                    format!(
                        "nesting deeper than {} levels; deeper keys were skipped",
                        self.max_depth
                    ),
                );
            }
            self.skipping = 1;
            return;
        }
        self.stack.push(if mapping {
            Frame::Mapping { path, key: None }
        } else {
            Frame::Sequence {
                path,
                next_index: 0,
            }
        });
    }

    fn close(&mut self, line: u64) {
        if self.skipping > 0 {
            self.skipping -= 1;
            return;
        }
        match self.stack.pop() {
            // An empty collection still says the key exists, which matters when comparing.
            Some(Frame::Mapping { path, key }) if key.is_none() => {
                self.empty_collection(line, path, "{}");
            }
            Some(Frame::Sequence {
                path,
                next_index: 0,
            }) => {
                self.empty_collection(line, path, "[]");
            }
            _ => {}
        }
    }

    fn empty_collection(&mut self, line: u64, path: String, shown: &str) {
        let has_children = self
            .items
            .current_items()
            .last()
            .is_some_and(|item| item.path.len() > path.len() && item.path.starts_with(&path));
        if !has_children {
            let path = if path.is_empty() {
                "$".to_owned()
            } else {
                path
            };
            self.items.push(Some(line), path, shown.to_owned());
        }
    }
}

/// The label of a Kubernetes manifest: `Kind namespace/name`.
pub(crate) fn kubernetes_label(items: &[super::ConfigItem]) -> Option<String> {
    let find = |wanted: &str| {
        items
            .iter()
            .find(|item| item.path == wanted)
            .map(|item| item.value.as_str())
    };
    let kind = find("kind")?;
    find("apiVersion")?;
    let name = find("metadata.name").or_else(|| find("metadata.generateName"))?;
    let namespaced = !matches!(
        kind,
        "Namespace"
            | "Node"
            | "PersistentVolume"
            | "ClusterRole"
            | "ClusterRoleBinding"
            | "StorageClass"
            | "CustomResourceDefinition"
            | "PriorityClass"
            | "IngressClass"
    );
    Some(if namespaced {
        let namespace = find("metadata.namespace").unwrap_or("default");
        format!("{kind} {namespace}/{name}")
    } else {
        format!("{kind} {name}")
    })
}

pub(crate) fn parse(text: &str, limits: &ConfigLimits) -> ParsedConfig {
    let mut flattener = Flattener {
        items: ItemCollector::new(limits),
        stack: Vec::new(),
        skipping: 0,
        depth_reported: false,
        max_depth: limits.max_depth.max(1),
    };
    let mut in_document = false;
    for event in Parser::new_from_str(text) {
        let (event, span) = match event {
            Ok(event) => event,
            Err(error) => {
                let line = error.marker().line() as u64;
                flattener
                    .items
                    .issue(Some(line.max(1)), format!("invalid yaml: {}", error.info()));
                break;
            }
        };
        let line = (span.start.line() as u64).max(1);
        match event {
            Event::DocumentStart(_) => {
                in_document = true;
                flattener.stack.clear();
                flattener.skipping = 0;
            }
            Event::DocumentEnd => {
                let label = kubernetes_label(flattener.items.current_items());
                flattener.items.set_label(label);
                flattener.items.end_document(true);
                in_document = false;
            }
            Event::Scalar(value, style, _, _) => {
                let text = match style {
                    // A plain empty scalar is YAML's null.
                    ScalarStyle::Plain if value.is_empty() => "null".to_owned(),
                    _ => value.into_owned(),
                };
                flattener.scalar(line, text);
            }
            Event::Alias(_) => flattener.scalar(line, "*alias".to_owned()),
            Event::MappingStart(..) => flattener.open(line, true),
            Event::SequenceStart(..) => flattener.open(line, false),
            Event::MappingEnd | Event::SequenceEnd => flattener.close(line),
            Event::StreamStart | Event::StreamEnd | Event::Nothing => {}
        }
        if flattener.items.is_full() {
            break;
        }
    }
    if in_document {
        let label = kubernetes_label(flattener.items.current_items());
        flattener.items.set_label(label);
        flattener.items.end_document(false);
    }
    let mut parsed = flattener.items.finish();
    // Empty documents (a trailing `---`) hold nothing worth a document number.
    parsed
        .documents
        .retain(|document| !document.items.is_empty());
    parsed
}
