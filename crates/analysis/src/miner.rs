//! A streaming log template miner of the Drain family (He et al., ICWS 2017).
//!
//! Each message is tokenized and masked ([`crate::tokens`]), then routed through a
//! fixed-depth prefix tree keyed by token count and the first tokens to a leaf holding a few
//! templates; the most similar template of the leaf absorbs the message when its similarity
//! reaches the threshold (differing positions become `<*>`), otherwise the message starts a
//! new template. Differences from plain Drain, each cheap:
//!
//! - variables are masked before descent (see [`crate::tokens`]), so one configuration
//!   serves every log without per-system regexes;
//! - similarity counts only the template's constant positions, so messages made mostly of
//!   variables still match their template;
//! - the last token of a message never keys the tree (in short messages it is usually the
//!   variable: `removing <*>`), and a message with no match in its leaf may join a very
//!   similar template of another branch (a variable word sat in a key position);
//! - words are not turned into `<*>` at the first difference: a position where plain words
//!   differ is *watched*, and messages with different words there get separate templates
//!   (`VM Started` and `VM Stopped` are different events) until the position shows more
//!   than [`MinerConfig::max_word_values`] distinct words; then it is a variable and its
//!   templates merge (a union-find keeps earlier ids valid: [`TemplateMiner::resolve`]);
//! - tokens are interned: a known token costs a hash lookup, no allocation;
//! - memory and work are bounded: templates, vocabulary, tokens per message and templates
//!   per tree leaf are capped, and every message still lands in exactly one template.
//!
//! On loghub-2k (16 systems, original ground truth) the default configuration reaches a mean
//! grouping accuracy of 0.94 (plain Drain with per-system tuning: 0.865); see
//! `examples/loghub_eval.rs` and `tests/loghub_ga.rs`.

use crate::intern::{FastMap, TokenId, Vocabulary, WILDCARD_ID};
use crate::tokens::{MaskingRules, TokenText, Tokenizer};
use serde::Deserialize;

/// Settings of the template miner. The defaults serve every log format; there is no
/// per-system tuning.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MinerConfig {
    /// Share of a template's constant tokens a message must match to join it, in (0, 1].
    pub similarity_threshold: f64,
    /// Number of leading tokens used as keys of the prefix tree (Drain's depth minus 2).
    pub tree_depth: usize,
    /// Children per tree node before new tokens share the wildcard branch.
    pub max_children: usize,
    /// Templates created at most; once reached, unmatched messages join their closest
    /// template (or one all-variable template per message length).
    pub max_templates: usize,
    /// Tokens per message; the rest of a longer message becomes one `<*>`.
    pub max_tokens: usize,
    /// Distinct tokens remembered; words first seen after that are treated as variables.
    pub max_vocabulary: usize,
    /// Treat dotted names with two dots or more (`host.example.com`) as variables.
    pub mask_dotted_names: bool,
    /// A position where plain words differ stays a constant of separate templates until it
    /// has shown more than this many distinct words; then it becomes a variable and those
    /// templates merge. 0 turns the refinement off (plain Drain generalisation).
    pub max_word_values: usize,
}

impl Default for MinerConfig {
    fn default() -> Self {
        Self {
            similarity_threshold: 0.6,
            tree_depth: 2,
            max_children: 100,
            max_templates: 20_000,
            max_tokens: 100,
            max_vocabulary: 200_000,
            mask_dotted_names: true,
            max_word_values: 4,
        }
    }
}

/// One mined template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MinedTemplate {
    /// Id returned by [`TemplateMiner::add`] (ids start at 1; merged templates keep the
    /// smallest id of the group).
    pub id: u32,
    /// The template text, variables as `<*>`.
    pub text: String,
    /// Messages that joined it.
    pub count: u64,
}

/// A position of a cluster where plain words differed, kept as a template constant until it
/// shows more distinct words than the configured limit.
#[derive(Debug)]
struct WatchedPosition {
    position: usize,
    values: Vec<TokenId>,
}

