//! An approximate vector index: a hierarchical navigable small-world graph (HNSW, Malkov and
//! Yashunin, 2018), built in process, deterministic for a given seed and insertion order.
//!
//! Every vector is a node on layer 0 and, with geometrically falling probability, on the layers
//! above; each node links to at most `M` neighbours per layer (`2M` on layer 0), chosen by the
//! paper's heuristic (a candidate is kept only when it is closer to the new node than to every
//! neighbour already kept), which keeps links spread in all directions. A search descends
//! greedily from the top layer and ends with a best-first beam of width `ef` on layer 0.
//!
//! Removal marks the node deleted: it still routes searches but is never returned. When deleted
//! nodes outnumber live ones the graph is rebuilt from the live vectors, so a long-running index
//! whose entries churn (past cases, admin-edited runbooks) keeps its recall and its memory bound.

use super::{dot, prepared, VectorIndex};
use crate::StoreError;
use std::cmp::{Ordering, Reverse};
use std::collections::{BinaryHeap, HashMap};
use std::sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// Tuning of an [`HnswVectorIndex`]. With the defaults (`M` = 32, `ef_construction` = 200,
/// `ef` = 256), recall@10 against the exact index is 1.00 on clustered 384-dimension data at 10k
/// and 0.98 on structureless uniform 384-dimension data at 10k, the worst case for any graph
/// index: there the nearest neighbours are barely nearer than any other point, a search has to
/// visit most of the graph, and the exact scan stays faster (`./scripts/bench vectors` prints
/// both). At 100k uniform vectors recall@10 is 0.54 at `ef` 256 and 0.92 at `ef` 1024 (then
/// 2.8 times slower than the exact scan): on such data use the exact index or a wider beam
/// ([`HnswVectorIndex::search_with_width`]). `M` = 16 with `ef` = 128 reached only 0.69 there; doubling `M` to 32 got more recall
/// per unit of search time than widening the beam alone (0.98 at `ef` 256 against 0.98 at `ef`
/// 512 with `M` = 16, 17% less CPU time per query).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HnswParameters {
    /// `M`: links per node on the upper layers; layer 0 keeps twice as many.
    pub max_neighbors: usize,
    /// `ef_construction`: width of the beam that finds a new node's neighbours. Wider builds
    /// slower and links better.
    pub construction_width: usize,
    /// `ef`: width of the beam of a search on layer 0 (raised to `k` when `k` is larger). Wider
    /// is slower and more exact.
    pub search_width: usize,
    /// Seed of the level draws: the same seed and insertion order build the same graph.
    pub seed: u64,
    /// Up to this many nodes a search compares the query with every stored vector instead of
    /// walking the graph: exact, and at these sizes faster, because a scan reads memory in
    /// order while a walk jumps between vectors (`./scripts/bench vectors` shows the walk only
    /// pays from about ten thousand vectors). 0 always walks the graph.
    pub exhaustive_below: usize,
}

impl Default for HnswParameters {
    fn default() -> Self {
        Self {
            max_neighbors: 32,
            construction_width: 200,
            search_width: 256,
            seed: 0x5eed_fa17_ca5e_0001,
            exhaustive_below: 4_096,
        }
    }
}

/// Deleted nodes below this count never trigger a rebuild: rebuilding a small graph for a few
/// deletions would cost more than the dead nodes do.
const MINIMUM_DELETED_FOR_REBUILD: usize = 64;

/// Upper bound on layers: with `M` = 2 (the smallest useful value) a level above 16 needs odds of
/// 2^-16 per node, and the cap keeps a pathological seed from allocating absurd link tables.
const MAXIMUM_LEVEL: usize = 16;

/// Nearest-neighbour search by cosine similarity over an HNSW graph. Approximate: see
/// [`HnswParameters`] for the recall it reaches; [`super::InMemoryVectorIndex`] is the exact
/// reference. Searches share a read lock and run in parallel; upserts and removals take the
/// write lock.
#[derive(Debug)]
pub struct HnswVectorIndex {
    parameters: HnswParameters,
    graph: RwLock<Graph>,
}

/// A node index into the graph's arrays.
type Node = u32;

