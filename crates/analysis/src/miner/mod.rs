//! A streaming log template miner of the Drain family (He et al., ICWS 2017).
//!
//! Each message is tokenized and masked ([`crate::tokens`]), then routed through a
//! fixed-depth prefix tree keyed by token count and the first constant tokens to a leaf
//! holding a few
//! templates; the most similar template of the leaf absorbs the message when its similarity
//! reaches the threshold (differing positions become `<*>`), otherwise the message starts a
//! new template. Differences from plain Drain, each cheap:
//!
//! - variables are masked before descent (see [`crate::tokens`]), so one configuration
//!   serves every log without per-system regexes;
//! - similarity counts only the template's constant positions, so messages made mostly of
//!   variables still match their template;
//! - the tree keys on constant tokens only, skipping variables (a timestamp or thread name
//!   at the front does not pile every event into one branch); the last token of a message
//!   never keys (in short messages it is usually the variable: `removing <*>`), and a
//!   message with no match in its leaf may join a very similar template of another branch
//!   (a variable word sat in a key position);
//! - a new template whose constant tokens align with a template of another length, the
//!   two differing only in short variable parts (`sent` vs `(1.2 KB) sent`), merges into it
//!   ([`align`]): optional parts no longer split one event by token count;
//! - words are not turned into `<*>` at the first difference: a position where plain words
//!   differ is *watched*, and messages with different words there get separate templates
//!   (`VM Started` and `VM Stopped` are different events) until the position shows more
//!   than [`MinerConfig::max_word_values`] distinct words; then it is a variable and its
//!   templates merge (a union-find keeps earlier ids valid: [`TemplateMiner::resolve`]).
//!   Upper-case names (`RUNNING`, `FAILED`) get a higher limit
//!   ([`MinerConfig::max_name_values`]): states and codes come from a fixed set in the code;
//! - an empty value (`rhost=`) never varies with a present one (`rhost=<*>`): the field's
//!   absence marks another case of the event;
//! - a variable keeps the punctuation all its messages had around it (`[<*>]`, `<*>,`),
//!   as the corrected Loghub annotations and a reader expect;
//! - tokens are interned: a known token costs a hash lookup, no allocation, and a chunk
//!   known as a plain word skips masking;
//! - memory and work are bounded: templates, vocabulary, tokens per message and templates
//!   per tree leaf are capped, and every message still lands in exactly one template
//!   ([`TemplateMiner::overflowed_messages`] counts those mined past a budget); maps keyed
//!   by upload content hash with a per-process random key.
//!
//! On loghub-2k (16 systems, original ground truth) the default configuration reaches a mean
//! grouping accuracy of 0.990 (plain Drain with per-system tuning: 0.865, Brain: 0.983); see
//! `examples/loghub_eval.rs` and `tests/loghub_ga.rs`.

mod align;

use crate::intern::{KeyedMap, TokenId, Vocabulary, EMPTY_ID, WILDCARD_ID};
use crate::tokens::{MaskingRules, TokenText, Tokenizer};
use align::Aligner;
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
    /// Children per tree node before new tokens share the wildcard branch. Large by
    /// default (Drain uses 100): nodes are created only with templates, so the template
    /// budget already bounds the tree, while a small cap piles the events of a log with many
    /// distinct first words into one wildcard leaf that every message then scans.
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
    /// The limit of [`MinerConfig::max_word_values`] for a position whose words are all
    /// upper-case names (`RUNNING`, `FAIL_TASK_CLEANUP`, `POST`): programs print states,
    /// methods and codes that way, from a fixed set in the code, and each one is a different
    /// event to the reader (`Transitioned from RUNNING to FAILED`), however many there are.
    pub max_name_values: usize,
}