/// A Drain log group: the coarse template all its messages match.
#[derive(Debug)]
struct Cluster {
    tokens: Vec<TokenId>,
    watched: Vec<WatchedPosition>,
    /// Words at the watched positions (in order) -> template index.
    templates: FastMap<Vec<TokenId>, u32>,
    overflow: bool,
}

/// A template: a cluster plus the words of its watched positions.
#[derive(Debug)]
struct Template {
    cluster: u32,
    words: Vec<TokenId>,
    count: u64,
    /// Union-find parent: itself while the template is live.
    merged_into: u32,
}

#[derive(Debug, Default)]
struct Node {
    children: FastMap<TokenId, u32>,
    wildcard_child: Option<u32>,
    clusters: Vec<u32>,
}

/// Streaming template miner. Feed messages with [`TemplateMiner::add`]; read templates any
/// time with [`TemplateMiner::templates`].
///
/// An id returned by `add` stays valid forever, but the template it names may later merge
/// into another one (when a position proves to be a variable): [`TemplateMiner::resolve`]
/// maps an id to the live template.
#[derive(Debug)]
pub struct TemplateMiner {
    config: MinerConfig,
    rules: MaskingRules,
    vocabulary: Vocabulary,
    tokenizer: Tokenizer,
    line_ids: Vec<TokenId>,
    words_buffer: Vec<TokenId>,
    roots: FastMap<usize, u32>,
    nodes: Vec<Node>,
    by_length: FastMap<usize, Vec<u32>>,
    clusters: Vec<Cluster>,
    templates: Vec<Template>,
    live_templates: usize,
    overflow: FastMap<usize, u32>,
}

impl TemplateMiner {
    /// A miner with the given settings (out-of-range values are clamped to usable ones).
    pub fn new(config: &MinerConfig) -> Self {
        let mut config = config.clone();
        if !(config.similarity_threshold > 0.0 && config.similarity_threshold <= 1.0) {
            config.similarity_threshold = MinerConfig::default().similarity_threshold;
        }
        config.max_children = config.max_children.max(1);
        config.max_templates = config.max_templates.max(1);
        config.max_tokens = config.max_tokens.max(1);
        Self {
            rules: MaskingRules {
                dotted_names: config.mask_dotted_names,
            },
            vocabulary: Vocabulary::new(config.max_vocabulary),
            config,
            tokenizer: Tokenizer::default(),
            line_ids: Vec::new(),
            words_buffer: Vec::new(),
            roots: FastMap::default(),
            nodes: Vec::new(),
            by_length: FastMap::default(),
            clusters: Vec::new(),
            templates: Vec::new(),
            live_templates: 0,
            overflow: FastMap::default(),
        }
    }

    /// Adds one message and returns the id of the template it joined (ids start at 1).
    pub fn add(&mut self, message: &str) -> u32 {
        self.intern_message(message);
        let length = self.line_ids.len();
        let found = self.find(length);
        let matched =
            found.is_some_and(|(_, similarity)| similarity >= self.config.similarity_threshold);
        let full = !matched
            && (self.templates.len() >= self.config.max_templates || self.leaf_is_full(length));
        let cluster_index = match found {
            Some((index, _)) if matched || full => {
                self.absorb(index);
                index
            }
            _ if full => self.overflow_cluster(length),
            _ => self.create(length),
        };
        self.assign(cluster_index) + 1
    }

    /// The id of the live template that template `id` is now part of (`id` itself unless it
    /// was merged). Unknown ids are returned unchanged.
    pub fn resolve(&self, id: u32) -> u32 {
        let Some(mut index) = (id as usize).checked_sub(1) else {
            return id;
        };
        if index >= self.templates.len() {
            return id;
        }
        while self.templates[index].merged_into as usize != index {
            index = self.templates[index].merged_into as usize;
        }
        index as u32 + 1
    }

    /// Number of live templates.
    pub fn len(&self) -> usize {
        self.live_templates
    }

    /// True before the first message.
    pub fn is_empty(&self) -> bool {
        self.live_templates == 0
    }