#[derive(Debug)]
struct Graph {
    /// `None` until fixed by the constructor or the first upsert.
    dimensions: Option<usize>,
    /// Unit vectors, node `n` at `n * dimensions`.
    vectors: Vec<f32>,
    /// The id of each node (deleted nodes keep theirs until the next rebuild).
    ids: Vec<String>,
    /// Layer-0 links in one array: node `n`'s neighbours are the first `base_degrees[n]` of the
    /// `base_capacity` slots from `n * base_capacity`. Every search spends nearly all its time on
    /// layer 0, and one contiguous array saves two pointer hops per visited node.
    base_links: Vec<Node>,
    base_degrees: Vec<u32>,
    /// Slots per node on layer 0 (`2M`).
    base_capacity: usize,
    /// `upper_links[n][layer - 1]`: the neighbours of node `n` on `layer` >= 1; the length of
    /// `upper_links[n]` is the node's level. Few nodes have any (a share of `1 / M`).
    upper_links: Vec<Vec<Vec<Node>>>,
    deleted: Vec<bool>,
    deleted_count: usize,
    /// The live node of each id.
    node_of: HashMap<String, Node>,
    /// A node on the top layer, where every search starts.
    entry_point: Option<Node>,
    random: SplitMix64,
}

/// A node with its similarity to the query; ordered by similarity, then by node so ties are
/// broken the same way every time.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Scored {
    similarity: f32,
    node: Node,
}

impl Eq for Scored {}

impl Ord for Scored {
    fn cmp(&self, other: &Self) -> Ordering {
        self.similarity
            .total_cmp(&other.similarity)
            .then_with(|| other.node.cmp(&self.node))
    }
}

impl PartialOrd for Scored {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// SplitMix64 (Steele, Lea and Flood, 2014): a tiny, well-mixed generator, enough for level
/// draws and fully determined by its seed.
#[derive(Debug, Clone)]
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in (0, 1]: never 0, so its logarithm is finite.
    fn next_unit(&mut self) -> f64 {
        ((self.next_u64() >> 11) + 1) as f64 / (1u64 << 53) as f64
    }
}

/// Which nodes a search has seen: one bit per node, allocated per search so concurrent searches
/// share nothing.
struct Visited(Vec<u64>);

impl Visited {
    fn new(nodes: usize) -> Self {
        Self(vec![0; nodes.div_ceil(64)])
    }

    /// Marks `node`; `true` when it was not marked before.
    fn insert(&mut self, node: Node) -> bool {
        let (word, bit) = (node as usize / 64, 1u64 << (node % 64));
        let fresh = self.0[word] & bit == 0;
        self.0[word] |= bit;
        fresh
    }
}

impl Graph {
    fn new(dimensions: Option<usize>, parameters: &HnswParameters) -> Self {
        Self {
            dimensions,
            vectors: Vec::new(),
            ids: Vec::new(),
            base_links: Vec::new(),
            base_degrees: Vec::new(),
            base_capacity: layer_limit(parameters, 0),
            upper_links: Vec::new(),
            deleted: Vec::new(),
            deleted_count: 0,
            node_of: HashMap::new(),
            entry_point: None,
            random: SplitMix64(parameters.seed),
        }
    }

    fn vector(&self, node: Node) -> &[f32] {
        let dimensions = self.dimensions.unwrap_or_default();
        let start = node as usize * dimensions;
        &self.vectors[start..start + dimensions]
    }

    fn level(&self, node: Node) -> usize {
        self.upper_links[node as usize].len()
    }

    /// The neighbours of `node` on `layer` (at most the node's level).
    fn neighbors(&self, node: Node, layer: usize) -> &[Node] {
        if layer == 0 {
            let start = node as usize * self.base_capacity;
            &self.base_links[start..start + self.base_degrees[node as usize] as usize]
        } else {
            &self.upper_links[node as usize][layer - 1]
        }
    }

    /// Replaces the neighbours of `node` on `layer`; at most `layer_limit` of them.
    fn set_neighbors(&mut self, node: Node, layer: usize, neighbors: &[Node]) {
        if layer == 0 {
            let start = node as usize * self.base_capacity;
            self.base_links[start..start + neighbors.len()].copy_from_slice(neighbors);
            self.base_degrees[node as usize] = neighbors.len() as u32;
        } else {
            let links = &mut self.upper_links[node as usize][layer - 1];
            links.clear();
            links.extend_from_slice(neighbors);
        }
    }

