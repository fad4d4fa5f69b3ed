//! nginx-style configuration: `directive args;` and `block args { ... }`, flattened to paths
//! such as `http.server[0].location[/api].proxy_pass`. Blocks are numbered per name
//! (`server[0]`, `server[1]`) except `location`, `upstream`, `map` and `if`, which are named
//! by their arguments so a path survives reordering. Repeated directives get `[n]` from the
//! second one on.

use super::path::join_key;
use super::{ConfigLimits, ItemCollector, ParsedConfig};
use std::collections::HashMap;

#[derive(Debug, PartialEq)]
enum Token {
    Word(String),
    Semicolon,
    Open,
    Close,
}

/// Splits the text into words (quotes removed), `;`, `{` and `}`, with their lines.
fn tokens(text: &str) -> Vec<(u64, Token)> {
    let mut out = Vec::new();
    let mut line = 1;
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            '\n' => {
                line += 1;
                chars.next();
            }
            c if c.is_whitespace() => {
                chars.next();
            }
            '#' => {
                while chars.peek().is_some_and(|&c| c != '\n') {
                    chars.next();
                }
            }
            ';' => {
                chars.next();
                out.push((line, Token::Semicolon));
            }
            '{' => {
                chars.next();
                out.push((line, Token::Open));
            }
            '}' => {
                chars.next();
                out.push((line, Token::Close));
            }
            quote @ ('"' | '\'') => {
                let start_line = line;
                chars.next();
                let mut word = String::new();
                while let Some(next) = chars.next() {
                    match next {
                        '\\' => {
                            if let Some(escaped) = chars.next() {
                                word.push(escaped);
                            }
                        }
                        closing if closing == quote => break,
                        '\n' => {
                            line += 1;
                            word.push('\n');
                        }
                        other => word.push(other),
                    }
                }
                out.push((start_line, Token::Word(word)));
            }
            _ => {
                let mut word = String::new();
                while let Some(&c) = chars.peek() {
                    if c.is_whitespace() || matches!(c, ';' | '{' | '}') {
                        break;
                    }
                    // `${var}` and `$var` stay inside words; a `{` after `$` is not a block.
                    if c == '$' {
                        word.push(c);
                        chars.next();
                        if chars.peek() == Some(&'{') {
                            for c in chars.by_ref() {
                                word.push(c);
                                if c == '}' {
                                    break;
                                }
                            }
                        }
                        continue;
                    }
                    word.push(c);
                    chars.next();
                }
                out.push((line, Token::Word(word)));
            }
        }
    }
    out
}

struct Block {
    path: String,
    seen: HashMap<String, usize>,
}

impl Block {
    /// The key of the next directive or block called `name` in this block.
    fn child_key(&mut self, name: &str, arguments: &[String], is_block: bool) -> String {
        let named = is_block
            && matches!(
                name,
                "location" | "upstream" | "map" | "if" | "geo" | "split_clients"
            );
        if named && !arguments.is_empty() {
            return format!(
                "{}[{}]",
                join_key(&self.path, name),
                arguments.join(" ").replace(['[', ']'], "")
            );
        }
        let count = self.seen.entry(name.to_owned()).or_insert(0);
        let index = *count;
        *count += 1;
        // `http`, `events`, `stream` and `mail` occur once per file; other blocks repeat.
        let single = matches!(name, "http" | "events" | "stream" | "mail");
        if is_block && !single {
            format!("{}[{index}]", join_key(&self.path, name))
        } else if index == 0 {
            join_key(&self.path, name)
        } else {
            format!("{}[{index}]", join_key(&self.path, name))
        }
    }
}

pub(crate) fn parse(text: &str, limits: &ConfigLimits) -> ParsedConfig {
    let mut items = ItemCollector::new(limits);
    items.set_label(Some("nginx".to_owned()));
    let mut stack = vec![Block {
        path: String::new(),
        seen: HashMap::new(),
    }];
    let mut words: Vec<String> = Vec::new();
    let mut start_line = 0;
    let mut skipping = 0usize;
    let max_depth = limits.max_depth.max(1);
    for (line, token) in tokens(text) {
        if items.is_full() {
            break;
        }
        match token {
            Token::Word(word) => {
                if words.is_empty() {
                    start_line = line;
                }
                words.push(word);
            }
            Token::Semicolon => {
                if skipping > 0 {
                    words.clear();
                    continue;
                }
                let mut parts = std::mem::take(&mut words).into_iter();
                let Some(name) = parts.next() else {
                    continue;
                };
                let arguments: Vec<String> = parts.collect();
                let Some(block) = stack.last_mut() else {
                    break;
                };
                let path = block.child_key(&name, &arguments, false);
                items.push(Some(start_line), path, arguments.join(" "));
            }
            Token::Open => {
                if skipping > 0 || stack.len() > max_depth {
                    if skipping == 0 {
                        items.issue(
                            Some(line),
                            format!("nesting deeper than {max_depth} levels; deeper blocks were skipped"),
                        );
                    }
                    skipping += 1;
                    words.clear();
                    continue;
                }
                let mut parts = std::mem::take(&mut words).into_iter();
                let name = parts.next().unwrap_or_else(|| "block".to_owned());
                let arguments: Vec<String> = parts.collect();
                let Some(block) = stack.last_mut() else {
                    break;
                };
                let path = block.child_key(&name, &arguments, true);
                if !arguments.is_empty()
                    && !matches!(
                        name.as_str(),
                        "location" | "upstream" | "map" | "if" | "geo" | "split_clients"
                    )
                {
                    items.push(Some(line), join_key(&path, "args"), arguments.join(" "));
                }
                stack.push(Block {
                    path,
                    seen: HashMap::new(),
                });
            }
            Token::Close => {
                if skipping > 0 {
                    skipping -= 1;
                    continue;
                }
                if !words.is_empty() {
                    items.issue(
                        Some(start_line),
                        "directive without a terminating ';'".into(),
                    );
                    words.clear();
                }
                if stack.len() > 1 {
                    stack.pop();
                } else {
                    items.issue(Some(line), "'}' without a matching '{'".into());
                }
            }
        }
    }
    if !words.is_empty() {
        items.issue(
            Some(start_line),
            "directive without a terminating ';'".into(),
        );
    }
    if stack.len() > 1 {
        items.issue(None, format!("{} block(s) not closed", stack.len() - 1));
    }
    items.finish()
}