    /// The text of the live template `id` belongs to, variables as `<*>`.
    pub fn template_text(&self, id: u32) -> Option<String> {
        let index = (self.resolve(id) as usize).checked_sub(1)?;
        self.templates.get(index).map(|t| self.render(t))
    }

    /// Messages that joined the live template `id` belongs to.
    pub fn template_count(&self, id: u32) -> u64 {
        (self.resolve(id) as usize)
            .checked_sub(1)
            .and_then(|index| self.templates.get(index))
            .map_or(0, |template| template.count)
    }

    /// Every live template, in id order.
    pub fn templates(&self) -> Vec<MinedTemplate> {
        self.templates
            .iter()
            .enumerate()
            .filter(|(index, template)| template.merged_into as usize == *index)
            .map(|(index, template)| MinedTemplate {
                id: index as u32 + 1,
                text: self.render(template),
                count: template.count,
            })
            .collect()
    }

    fn intern_message(&mut self, message: &str) {
        self.tokenizer
            .tokenize(message, self.rules, self.config.max_tokens);
        self.line_ids.clear();
        for token in &self.tokenizer.tokens {
            let id = match token.text {
                TokenText::Wildcard => WILDCARD_ID,
                _ => self
                    .vocabulary
                    .intern(self.tokenizer.text(message, token), token.variable),
            };
            self.line_ids.push(id);
        }
    }

    /// True when the current message's leaf already holds [`MAX_LEAF_CLUSTERS`] clusters:
    /// the message then joins its closest cluster there instead of adding another, which
    /// bounds the work per message on input where nothing repeats.
    fn leaf_is_full(&self, length: usize) -> bool {
        let Some(&root) = self.roots.get(&length) else {
            return false;
        };
        let mut node = root;
        for &id in self.line_ids.iter().take(self.key_depth(length)) {
            let current = &self.nodes[node as usize];
            match self
                .key(id)
                .and_then(|key| current.children.get(&key).copied())
                .or(current.wildcard_child)
            {
                Some(next) => node = next,
                None => return false,
            }
        }
        self.nodes[node as usize].clusters.len() >= MAX_LEAF_CLUSTERS
    }

    /// How many leading tokens key the tree for a message of `length` tokens. The last token
    /// never does: in short messages it is most often the variable (`removing <*>`).
    fn key_depth(&self, length: usize) -> usize {
        self.config.tree_depth.min(length.saturating_sub(1))
    }

    /// The tree key for a token: variables share the wildcard branch.
    fn key(&self, id: TokenId) -> Option<TokenId> {
        (!self.vocabulary.is_variable(id)).then_some(id)
    }

    /// The best cluster for the current message: first in its tree leaf, then, when none
    /// there is similar enough, among all clusters of its length (a variable word in a key
    /// position sent it down a new branch). A cluster found that way is linked into the leaf
    /// so the next such message finds it directly.
    fn find(&mut self, length: usize) -> Option<(usize, f64)> {
        let threshold = self.config.similarity_threshold;
        let in_leaf = self.search(length);
        if in_leaf.is_some_and(|(_, similarity)| similarity >= threshold) {
            return in_leaf;
        }
        let candidates = self.by_length.get(&length)?;
        if candidates.len() > FALLBACK_CANDIDATES {
            return in_leaf;
        }
        let mut best: Option<(usize, f64, usize)> = None;
        for &cluster_index in candidates {
            let cluster = &self.clusters[cluster_index as usize];
            let (similarity, wildcards) = similarity(&cluster.tokens, &self.line_ids);
            if is_better(similarity, wildcards, best.map(|(_, s, w)| (s, w))) {
                best = Some((cluster_index as usize, similarity, wildcards));
            }
        }
        match best {
            Some((index, similarity, _)) if similarity >= threshold.max(FALLBACK_SIMILARITY) => {
                let leaf = self.leaf(length);
                let clusters = &self.nodes[leaf as usize].clusters;
                if clusters.len() < MAX_LEAF_CLUSTERS && !clusters.contains(&(index as u32)) {
                    self.nodes[leaf as usize].clusters.push(index as u32);
                }
                Some((index, similarity))
            }
            _ => in_leaf,
        }
    }