    fn scored(&self, query: &[f32], node: Node) -> Scored {
        Scored {
            similarity: dot(query, self.vector(node)),
            node,
        }
    }

    fn live_count(&self) -> usize {
        self.ids.len() - self.deleted_count
    }

    /// A level drawn from the exponential distribution the paper prescribes (`mL = 1 / ln M`).
    fn draw_level(&mut self, max_neighbors: usize) -> usize {
        let scale = 1.0 / (max_neighbors.max(2) as f64).ln();
        let level = (-self.random.next_unit().ln() * scale).floor();
        (level as usize).min(MAXIMUM_LEVEL)
    }

    /// Greedy walk on `layer` from `start` towards `query`: the best node reachable by always
    /// moving to a better neighbour.
    fn greedy_closest(&self, query: &[f32], start: Scored, layer: usize) -> Scored {
        let mut best = start;
        loop {
            let mut improved = false;
            for &neighbor in self.neighbors(best.node, layer) {
                let candidate = self.scored(query, neighbor);
                if candidate > best {
                    best = candidate;
                    improved = true;
                }
            }
            if !improved {
                return best;
            }
        }
    }

    /// Best-first beam search of width `width` on `layer` from `entries`; the best nodes found,
    /// best first (deleted nodes included: they route, the caller filters them).
    fn search_layer(
        &self,
        query: &[f32],
        entries: &[Scored],
        width: usize,
        layer: usize,
    ) -> Vec<Scored> {
        let mut visited = Visited::new(self.ids.len());
        let mut candidates: BinaryHeap<Scored> = BinaryHeap::new();
        let mut found: BinaryHeap<Reverse<Scored>> = BinaryHeap::new();
        for &entry in entries {
            if visited.insert(entry.node) {
                candidates.push(entry);
                found.push(Reverse(entry));
            }
        }
        while found.len() > width {
            found.pop();
        }
        while let Some(candidate) = candidates.pop() {
            let worst_found = found.peek().map(|Reverse(worst)| *worst);
            if worst_found.is_some_and(|worst| candidate < worst) && found.len() >= width {
                break;
            }
            for &neighbor in self.neighbors(candidate.node, layer) {
                if !visited.insert(neighbor) {
                    continue;
                }
                let scored = self.scored(query, neighbor);
                let worth_it = found.len() < width
                    || found.peek().is_some_and(|Reverse(worst)| scored > *worst);
                if worth_it {
                    candidates.push(scored);
                    found.push(Reverse(scored));
                    if found.len() > width {
                        found.pop();
                    }
                }
            }
        }
        let mut best_first: Vec<Scored> = found.into_iter().map(|Reverse(scored)| scored).collect();
        best_first.sort_unstable_by(|left, right| right.cmp(left));
        best_first
    }

    /// The paper's neighbour-selection heuristic: walking `candidates` best first, keep one only
    /// when it is more similar to the base than to every neighbour already kept, up to `limit`.
    fn select_neighbors(&self, candidates: &[Scored], limit: usize) -> Vec<Node> {
        let mut kept: Vec<Node> = Vec::with_capacity(limit);
        for candidate in candidates {
            if kept.len() == limit {
                break;
            }
            let vector = self.vector(candidate.node);
            let diverse = kept
                .iter()
                .all(|&other| dot(vector, self.vector(other)) < candidate.similarity);
            if diverse {
                kept.push(candidate.node);
            }
        }
        kept
    }