impl Default for MinerConfig {
    fn default() -> Self {
        Self {
            similarity_threshold: 0.6,
            tree_depth: 2,
            max_children: 1024,
            max_templates: 20_000,
            max_tokens: 100,
            max_vocabulary: 200_000,
            mask_dotted_names: true,
            max_word_values: 4,
            max_name_values: 16,
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
    /// The template: tokens, `<*>` where messages differ (what similarity compares).
    tokens: Vec<TokenId>,
    /// What a template prints at each `<*>` of `tokens`: `<*>` with the punctuation all its
    /// messages had around the variable (`[<*>]`); equal to `tokens` elsewhere.
    shapes: Vec<TokenId>,
    /// Positions of `tokens` that are not `<*>`.
    constants: usize,
    watched: Vec<WatchedPosition>,
    /// Words at the watched positions (in order) -> template index.
    templates: KeyedMap<Vec<TokenId>, u32>,
    overflow: bool,
    /// Positions of size units (`KB`, `B`) that changed after a number: the unit is part of
    /// the value, so the template prints number and unit as one variable (`<*>,` for
    /// `5.2 KB,` and `216 B,`); a unit that never changes stays a constant (`<*> MB`).
    glued_units: Vec<usize>,
}

/// A template: a cluster plus the words of its watched positions.
#[derive(Debug)]
struct Template {
    cluster: u32,
    words: Vec<TokenId>,
    count: u64,
    /// Union-find parent: itself while the template is live.
    merged_into: u32,
    /// Templates of other clusters (other lengths) merged into this one by alignment; the
    /// rendered text covers them too.
    aligned: Vec<u32>,
}

#[derive(Debug, Default)]
struct Node {
    children: KeyedMap<TokenId, u32>,
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
    /// Tree keys of the current message (`None`: the wildcard branch).
    route: Vec<Option<TokenId>>,
    words_buffer: Vec<TokenId>,
    roots: KeyedMap<usize, u32>,
    nodes: Vec<Node>,
    by_length: KeyedMap<usize, Vec<u32>>,
    clusters: Vec<Cluster>,
    templates: Vec<Template>,
    live_templates: usize,
    overflow: KeyedMap<usize, u32>,
    /// First constant token of a cluster -> clusters starting with it (at most
    /// [`MAX_ALIGN_CANDIDATES`] each): where a new cluster looks for its event at other lengths.
    by_first_constant: KeyedMap<TokenId, Vec<u32>>,
    aligner: Aligner,
    tokens_buffer: Vec<TokenId>,
    overflowed_messages: u64,
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
            route: Vec::new(),
            words_buffer: Vec::new(),
            roots: KeyedMap::default(),
            nodes: Vec::new(),
            by_length: KeyedMap::default(),
            clusters: Vec::new(),
            templates: Vec::new(),
            live_templates: 0,
            overflow: KeyedMap::default(),
            by_first_constant: KeyedMap::default(),
            aligner: Aligner::default(),
            tokens_buffer: Vec::new(),
            overflowed_messages: 0,
        }
    }

    /// Adds one message and returns the id of the template it joined (ids start at 1).
    pub fn add(&mut self, message: &str) -> u32 {
        let refused_before = self.vocabulary.refused();
        self.intern_message(message);
        let vocabulary_full = self.vocabulary.refused() > refused_before;
        self.fill_route();
        let length = self.line_ids.len();
        let found = self.find(length);
        let matched =
            found.is_some_and(|(_, similarity)| similarity >= self.config.similarity_threshold);
        let full = !matched
            && (self.templates.len() >= self.config.max_templates || self.leaf_is_full(length));
        if full || vocabulary_full {
            self.overflowed_messages += 1;
        }
        let (cluster_index, created) = match found {
            Some((index, _)) if matched || full => {
                self.absorb(index);
                (index, false)
            }
            _ if full => (self.overflow_cluster(length), false),
            _ => (self.create(length), true),
        };
        let template = self.assign(cluster_index);
        if created {
            self.merge_across_lengths(cluster_index, template);
        }
        self.root(template) + 1
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
        index = self.root(index as u32) as usize;
        index as u32 + 1
    }

    /// The live template (union-find root) template index `template` belongs to.
    fn root(&self, mut template: u32) -> u32 {
        while self.templates[template as usize].merged_into != template {
            template = self.templates[template as usize].merged_into;
        }
        template
    }