    fn search(&self, length: usize) -> Option<(usize, f64)> {
        let mut node = *self.roots.get(&length)?;
        for &id in self.line_ids.iter().take(self.key_depth(length)) {
            let current = &self.nodes[node as usize];
            let next = self
                .key(id)
                .and_then(|key| current.children.get(&key).copied())
                .or(current.wildcard_child)?;
            node = next;
        }
        let mut best: Option<(usize, f64, usize)> = None;
        for &cluster_index in &self.nodes[node as usize].clusters {
            let cluster = &self.clusters[cluster_index as usize];
            let (similarity, wildcards) = similarity(&cluster.tokens, &self.line_ids);
            if is_better(similarity, wildcards, best.map(|(_, s, w)| (s, w))) {
                best = Some((cluster_index as usize, similarity, wildcards));
            }
        }
        best.map(|(index, similarity, _)| (index, similarity))
    }

    /// Generalises the cluster's template to cover the current message.
    fn absorb(&mut self, index: usize) {
        for position in 0..self.line_ids.len() {
            let line_token = self.line_ids[position];
            let template_token = self.clusters[index].tokens[position];
            if template_token == line_token || template_token == WILDCARD_ID {
                continue;
            }
            self.clusters[index].tokens[position] = WILDCARD_ID;
            let words = !self.vocabulary.is_variable(template_token)
                && !self.vocabulary.is_variable(line_token);
            if words && self.config.max_word_values > 0 && !self.clusters[index].overflow {
                self.watch(index, position, template_token);
            }
        }
    }

    /// Starts watching `position`, where every message so far had `word`.
    fn watch(&mut self, cluster_index: usize, position: usize, word: TokenId) {
        let cluster = &mut self.clusters[cluster_index];
        let slot = cluster
            .watched
            .iter()
            .position(|watched| watched.position > position)
            .unwrap_or(cluster.watched.len());
        cluster.watched.insert(
            slot,
            WatchedPosition {
                position,
                values: vec![word],
            },
        );
        let old = std::mem::take(&mut cluster.templates);
        for (mut words, template) in old {
            words.insert(slot, word);
            self.templates[template as usize].words.clone_from(&words);
            cluster.templates.insert(words, template);
        }
    }

    /// Stops watching the `slot`-th watched position: its words are variables after all, so
    /// templates that differ only there merge (the smallest id survives).
    fn saturate(&mut self, cluster_index: usize, slot: usize) {
        let cluster = &mut self.clusters[cluster_index];
        cluster.watched.remove(slot);
        let mut old: Vec<(Vec<TokenId>, u32)> =
            std::mem::take(&mut cluster.templates).into_iter().collect();
        old.sort_unstable_by_key(|(_, template)| *template);
        for (mut words, template) in old {
            words.remove(slot);
            match cluster.templates.get(&words) {
                Some(&survivor) => {
                    let count = self.templates[template as usize].count;
                    self.templates[template as usize].merged_into = survivor;
                    self.templates[survivor as usize].count += count;
                    self.live_templates -= 1;
                }
                None => {
                    self.templates[template as usize].words.clone_from(&words);
                    cluster.templates.insert(words, template);
                }
            }
        }
    }