    /// Adds `vector` (a unit vector of the graph's dimension) as a new node for `id`.
    fn insert(&mut self, id: &str, vector: &[f32], parameters: &HnswParameters) {
        let node = Node::try_from(self.ids.len()).unwrap_or(Node::MAX);
        let level = self.draw_level(parameters.max_neighbors);
        self.vectors.extend_from_slice(vector);
        self.ids.push(id.to_owned());
        self.base_links
            .extend(std::iter::repeat_n(0, self.base_capacity));
        self.base_degrees.push(0);
        self.upper_links.push(vec![Vec::new(); level]);
        self.deleted.push(false);
        self.node_of.insert(id.to_owned(), node);

        let Some(entry_point) = self.entry_point else {
            self.entry_point = Some(node);
            return;
        };
        let top_level = self.level(entry_point);
        let mut closest = self.scored(vector, entry_point);
        for layer in (level + 1..=top_level).rev() {
            closest = self.greedy_closest(vector, closest, layer);
        }
        let mut entries = vec![closest];
        for layer in (0..=level.min(top_level)).rev() {
            let found = self.search_layer(vector, &entries, parameters.construction_width, layer);
            let limit = layer_limit(parameters, layer);
            let neighbors = self.select_neighbors(&found, limit);
            for &neighbor in &neighbors {
                self.link_back(neighbor, node, layer, limit);
            }
            self.set_neighbors(node, layer, &neighbors);
            entries = found;
        }
        if level > top_level {
            self.entry_point = Some(node);
        }
    }

    /// Adds `node` to `neighbor`'s links on `layer`, re-selecting them when over `limit`.
    fn link_back(&mut self, neighbor: Node, node: Node, layer: usize, limit: usize) {
        let current = self.neighbors(neighbor, layer);
        if current.len() < limit {
            if layer == 0 {
                let degree = &mut self.base_degrees[neighbor as usize];
                self.base_links[neighbor as usize * self.base_capacity + *degree as usize] = node;
                *degree += 1;
            } else {
                self.upper_links[neighbor as usize][layer - 1].push(node);
            }
            return;
        }
        let base = self.vector(neighbor);
        let mut candidates: Vec<Scored> = current
            .iter()
            .chain(std::iter::once(&node))
            .map(|&other| self.scored(base, other))
            .collect();
        candidates.sort_unstable_by(|left, right| right.cmp(left));
        let kept = self.select_neighbors(&candidates, limit);
        self.set_neighbors(neighbor, layer, &kept);
    }

    /// The `width` best nodes for `query` on layer 0, deleted ones included, best first.
    fn search(&self, query: &[f32], width: usize) -> Vec<Scored> {
        let Some(entry_point) = self.entry_point else {
            return Vec::new();
        };
        let mut closest = self.scored(query, entry_point);
        for layer in (1..=self.level(entry_point)).rev() {
            closest = self.greedy_closest(query, closest, layer);
        }
        self.search_layer(query, &[closest], width, 0)
    }

    /// The `width` best nodes for `query` by comparing it with every node, deleted ones
    /// included, in no particular order.
    fn scan(&self, query: &[f32], width: usize) -> Vec<Scored> {
        let dimensions = self.dimensions.unwrap_or_default().max(1);
        let mut scored: Vec<Scored> = self
            .vectors
            .chunks_exact(dimensions)
            .zip(0..)
            .map(|(vector, node)| Scored {
                similarity: dot(query, vector),
                node,
            })
            .collect();
        if scored.len() > width && width > 0 {
            scored.select_nth_unstable_by(width - 1, |left, right| right.cmp(left));
            scored.truncate(width);
        }
        scored
    }

    fn mark_deleted(&mut self, node: Node) {
        if !self.deleted[node as usize] {
            self.deleted[node as usize] = true;
            self.deleted_count += 1;
        }
    }

    /// Rebuilds the graph from the live nodes, in their insertion order, so the result depends
    /// only on what is stored and the seed.
    fn rebuilt(&self, parameters: &HnswParameters) -> Graph {
        let mut fresh = Graph::new(self.dimensions, parameters);
        for node in 0..self.ids.len() {
            if !self.deleted[node] {
                let node = node as Node;
                fresh.insert(&self.ids[node as usize], self.vector(node), parameters);
            }
        }
        fresh
    }

    fn should_rebuild(&self) -> bool {
        self.deleted_count >= MINIMUM_DELETED_FOR_REBUILD && self.deleted_count > self.live_count()
    }
}

fn layer_limit(parameters: &HnswParameters, layer: usize) -> usize {
    let max_neighbors = parameters.max_neighbors.max(2);
    if layer == 0 {
        2 * max_neighbors
    } else {
        max_neighbors
    }
}

impl HnswVectorIndex {
    /// An empty index with the default parameters whose dimension is set by the first upsert.
    pub fn new() -> Self {
        Self::with_parameters(None, HnswParameters::default())
    }