    /// Merges the templates of `a` and `b` into one (the smaller index survives, so ids
    /// handed out earlier stay the smallest of their group).
    fn union(&mut self, a: u32, b: u32) {
        let (a, b) = (self.root(a), self.root(b));
        if a == b {
            return;
        }
        let (survivor, merged) = (a.min(b), a.max(b));
        let count = self.templates[merged as usize].count;
        let mut aligned = std::mem::take(&mut self.templates[merged as usize].aligned);
        if self.templates[merged as usize].cluster != self.templates[survivor as usize].cluster {
            aligned.push(merged);
        }
        let survivor_template = &mut self.templates[survivor as usize];
        survivor_template.count += count;
        survivor_template.aligned.extend(aligned);
        self.templates[merged as usize].merged_into = survivor;
        self.live_templates -= 1;
    }

    /// Number of live templates.
    pub fn len(&self) -> usize {
        self.live_templates
    }

    /// True before the first message.
    pub fn is_empty(&self) -> bool {
        self.live_templates == 0
    }

    /// Messages mined with a budget spent: a word the full vocabulary could not keep (it
    /// counted as a variable), or no matching template while the template budget or the tree
    /// leaf was full (the message joined its closest template or an all-variable one).
    /// Non-zero means the log had more distinct events or words than the miner keeps, and
    /// the templates of those messages are coarser than they should be.
    pub fn overflowed_messages(&self) -> u64 {
        self.overflowed_messages
    }