    /// Finds or creates the template of the current message within its cluster.
    fn assign(&mut self, cluster_index: usize) -> u32 {
        let limit = self.config.max_word_values;
        let mut slot = 0;
        while slot < self.clusters[cluster_index].watched.len() {
            let watched = &mut self.clusters[cluster_index].watched[slot];
            let word = self.line_ids[watched.position];
            let variable = self.vocabulary.is_variable(word);
            if !variable && !watched.values.contains(&word) {
                watched.values.push(word);
            }
            if variable || watched.values.len() > limit {
                self.saturate(cluster_index, slot);
            } else {
                slot += 1;
            }
        }
        let over_budget = self.templates.len() >= self.config.max_templates;
        if over_budget && !self.clusters[cluster_index].templates.is_empty() {
            // No budget for another template: if this word combination is new, the cluster
            // stops telling words apart and its templates merge into one.
            self.fill_words_buffer(cluster_index);
            let known = self.clusters[cluster_index]
                .templates
                .contains_key(self.words_buffer.as_slice());
            if !known {
                while !self.clusters[cluster_index].watched.is_empty() {
                    let last = self.clusters[cluster_index].watched.len() - 1;
                    self.saturate(cluster_index, last);
                }
            }
        }
        self.fill_words_buffer(cluster_index);
        let cluster = &self.clusters[cluster_index];
        let template = match cluster.templates.get(self.words_buffer.as_slice()) {
            Some(&template) => template,
            None => {
                let template = self.templates.len() as u32;
                self.templates.push(Template {
                    cluster: cluster_index as u32,
                    words: self.words_buffer.clone(),
                    count: 0,
                    merged_into: template,
                });
                self.live_templates += 1;
                self.clusters[cluster_index]
                    .templates
                    .insert(self.words_buffer.clone(), template);
                template
            }
        };
        self.templates[template as usize].count += 1;
        template
    }

    /// Puts the current message's words at the cluster's watched positions in the buffer.
    fn fill_words_buffer(&mut self, cluster_index: usize) {
        self.words_buffer.clear();
        let cluster = &self.clusters[cluster_index];
        self.words_buffer.extend(
            cluster
                .watched
                .iter()
                .map(|watched| self.line_ids[watched.position]),
        );
    }

    /// With the template budget spent and no candidate in the leaf, the message joins an
    /// all-variable cluster of its length (at most one per length).
    fn overflow_cluster(&mut self, length: usize) -> usize {
        if let Some(&index) = self.overflow.get(&length) {
            return index as usize;
        }
        let index = self.clusters.len();
        self.clusters.push(Cluster {
            tokens: vec![WILDCARD_ID; length],
            watched: Vec::new(),
            templates: FastMap::default(),
            overflow: true,
        });
        self.overflow.insert(length, index as u32);
        index
    }

    fn create(&mut self, length: usize) -> usize {
        let index = self.clusters.len();
        self.clusters.push(Cluster {
            tokens: self.line_ids.clone(),
            watched: Vec::new(),
            templates: FastMap::default(),
            overflow: false,
        });
        self.by_length.entry(length).or_default().push(index as u32);
        let leaf = self.leaf(length);
        self.nodes[leaf as usize].clusters.push(index as u32);
        index
    }

    /// The leaf the current message routes to, creating the path when needed.
    fn leaf(&mut self, length: usize) -> u32 {
        let mut node = match self.roots.get(&length) {
            Some(&node) => node,
            None => {
                let node = self.new_node();
                self.roots.insert(length, node);
                node
            }
        };
        for position in 0..self.key_depth(length) {
            let key = self.key(self.line_ids[position]);
            let current = &self.nodes[node as usize];
            let existing = match key {
                Some(key) => current.children.get(&key).copied(),
                None => current.wildcard_child,
            };
            node = match existing {
                Some(next) => next,
                None => {
                    let full = current.children.len() >= self.config.max_children;
                    let shared = match key {
                        Some(_) if !full => None,
                        _ => current.wildcard_child,
                    };
                    match shared {
                        Some(child) => child,
                        None => {
                            let child = self.new_node();
                            let current = &mut self.nodes[node as usize];
                            match key {
                                Some(key) if !full => {
                                    current.children.insert(key, child);
                                }
                                _ => current.wildcard_child = Some(child),
                            }
                            child
                        }
                    }
                }
            };
        }
        node
    }

    fn new_node(&mut self) -> u32 {
        let index = self.nodes.len() as u32;
        self.nodes.push(Node::default());
        index
    }