    /// An empty index of vectors with `dimensions` components, default parameters.
    pub fn with_dimensions(dimensions: usize) -> Self {
        Self::with_parameters(Some(dimensions), HnswParameters::default())
    }

    /// An empty index with these parameters (`dimensions` as in the other constructors).
    pub fn with_parameters(dimensions: Option<usize>, parameters: HnswParameters) -> Self {
        Self {
            parameters,
            graph: RwLock::new(Graph::new(dimensions, &parameters)),
        }
    }

    /// The parameters the index was built with.
    pub fn parameters(&self) -> HnswParameters {
        self.parameters
    }

    /// The number of components every vector must have, once known.
    pub fn dimensions(&self) -> Option<usize> {
        self.read().dimensions
    }

    // Every method finishes its changes to the graph before anything can panic (allocation
    // failure aside), so a poisoned lock is safe to take over.
    fn read(&self) -> RwLockReadGuard<'_, Graph> {
        self.graph.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, Graph> {
        self.graph.write().unwrap_or_else(PoisonError::into_inner)
    }

    fn remove_locked(&self, graph: &mut Graph, id: &str) -> bool {
        let Some(node) = graph.node_of.remove(id) else {
            return false;
        };
        graph.mark_deleted(node);
        if graph.should_rebuild() {
            *graph = graph.rebuilt(&self.parameters);
        }
        true
    }
}

impl Default for HnswVectorIndex {
    fn default() -> Self {
        Self::new()
    }
}

impl VectorIndex for HnswVectorIndex {
    fn upsert(&self, id: &str, vector: Vec<f32>) -> Result<(), StoreError> {
        let mut graph = self.write();
        let (dimensions, vector) = prepared(graph.dimensions, id, vector)?;
        graph.dimensions = Some(dimensions);
        // A replaced vector is a new node: re-linking the old one in place would leave its
        // neighbours' links pointing at a position it no longer has.
        self.remove_locked(&mut graph, id);
        graph.insert(id, &vector, &self.parameters);
        Ok(())
    }

    fn remove(&self, id: &str) -> bool {
        let mut graph = self.write();
        self.remove_locked(&mut graph, id)
    }

    fn search(&self, query: &[f32], k: usize) -> Vec<(String, f32)> {
        self.search_with_width(query, k, self.parameters.search_width)
    }

    fn len(&self) -> usize {
        self.read().live_count()
    }
}