    /// The text of the live template `id` belongs to, variables as `<*>`.
    pub fn template_text(&self, id: u32) -> Option<String> {
        let index = (self.resolve(id) as usize).checked_sub(1)?;
        (index < self.templates.len()).then(|| self.render(index as u32))
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
                text: self.render(index as u32),
                count: template.count,
            })
            .collect()
    }

    fn intern_message(&mut self, message: &str) {
        let vocabulary = &self.vocabulary;
        self.tokenizer
            .tokenize(message, self.rules, self.config.max_tokens, |chunk| {
                vocabulary.plain_word_id(chunk)
            });
        self.line_ids.clear();
        for token in &self.tokenizer.tokens {
            let id = match token.text {
                TokenText::Wildcard => WILDCARD_ID,
                TokenText::Known(_, id) => id,
                TokenText::Chunk(_) => self
                    .vocabulary
                    .intern_plain_word(self.tokenizer.text(message, token)),
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
        for &key in &self.route {
            let current = &self.nodes[node as usize];
            match key
                .and_then(|key| current.children.get(&key).copied())
                .or(current.wildcard_child)
            {
                Some(next) => node = next,
                None => return false,
            }
        }
        self.nodes[node as usize].clusters.len() >= MAX_LEAF_CLUSTERS
    }

    /// Fills `route` with the tree keys of the current message: its first
    /// [`MinerConfig::tree_depth`] constant tokens. Variables are skipped rather than sent
    /// down a shared wildcard branch, so a log whose lines all start with a timestamp and a
    /// thread name still spreads its events over the tree instead of piling them into one
    /// leaf. The last token never keys: in short messages it is most often the variable
    /// (`removing <*>`).
    fn fill_route(&mut self) {
        self.route.clear();
        let keyed = self.line_ids.len().saturating_sub(1);
        let vocabulary = &self.vocabulary;
        self.route.extend(
            self.line_ids[..keyed]
                .iter()
                .filter(|&&id| !vocabulary.is_variable(id))
                .take(self.config.tree_depth)
                .map(|&id| Some(id)),
        );
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
        match self.most_similar(candidates) {
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
        for &key in &self.route {
            let current = &self.nodes[node as usize];
            let next = key
                .and_then(|key| current.children.get(&key).copied())
                .or(current.wildcard_child)?;
            node = next;
        }
        self.most_similar(&self.nodes[node as usize].clusters)
            .map(|(index, similarity, _)| (index, similarity))
    }

    /// The cluster of `candidates` most similar to the current message (ties: the more
    /// general one, then the first), with its similarity and wildcard count. A cluster stops
    /// being compared as soon as it cannot reach the best so far, which in a leaf of many
    /// templates is usually at its first differing word.
    fn most_similar(&self, candidates: &[u32]) -> Option<(usize, f64, usize)> {
        let mut best: Option<(usize, f64, usize)> = None;
        for &cluster_index in candidates {
            let cluster = &self.clusters[cluster_index as usize];
            let floor = best.map_or(f64::NEG_INFINITY, |(_, similarity, _)| similarity);
            let Some((similarity, wildcards)) =
                similarity(&cluster.tokens, cluster.constants, &self.line_ids, floor)
            else {
                continue;
            };
            if is_better(similarity, wildcards, best.map(|(_, s, w)| (s, w))) {
                best = Some((cluster_index as usize, similarity, wildcards));
            }
        }
        best
    }

    /// Generalises the cluster's template to cover the current message.
    fn absorb(&mut self, index: usize) {
        for position in 0..self.line_ids.len() {
            let line_token = self.line_ids[position];
            let template_token = self.clusters[index].tokens[position];
            if template_token == line_token {
                continue;
            }
            if template_token == WILDCARD_ID {
                let cluster = &self.clusters[index];
                let shape = cluster.shapes[position];
                let glued = !cluster.glued_units.is_empty()
                    && (cluster.glued_units.contains(&position)
                        || cluster.glued_units.contains(&(position + 1)));
                if shape != WILDCARD_ID && shape != line_token && !glued {
                    self.clusters[index].shapes[position] = self.common_shape(shape, line_token);
                }
                continue;
            }
            if self.glue_unit(index, position, template_token, line_token) {
                continue;
            }
            self.clusters[index].tokens[position] = WILDCARD_ID;
            self.clusters[index].constants -= 1;
            self.clusters[index].shapes[position] = self.common_shape(template_token, line_token);
            let words = !self.vocabulary.is_variable(template_token)
                && !self.vocabulary.is_variable(line_token);
            if words && self.config.max_word_values > 0 && !self.clusters[index].overflow {
                self.watch(index, position, template_token);
            }
        }
    }

    /// When the constant `template_token` at `position` of cluster `index` is a size unit
    /// right after a number and the message has another unit there (`5.2 KB` against
    /// `216 B`), makes the unit part of the number's variable: the position becomes `<*>`
    /// without being watched (units are not events), and the number's shape takes the
    /// unit's trailing punctuation. Returns false, changing nothing, otherwise.
    fn glue_unit(
        &mut self,
        index: usize,
        position: usize,
        template_token: TokenId,
        line_token: TokenId,
    ) -> bool {
        let Some(previous) = position.checked_sub(1) else {
            return false;
        };
        let cluster = &self.clusters[index];
        let vocabulary = &self.vocabulary;
        let number_before = [cluster.tokens[previous], self.line_ids[previous]]
            .iter()
            .all(|&token| vocabulary.is_variable(token))
            && vocabulary
                .text(cluster.shapes[previous])
                .ends_with(crate::tokens::WILDCARD);
        let units = (
            crate::tokens::size_unit_suffix(vocabulary.text(template_token)),
            crate::tokens::size_unit_suffix(vocabulary.text(line_token)),
        );
        if !number_before || units.0.is_none() || units.1.is_none() {
            return false;
        }
        // One size that changes unit shows a human-readable formatter: every size of the
        // message is printed by it, so every number-and-unit pair of the cluster is a value.
        for unit_position in 1..self.clusters[index].tokens.len() {
            self.glue_unit_at(index, unit_position);
        }
        true
    }

    /// Makes the size unit at `position` of cluster `index` part of the number before it
    /// (see [`TemplateMiner::glue_unit`]), when it is a constant unit after a variable.
    fn glue_unit_at(&mut self, index: usize, position: usize) {
        let cluster = &self.clusters[index];
        let vocabulary = &self.vocabulary;
        let (unit, previous) = (cluster.tokens[position], position - 1);
        let number_shape = vocabulary.text(cluster.shapes[previous]);
        let is_unit_after_number = !vocabulary.is_variable(unit)
            && vocabulary.is_variable(cluster.tokens[previous])
            && number_shape.ends_with(crate::tokens::WILDCARD);
        let Some(suffix) = crate::tokens::size_unit_suffix(vocabulary.text(unit)) else {
            return;
        };
        if !is_unit_after_number {
            return;
        }
        let number_shape = format!("{number_shape}{suffix}");
        let number_shape = self.vocabulary.intern(&number_shape, true);
        let cluster = &mut self.clusters[index];
        cluster.tokens[position] = WILDCARD_ID;
        cluster.constants -= 1;
        cluster.shapes[position] = EMPTY_ID;
        cluster.shapes[previous] = number_shape;
        cluster.glued_units.push(position);
    }

    /// The variable that covers tokens `a` and `b`: `<*>` with the leading and trailing
    /// punctuation they share (`[node-3]` and `[<*>]` give `[<*>]`, `<*>,` and `LOCAL(0),`
    /// give `<*>,`), so a template keeps the brackets and commas around its variables.
    fn common_shape(&mut self, a: TokenId, b: TokenId) -> TokenId {
        let (text_a, text_b) = (self.vocabulary.text(a), self.vocabulary.text(b));
        let (bytes_a, bytes_b) = (text_a.as_bytes(), text_b.as_bytes());
        let mut prefix = bytes_a
            .iter()
            .zip(bytes_b)
            .take_while(|&(&x, &y)| x == y && crate::tokens::is_leading_punctuation(x))
            .count();
        if prefix == 0 {
            // A shared key before the value (`isOverlap:` in `isOverlap:false,` and
            // `isOverlap:true,`): the longest common start that ends with a delimiter.
            let common = bytes_a
                .iter()
                .zip(bytes_b)
                .take_while(|&(&x, &y)| x == y)
                .count();
            prefix = bytes_a[..common]
                .iter()
                .rposition(|&b| matches!(b, b':' | b'=' | b'(' | b'['))
                .map_or(0, |at| at + 1);
        }
        // The `<` of a `<*>` is not punctuation around the variable: it belongs to it.
        if prefix > 0 && (text_a[prefix..].starts_with("*>") || text_b[prefix..].starts_with("*>"))
        {
            prefix -= 1;
        }
        let room = bytes_a.len().min(bytes_b.len()) - prefix;
        let common = bytes_a[prefix..]
            .iter()
            .rev()
            .zip(bytes_b[prefix..].iter().rev())
            .take(room)
            .take_while(|&(&x, &y)| x == y)
            .count();
        // The longest common ending made of punctuation and whole variables that starts with
        // punctuation: `,` for `<*>,` and `LOCAL(0),`, `:<*>` for `<*>:<*>` and
        // `sogou.com:<*>` (an address whose host was a name in one message keeps its port).
        // Never the `>` of a `<*>` (`chdir(<*>)` and `(<*>)` share `)`, not `>)`).
        // Bytes are compared, so the common ending may start inside a character of text
        // other than ASCII: it starts at the next character instead.
        let mut ending_start = text_a.len() - common;
        while !text_a.is_char_boundary(ending_start) {
            ending_start += 1;
        }
        let ending = &text_a[ending_start..];
        let suffix = (0..ending.len())
            .find(|&start| {
                ending.is_char_boundary(start) && is_punctuation_ending(&ending[start..])
            })
            .map_or(0, |start| ending.len() - start);
        if prefix == 0 && suffix == 0 {
            return WILDCARD_ID;
        }
        let wildcard = crate::tokens::WILDCARD;
        let unchanged = text_a.len() == prefix + wildcard.len() + suffix
            && &text_a[prefix..prefix + wildcard.len()] == wildcard;
        if unchanged {
            return a;
        }
        let shape = format!(
            "{}{wildcard}{}",
            &text_a[..prefix],
            &text_a[text_a.len() - suffix..]
        );
        self.vocabulary.intern(&shape, true)
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
        let mut merges = Vec::new();
        for (mut words, template) in old {
            words.remove(slot);
            match cluster.templates.get(&words) {
                Some(&survivor) => merges.push((survivor, template)),
                None => {
                    self.templates[template as usize].words.clone_from(&words);
                    cluster.templates.insert(words, template);
                }
            }
        }
        for (survivor, template) in merges {
            self.union(survivor, template);
        }
    }

    /// Finds or creates the template of the current message within its cluster.
    fn assign(&mut self, cluster_index: usize) -> u32 {
        let cluster = &self.clusters[cluster_index];
        if cluster.watched.is_empty() {
            // Nothing told apart: the cluster's one template, without hashing an empty key.
            if let Some(&template) = cluster.templates.values().next() {
                let root = self.root(template);
                self.templates[root as usize].count += 1;
                return template;
            }
        }
        let limit = self.config.max_word_values;
        let mut slot = 0;
        while slot < self.clusters[cluster_index].watched.len() {
            let watched = &mut self.clusters[cluster_index].watched[slot];
            let word = self.line_ids[watched.position];
            let variable = self.vocabulary.is_variable(word);
            if !variable && !watched.values.contains(&word) {
                watched.values.push(word);
            }
            let saturated = watched.values.len() > limit
                && (watched.values.len() > self.config.max_name_values
                    || !watched
                        .values
                        .iter()
                        .all(|&value| is_upper_case_name(self.vocabulary.text(value))));
            if variable || saturated {
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
                    aligned: Vec::new(),
                });
                self.live_templates += 1;
                self.clusters[cluster_index]
                    .templates
                    .insert(self.words_buffer.clone(), template);
                template
            }
        };
        let root = self.root(template);
        self.templates[root as usize].count += 1;
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
            shapes: vec![WILDCARD_ID; length],
            constants: 0,
            watched: Vec::new(),
            templates: KeyedMap::default(),
            overflow: true,
            glued_units: Vec::new(),
        });
        self.overflow.insert(length, index as u32);
        index
    }

    fn create(&mut self, length: usize) -> usize {
        let index = self.clusters.len();
        self.clusters.push(Cluster {
            tokens: self.line_ids.clone(),
            shapes: self.line_ids.clone(),
            constants: self.line_ids.iter().filter(|&&t| t != WILDCARD_ID).count(),
            watched: Vec::new(),
            templates: KeyedMap::default(),
            overflow: false,
            glued_units: Vec::new(),
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
        for step in 0..self.route.len() {
            let key = self.route[step];
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

    /// The tokens of template `template`: its cluster's tokens with the template's words at
    /// the watched positions.
    fn template_tokens(&self, template: u32, tokens: &mut Vec<TokenId>) {
        let template = &self.templates[template as usize];
        let cluster = &self.clusters[template.cluster as usize];
        tokens.clone_from(&cluster.shapes);
        for (watched, &word) in cluster.watched.iter().zip(&template.words) {
            tokens[watched.position] = word;
        }
    }

    /// The text of live template `template`: its tokens, merged with those of the templates of
    /// other lengths aligned into it.
    fn render(&self, template: u32) -> String {
        let mut tokens = Vec::new();
        self.template_tokens(template, &mut tokens);
        let aligned = &self.templates[template as usize].aligned;
        if !aligned.is_empty() {
            let (mut aligner, mut other, mut merged) = (Aligner::default(), Vec::new(), Vec::new());
            for &member in aligned {
                self.template_tokens(member, &mut other);
                aligner.merge(&tokens, &other, &mut merged);
                std::mem::swap(&mut tokens, &mut merged);
            }
        }
        let mut text = String::new();
        let mut glue = true;
        for &token in &tokens {
            if token == EMPTY_ID && !glue {
                // A size unit printed with its number (see `glue_unit`).
                continue;
            }
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

    /// A new cluster may be an event already known at another length, with an optional
    /// variable part (see [`align`]): its first template then merges into that event's.
    /// Candidates share the first constant token and are few, so the cost stays bounded.
    fn merge_across_lengths(&mut self, cluster_index: usize, template: u32) {
        let tokens = &self.clusters[cluster_index].tokens;
        let length = tokens.len();
        if length > MAX_ALIGN_TOKENS {
            return;
        }
        let Some(&first) = tokens.iter().find(|&&t| !self.vocabulary.is_variable(t)) else {
            return;
        };
        let mut candidates = self.by_first_constant.remove(&first).unwrap_or_default();
        let mut best: Option<(u32, usize)> = None;
        let mut own = std::mem::take(&mut self.tokens_buffer);
        own.clone_from(&self.clusters[cluster_index].tokens);
        let mut other = Vec::new();
        for &candidate in candidates.iter() {
            let cluster = &self.clusters[candidate as usize];
            if cluster.tokens.len() == length
                || cluster.tokens.len().abs_diff(length) > MAX_ALIGN_LENGTH_GAP
                || cluster.templates.len() != 1
            {
                continue;
            }
            let Some(&their_template) = cluster.templates.values().next() else {
                continue;
            };
            self.template_tokens(their_template, &mut other);
            let vocabulary = &self.vocabulary;
            let is_value = |token: TokenId| {
                token == WILDCARD_ID
                    || (vocabulary.is_variable(token)
                        && vocabulary
                            .text(token)
                            .split(crate::tokens::WILDCARD)
                            .all(|part| !part.bytes().any(|b| b.is_ascii_alphanumeric())))
            };
            if self.aligner.same_event(&own, &other, is_value) {
                let aligned = self.aligner.aligned_len();
                if best.is_none_or(|(_, best_aligned)| aligned > best_aligned) {
                    best = Some((their_template, aligned));
                }
            }
        }
        self.tokens_buffer = own;
        if candidates.len() < MAX_ALIGN_CANDIDATES {
            candidates.push(cluster_index as u32);
        }
        self.by_first_constant.insert(first, candidates);
        if let Some((their_template, _)) = best {
            self.union(their_template, template);
        }
    }
}

/// Clusters remembered per first constant token as alignment candidates (see
/// [`TemplateMiner::merge_across_lengths`]).
const MAX_ALIGN_CANDIDATES: usize = 64;

/// Longest template aligned across lengths: the alignment costs the product of the two
/// lengths, and crafted long lines must not make every new template expensive.
const MAX_ALIGN_TOKENS: usize = 48;

/// Most tokens two aligned templates differ in length by.
const MAX_ALIGN_LENGTH_GAP: usize = 4;

/// Most clusters one tree leaf holds (see [`TemplateMiner::add`]).
const MAX_LEAF_CLUSTERS: usize = 512;

/// Clusters of one length scanned when a message's own leaf has no match; beyond this the
/// scan would cost more than it finds, and plain Drain routing applies.
const FALLBACK_CANDIDATES: usize = 256;

/// Similarity a cluster from another branch needs: routing by the first tokens is what keeps
/// different events of the same length apart, so crossing branches takes stronger evidence.
const FALLBACK_SIMILARITY: f64 = 0.75;

/// True for an upper-case name as programs print states, methods and codes: upper-case
/// letters, digits and underscores, starting with a letter and holding at least two letters
/// (`RUNNING`, `FAIL_TASK_CLEANUP`, `SOCKS5`).
fn is_upper_case_name(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.first().is_some_and(u8::is_ascii_uppercase)
        && bytes.iter().filter(|b| b.is_ascii_uppercase()).count() >= 2
        && bytes
            .iter()
            .all(|&b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}

/// True when `ending` starts with trailing punctuation other than the `>` of a variable and
/// holds nothing but such punctuation and whole `<*>` (see `TemplateMiner::common_shape`).
fn is_punctuation_ending(ending: &str) -> bool {
    let bytes = ending.as_bytes();
    let starts_well = bytes
        .first()
        .is_some_and(|&b| b != b'>' && crate::tokens::is_trailing_punctuation(b));
    starts_well
        && ending
            .split(crate::tokens::WILDCARD)
            .all(|part| part.bytes().all(crate::tokens::is_trailing_punctuation))
}

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
/// wildcard positions (the tie-breaker: the more general template wins); `None` as soon as
/// the share is certain to stay below `floor`. `constants` counts the template's positions
/// that are not `<*>`. An empty value facing a present one (`rhost=` against `rhost=<*>`)
/// makes the similarity 0: a field left empty marks another case of the event (a local
/// login, no remote host), not a value.
fn similarity(
    template: &[TokenId],
    constants: usize,
    line: &[TokenId],
    floor: f64,
) -> Option<(f64, usize)> {
    let wildcards = template.len() - constants;
    let share = |matches: usize| {
        if constants == 0 {
            1.0
        } else {
            matches as f64 / constants as f64
        }
    };
    let mut mismatches = 0usize;
    for (&template_token, &line_token) in template.iter().zip(line) {
        if (template_token == EMPTY_ID) != (line_token == EMPTY_ID) {
            return (0.0 >= floor).then_some((0.0, wildcards));
        }
        if template_token == WILDCARD_ID || template_token == line_token {
            continue;
        }
        mismatches += 1;
        if share(constants - mismatches) < floor {
            return None;
        }
    }
    Some((share(constants - mismatches), wildcards))
}

#[cfg(test)]
mod tests;