    fn render(&self, template: &Template) -> String {
        let cluster = &self.clusters[template.cluster as usize];
        let mut text = String::new();
        let mut glue = true;
        let mut watched = cluster.watched.iter().zip(&template.words).peekable();
        for (position, &token) in cluster.tokens.iter().enumerate() {
            let token = match watched.peek() {
                Some((slot, &word)) if slot.position == position => {
                    watched.next();
                    word
                }
                _ => token,
            };
            if !glue {
                text.push(' ');
            }
            let token_text = self.vocabulary.text(token);
            text.push_str(token_text);
            // `key=` tokens came from splitting `key=value`: print them joined again.
            glue = token_text.len() > 1 && token_text.ends_with('=');
        }
        text
    }
}

/// Most clusters one tree leaf holds (see [`TemplateMiner::add`]).
const MAX_LEAF_CLUSTERS: usize = 512;

/// Clusters of one length scanned when a message's own leaf has no match; beyond this the
/// scan would cost more than it finds, and plain Drain routing applies.
const FALLBACK_CANDIDATES: usize = 256;

/// Similarity a cluster from another branch needs: routing by the first tokens is what keeps
/// different events of the same length apart, so crossing branches takes stronger evidence.
const FALLBACK_SIMILARITY: f64 = 0.75;

/// True when (similarity, wildcards) beats the best so far: higher similarity, then the
/// more general template.
fn is_better(similarity: f64, wildcards: usize, best: Option<(f64, usize)>) -> bool {
    match best {
        None => true,
        Some((best_similarity, best_wildcards)) => {
            similarity > best_similarity
                || (similarity == best_similarity && wildcards > best_wildcards)
        }
    }
}