impl HnswVectorIndex {
    /// [`VectorIndex::search`] with a beam of `width` instead of the index's `search_width`
    /// (raised to `k` when smaller): wider finds more of the true nearest neighbours and costs
    /// more. For callers that need more recall than the default, and for measuring the trade-off.
    pub fn search_with_width(&self, query: &[f32], k: usize, width: usize) -> Vec<(String, f32)> {
        let graph = self.read();
        if k == 0 || graph.dimensions != Some(query.len()) {
            return Vec::new();
        }
        let Ok((_, query)) = prepared(Some(query.len()), "query", query.to_vec()) else {
            return Vec::new();
        };
        // Deleted nodes take places in the beam; widen it by as many as there are (bounded by
        // the rebuild rule to the live count) so k live results are still found.
        let width = width.max(k) + graph.deleted_count.min(k);
        let candidates = if graph.ids.len() <= self.parameters.exhaustive_below {
            graph.scan(&query, width)
        } else {
            graph.search(&query, width)
        };
        let mut found: Vec<(String, f32)> = candidates
            .into_iter()
            .filter(|scored| !graph.deleted[scored.node as usize])
            .map(|scored| {
                (
                    graph.ids[scored.node as usize].clone(),
                    scored.similarity.clamp(-1.0, 1.0),
                )
            })
            .collect();
        // The same order as the exact index: best first, equal scores by id.
        found.sort_by(|left, right| {
            right
                .1
                .total_cmp(&left.1)
                .then_with(|| left.0.cmp(&right.0))
        });
        found.truncate(k);
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::InMemoryVectorIndex;

    /// `count` vectors with components uniform in [-1, 1): the hardest case for a graph index,
    /// with no cluster structure to exploit.
    fn random_vectors(count: usize, dimensions: usize, seed: u64) -> Vec<Vec<f32>> {
        let mut random = SplitMix64(seed);
        (0..count)
            .map(|_| {
                (0..dimensions)
                    .map(|_| (random.next_unit() * 2.0 - 1.0) as f32)
                    .collect()
            })
            .collect()
    }

    fn id(number: usize) -> String {
        format!("v{number}")
    }

    /// Mean share of the exact top 10 that the HNSW top 10 contains.
    fn recall_at_10(
        hnsw: &HnswVectorIndex,
        exact: &InMemoryVectorIndex,
        queries: &[Vec<f32>],
    ) -> f64 {
        let mut found = 0usize;
        for query in queries {
            let truth: Vec<String> = exact
                .search(query, 10)
                .into_iter()
                .map(|(id, _)| id)
                .collect();
            let approximate = hnsw.search(query, 10);
            assert_eq!(approximate.len(), truth.len());
            found += approximate
                .iter()
                .filter(|(id, _)| truth.contains(id))
                .count();
        }
        found as f64 / (10 * queries.len()) as f64
    }

    /// The default parameters, but every search walks the graph (these tests measure it).
    fn graph_only() -> HnswParameters {
        HnswParameters {
            exhaustive_below: 0,
            ..HnswParameters::default()
        }
    }

    fn both(vectors: &[Vec<f32>]) -> (HnswVectorIndex, InMemoryVectorIndex) {
        let hnsw = HnswVectorIndex::with_parameters(None, graph_only());
        let exact = InMemoryVectorIndex::new();
        for (number, vector) in vectors.iter().enumerate() {
            hnsw.upsert(&id(number), vector.clone())
                .expect("hnsw upsert");
            exact
                .upsert(&id(number), vector.clone())
                .expect("exact upsert");
        }
        (hnsw, exact)
    }

    #[test]
    fn recall_at_10_against_the_exact_index_on_random_vectors() {
        let vectors = random_vectors(1_500, 64, 1);
        let queries = random_vectors(100, 64, 2);
        let (hnsw, exact) = both(&vectors);
        let recall = recall_at_10(&hnsw, &exact, &queries);
        assert!(recall >= 0.99, "recall@10 {recall}");
        // A stored vector finds itself first.
        let found = hnsw.search(&vectors[1234], 1);
        assert_eq!(found[0].0, id(1234));
        assert!((found[0].1 - 1.0).abs() < 1e-5);
    }

    #[test]
    fn vectors_inserted_after_searches_are_found_and_recall_holds() {
        let vectors = random_vectors(1_600, 64, 3);
        let queries = random_vectors(60, 64, 4);
        let (hnsw, exact) = both(&vectors[..800]);
        assert!(recall_at_10(&hnsw, &exact, &queries) >= 0.99);
        for (number, vector) in vectors.iter().enumerate().skip(800) {
            hnsw.upsert(&id(number), vector.clone()).expect("upsert");
            exact.upsert(&id(number), vector.clone()).expect("upsert");
            if number % 200 == 0 {
                assert_eq!(
                    hnsw.search(vector, 1)[0].0,
                    id(number),
                    "fresh vector {number}"
                );
            }
        }
        assert_eq!(hnsw.len(), 1_600);
        let recall = recall_at_10(&hnsw, &exact, &queries);
        assert!(recall >= 0.99, "recall@10 after growing {recall}");
    }

    #[test]
    fn removed_and_replaced_vectors_are_never_returned_and_dead_nodes_are_rebuilt_away() {
        let vectors = random_vectors(1_000, 48, 5);
        let queries = random_vectors(60, 48, 6);
        let (hnsw, exact) = both(&vectors);
        // Remove a third: they still route searches but must never be returned.
        for number in (0..1_000).filter(|number| number % 3 == 0) {
            assert!(hnsw.remove(&id(number)) && exact.remove(&id(number)));
        }
        assert!(!hnsw.remove(&id(0)));
        assert_eq!(hnsw.len(), exact.len());
        assert!(hnsw.read().deleted_count > 0, "no rebuild yet");
        for query in &queries {
            for (found, _) in hnsw.search(query, 10) {
                let number: usize = found[1..].parse().expect("id");
                assert_ne!(number % 3, 0, "{found} was removed");
            }
        }
        assert!(recall_at_10(&hnsw, &exact, &queries) >= 0.99);
        // Replacing moves an id to its new vector.
        hnsw.upsert(&id(1), vectors[2].clone()).expect("replace");
        exact.upsert(&id(1), vectors[2].clone()).expect("replace");
        let top_two: Vec<String> = hnsw
            .search(&vectors[2], 2)
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        assert_eq!(top_two, [id(1), id(2)]);
        // Removing most of the rest outnumbers the live nodes: the graph is rebuilt without them.
        for number in (0..900).filter(|number| number % 3 != 0) {
            hnsw.remove(&id(number));
            exact.remove(&id(number));
        }
        let graph = hnsw.read();
        // 1,001 nodes were inserted (one replacement); a rebuild dropped the dead ones, and the
        // deletions since then are again bounded by the rebuild rule.
        assert!(graph.ids.len() < 700, "rebuilt: {} nodes", graph.ids.len());
        assert!(!graph.should_rebuild());
        drop(graph);
        assert_eq!(hnsw.len(), exact.len());
        assert!(recall_at_10(&hnsw, &exact, &queries) >= 0.99);
    }

    /// Every node's neighbours on every layer it is on.
    fn all_links(index: &HnswVectorIndex) -> Vec<Vec<Vec<Node>>> {
        let graph = index.read();
        (0..graph.ids.len() as Node)
            .map(|node| {
                (0..=graph.level(node))
                    .map(|layer| graph.neighbors(node, layer).to_vec())
                    .collect()
            })
            .collect()
    }

    #[test]
    fn the_same_seed_and_order_build_the_same_graph() {
        let vectors = random_vectors(300, 16, 7);
        let build = |seed: u64| {
            let parameters = HnswParameters {
                seed,
                ..graph_only()
            };
            let index = HnswVectorIndex::with_parameters(None, parameters);
            for (number, vector) in vectors.iter().enumerate() {
                index.upsert(&id(number), vector.clone()).expect("upsert");
            }
            index
        };
        let (first, second, other_seed) = (build(1), build(1), build(2));
        assert_eq!(all_links(&first), all_links(&second));
        assert_ne!(all_links(&first), all_links(&other_seed));
        let query = &random_vectors(1, 16, 8)[0];
        assert_eq!(first.search(query, 20), second.search(query, 20));
    }

    #[test]
    fn small_indexes_are_scanned_and_answer_exactly_like_the_exact_index() {
        let vectors = random_vectors(500, 32, 10);
        let queries = random_vectors(40, 32, 11);
        let (hnsw, exact) = (HnswVectorIndex::new(), InMemoryVectorIndex::new());
        assert!(hnsw.parameters().exhaustive_below >= vectors.len());
        for (number, vector) in vectors.iter().enumerate() {
            hnsw.upsert(&id(number), vector.clone()).expect("upsert");
            exact.upsert(&id(number), vector.clone()).expect("upsert");
        }
        for number in (0..500).step_by(7) {
            assert!(hnsw.remove(&id(number)) && exact.remove(&id(number)));
        }
        for query in &queries {
            for k in [1, 10, 600] {
                let (found, truth) = (hnsw.search(query, k), exact.search(query, k));
                let ids = |list: &[(String, f32)]| -> Vec<String> {
                    list.iter().map(|(id, _)| id.clone()).collect()
                };
                assert_eq!(ids(&found), ids(&truth), "k {k}");
                for ((_, left), (_, right)) in found.iter().zip(&truth) {
                    assert!((left - right).abs() < 1e-5);
                }
            }
        }
    }

    #[test]
    fn levels_follow_the_geometric_distribution() {
        let mut graph = Graph::new(None, &HnswParameters::default());
        let levels: Vec<usize> = (0..20_000).map(|_| graph.draw_level(16)).collect();
        let above_zero = levels.iter().filter(|&&level| level > 0).count() as f64;
        // P(level >= 1) = 1 / M.
        assert!(
            (above_zero / 20_000.0 - 1.0 / 16.0).abs() < 0.01,
            "{above_zero}"
        );
        assert!(levels.iter().all(|&level| level <= MAXIMUM_LEVEL));
    }
}