/// Share of the template's constant positions the message matches, and the number of
/// wildcard positions (the tie-breaker: the more general template wins).
fn similarity(template: &[TokenId], line: &[TokenId]) -> (f64, usize) {
    let mut constants = 0usize;
    let mut matches = 0usize;
    for (&template_token, &line_token) in template.iter().zip(line) {
        if template_token == WILDCARD_ID {
            continue;
        }
        constants += 1;
        if template_token == line_token {
            matches += 1;
        }
    }
    let wildcards = template.len() - constants;
    if constants == 0 {
        (1.0, wildcards)
    } else {
        (matches as f64 / constants as f64, wildcards)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mine(lines: &[&str]) -> (TemplateMiner, Vec<u32>) {
        let mut miner = TemplateMiner::new(&MinerConfig::default());
        let ids = lines.iter().map(|line| miner.add(line)).collect();
        (miner, ids)
    }

    /// Mines `lines` and checks the template each line ended in.
    fn check(lines: &[&str], expected: &[&str]) {
        let (miner, ids) = mine(lines);
        let templates: Vec<String> = ids
            .iter()
            .map(|&id| miner.template_text(id).unwrap_or_default())
            .collect();
        assert_eq!(templates, expected);
    }

    #[test]
    fn similar_lines_share_a_template() {
        check(
            &[
                "Connection from alice closed after 5 s",
                "Connection from bob closed after 17 s",
                "Disk /dev/sda1 is full",
                "Connection from carol closed after 2 s",
                "Connection from dave closed after 9 s",
                "Connection from erin closed after 1 s",
            ],
            &[
                "Connection from <*> closed after <*> s",
                "Connection from <*> closed after <*> s",
                "Disk <*> is full",
                "Connection from <*> closed after <*> s",
                "Connection from <*> closed after <*> s",
                "Connection from <*> closed after <*> s",
            ],
        );
    }

    #[test]
    fn a_word_with_few_values_separates_events_until_it_proves_variable() {
        let (miner, ids) = mine(&[
            "VM Started (Lifecycle Event)",
            "VM Paused (Lifecycle Event)",
            "VM Started (Lifecycle Event)",
            "VM Stopped (Lifecycle Event)",
        ]);
        assert_eq!(ids[0], ids[2]);
        assert_ne!(ids[0], ids[1]);
        assert_ne!(ids[1], ids[3]);
        assert_eq!(miner.len(), 3);
        assert_eq!(
            miner.template_text(ids[1]).as_deref(),
            Some("VM Paused (Lifecycle Event)")
        );

        // A fifth distinct word: the position is a variable and the templates merge.
        let mut miner = miner;
        let id = miner.add("VM Resumed (Lifecycle Event)");
        let id = miner.add("VM Migrated (Lifecycle Event)").max(id);
        assert_eq!(miner.len(), 1);
        for earlier in ids {
            assert_eq!(miner.resolve(earlier), miner.resolve(id));
        }
        assert_eq!(
            miner.template_text(id).as_deref(),
            Some("VM <*> (Lifecycle Event)")
        );
        assert_eq!(miner.template_count(id), 6);
    }

    #[test]
    fn different_events_stay_apart() {
        let (miner, ids) = mine(&[
            "user alice logged in from 10.0.0.1",
            "user alice logged out after 42 minutes",
            "user alice logged in from 10.0.0.2",
            "disk sda1 is full",
        ]);
        assert_eq!(ids[0], ids[2]);
        assert_ne!(ids[0], ids[1]);
        assert_eq!(miner.len(), 3);
        assert_eq!(
            miner.template_text(ids[0]).as_deref(),
            Some("user alice logged in from <*>")
        );
        assert_eq!(miner.template_count(ids[0]), 2);
    }

    #[test]
    fn key_values_render_joined() {
        check(
            &["retry count=3 host=db-1", "retry count=4 host=db-2"],
            &["retry count=<*> host=<*>", "retry count=<*> host=<*>"],
        );
    }

    #[test]
    fn template_budget_is_respected_and_every_line_lands() {
        let config = MinerConfig {
            max_templates: 3,
            ..MinerConfig::default()
        };
        let mut miner = TemplateMiner::new(&config);
        let words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta"];
        for (index, word) in words.iter().enumerate() {
            let line = format!(
                "{word} {} {}",
                words[(index + 3) % 7],
                "x".repeat(index + 1)
            );
            let id = miner.add(&line);
            assert!(id >= 1 && id as usize <= miner.len());
        }
        let total: u64 = miner.templates().iter().map(|t| t.count).sum();
        assert_eq!(total, words.len() as u64);
        assert!(
            miner.len() <= 3 + 1,
            "at most one overflow template per length"
        );
    }

    #[test]
    fn a_leaf_never_holds_more_than_its_cap() {
        let mut miner = TemplateMiner::new(&MinerConfig::default());
        let mut state = 17u64;
        let mut word = || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (0..6)
                .map(|shift| char::from(b'a' + ((state >> (shift * 8 + 8)) % 26) as u8))
                .collect::<String>()
        };
        let lines = 3 * MAX_LEAF_CLUSTERS;
        for _ in 0..lines {
            let message = format!("event kind {} {} {}", word(), word(), word());
            miner.add(&message);
        }
        assert!(
            miner.len() <= MAX_LEAF_CLUSTERS,
            "{} templates",
            miner.len()
        );
        let total: u64 = miner.templates().iter().map(|t| t.count).sum();
        assert_eq!(total, lines as u64);
    }

    #[test]
    fn word_combinations_respect_the_template_budget() {
        let config = MinerConfig {
            max_templates: 10,
            ..MinerConfig::default()
        };
        let mut miner = TemplateMiner::new(&config);
        let words = ["red", "green", "blue", "cyan"];
        let mut lines = 0;
        // Three watched positions with four words each: 64 combinations, budget 10.
        for a in words {
            for b in words {
                for c in words {
                    miner.add(&format!("paint {a} wall {b} door {c} frame now"));
                    lines += 1;
                }
            }
        }
        assert!(
            miner.templates.len() <= 10 + 1,
            "{} created",
            miner.templates.len()
        );
        let total: u64 = miner.templates().iter().map(|t| t.count).sum();
        assert_eq!(total, lines);
    }

    #[test]
    fn empty_message_has_an_empty_template() {
        check(&["", "   "], &["", ""]);
    }
}
