//! The vector index seam and two in-memory implementations: an exact one (the reference) and an
//! approximate HNSW graph (the default for retrieval, [`HnswVectorIndex`]).

mod hnsw;

pub use hnsw::{HnswParameters, HnswVectorIndex};

use crate::StoreError;
use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::{PoisonError, RwLock};

/// Nearest-neighbour search over embedding vectors, by cosine similarity.
///
/// Calls are synchronous and cheap enough for request paths at the sizes this is used for
/// (thousands of vectors); a backend that does I/O should keep a cache behind this trait.
pub trait VectorIndex: Send + Sync + 'static {
    /// Stores `vector` under `id`, replacing what was there.
    fn upsert(&self, id: &str, vector: Vec<f32>) -> Result<(), StoreError>;

    /// Removes `id`; `false` when it was not there.
    fn remove(&self, id: &str) -> bool;

    /// The `k` ids most similar to `query` with their cosine similarity in [-1, 1], best first.
    /// Empty when the query has the wrong dimension or is all zeros.
    fn search(&self, query: &[f32], k: usize) -> Vec<(String, f32)>;

    /// How many vectors are stored.
    fn len(&self) -> usize;

    /// True when no vector is stored.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// An exact index: every search compares the query with every stored vector.
///
/// Vectors are normalised on upsert, so a search is one dot product per vector. Fine for
/// thousands of vectors; beyond that [`HnswVectorIndex`] answers in a fraction of the time and
/// this index stays the reference it is measured against. All
/// vectors have one dimension: fixed at construction ([`InMemoryVectorIndex::with_dimensions`])
/// or by the first upsert ([`InMemoryVectorIndex::new`]).
#[derive(Debug, Default)]
pub struct InMemoryVectorIndex {
    entries: RwLock<Entries>,
}

/// Vectors stored contiguously (row `i` belongs to `ids[i]`) so a search walks memory in order.
#[derive(Debug, Default)]
struct Entries {
    /// `None` until fixed by the constructor or the first upsert.
    dimensions: Option<usize>,
    ids: Vec<String>,
    rows: Vec<f32>,
    row_of: HashMap<String, usize>,
}

impl InMemoryVectorIndex {
    /// An empty index whose dimension is set by the first vector upserted.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty index of vectors with `dimensions` components.
    pub fn with_dimensions(dimensions: usize) -> Self {
        Self {
            entries: RwLock::new(Entries {
                dimensions: Some(dimensions),
                ..Entries::default()
            }),
        }
    }

    /// The number of components every vector must have, once known.
    pub fn dimensions(&self) -> Option<usize> {
        self.read().dimensions
    }

    // The lock guards plain data that every method leaves consistent before anything can panic,
    // so a poisoned lock is safe to take over.
    fn read(&self) -> std::sync::RwLockReadGuard<'_, Entries> {
        self.entries.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Entries> {
        self.entries.write().unwrap_or_else(PoisonError::into_inner)
    }
}

/// `vector` scaled to length 1, or why it cannot be.
fn normalised(mut vector: Vec<f32>) -> Result<Vec<f32>, &'static str> {
    if vector.iter().any(|component| !component.is_finite()) {
        return Err("a component is NaN or infinite");
    }
    let norm = dot(&vector, &vector).sqrt();
    if norm == 0.0 || !norm.is_finite() {
        return Err("the vector has no direction (all zeros or too large)");
    }
    for component in &mut vector {
        *component /= norm;
    }
    Ok(vector)
}

/// Checks `vector` against the index's dimension (any, when not yet fixed) and normalises it:
/// the dimension it fixes and the unit vector, or the error an upsert of it returns.
fn prepared(
    dimensions: Option<usize>,
    id: &str,
    vector: Vec<f32>,
) -> Result<(usize, Vec<f32>), StoreError> {
    let dimensions = dimensions.unwrap_or(vector.len());
    if vector.len() != dimensions {
        return Err(StoreError::DimensionMismatch {
            expected: dimensions,
            actual: vector.len(),
        });
    }
    let vector = normalised(vector).map_err(|reason| StoreError::InvalidVector {
        id: id.to_owned(),
        reason,
    })?;
    Ok((dimensions, vector))
}

/// The dot product, summed in eight independent lanes: floating-point addition is not
/// associative, so a single running sum would stop the compiler from vectorising the loop.
fn dot(left: &[f32], right: &[f32]) -> f32 {
    const LANES: usize = 8;
    let mut lanes = [0.0f32; LANES];
    let (left_chunks, right_chunks) = (left.chunks_exact(LANES), right.chunks_exact(LANES));
    let tail: f32 = left_chunks
        .remainder()
        .iter()
        .zip(right_chunks.remainder())
        .map(|(a, b)| a * b)
        .sum();
    for (a, b) in left_chunks.zip(right_chunks) {
        for ((sum, x), y) in lanes.iter_mut().zip(a).zip(b) {
            *sum += x * y;
        }
    }
    lanes.iter().sum::<f32>() + tail
}

impl VectorIndex for InMemoryVectorIndex {
    fn upsert(&self, id: &str, vector: Vec<f32>) -> Result<(), StoreError> {
        let mut entries = self.write();
        let (dimensions, vector) = prepared(entries.dimensions, id, vector)?;
        entries.dimensions = Some(dimensions);
        match entries.row_of.get(id).copied() {
            Some(row) => {
                let start = row * dimensions;
                entries.rows[start..start + dimensions].copy_from_slice(&vector);
            }
            None => {
                let row = entries.ids.len();
                entries.ids.push(id.to_owned());
                entries.rows.extend_from_slice(&vector);
                entries.row_of.insert(id.to_owned(), row);
            }
        }
        Ok(())
    }

    fn remove(&self, id: &str) -> bool {
        let mut entries = self.write();
        let Some(row) = entries.row_of.remove(id) else {
            return false;
        };
        // A stored row implies a known dimension.
        let dimensions = entries.dimensions.unwrap_or_default();
        // Move the last row into the hole so storage stays contiguous.
        let last = entries.ids.len() - 1;
        if row != last {
            let (start, last_start) = (row * dimensions, last * dimensions);
            entries
                .rows
                .copy_within(last_start..last_start + dimensions, start);
            let moved_id = entries.ids[last].clone();
            entries.row_of.insert(moved_id, row);
        }
        entries.ids.swap_remove(row);
        entries.rows.truncate(last * dimensions);
        true
    }

    fn search(&self, query: &[f32], k: usize) -> Vec<(String, f32)> {
        let entries = self.read();
        if k == 0 || entries.dimensions != Some(query.len()) {
            return Vec::new();
        }
        let Ok(query) = normalised(query.to_vec()) else {
            return Vec::new();
        };
        let mut scored: Vec<(usize, f32)> = entries
            .rows
            .chunks_exact(query.len())
            .map(|row| dot(row, &query))
            .enumerate()
            .collect();
        // Best first; equal scores by id so results do not depend on insertion order.
        let best_first = |left: &(usize, f32), right: &(usize, f32)| {
            right
                .1
                .partial_cmp(&left.1)
                .unwrap_or(Ordering::Equal)
                .then_with(|| entries.ids[left.0].cmp(&entries.ids[right.0]))
        };
        if scored.len() > k {
            scored.select_nth_unstable_by(k - 1, best_first);
            scored.truncate(k);
        }
        scored.sort_unstable_by(best_first);
        scored
            .into_iter()
            .map(|(row, score)| (entries.ids[row].clone(), score.clamp(-1.0, 1.0)))
            .collect()
    }

    fn len(&self) -> usize {
        self.read().ids.len()
    }
}

/// The behaviour every backend shares, run against each of them.
#[cfg(test)]
macro_rules! vector_index_conformance {
    ($module:ident, $index:ty) => {
        #[cfg(test)]
        mod $module {
            use super::*;
            use crate::StoreErrorKind;

            type Index = $index;

            fn index_of(vectors: &[(&str, [f32; 3])]) -> Index {
                let index = Index::with_dimensions(3);
                for (id, vector) in vectors {
                    index.upsert(id, vector.to_vec()).expect("upsert");
                }
                index
            }

            fn check(index: &Index, query: [f32; 3], k: usize, expected: &[(&str, f32)]) {
                let found = index.search(&query, k);
                let ids: Vec<&str> = found.iter().map(|(id, _)| id.as_str()).collect();
                let expected_ids: Vec<&str> = expected.iter().map(|(id, _)| *id).collect();
                assert_eq!(ids, expected_ids, "query {query:?}, k {k}: {found:?}");
                for ((_, score), (id, expected_score)) in found.iter().zip(expected) {
                    assert!(
                        (score - expected_score).abs() < 1e-5,
                        "{id}: score {score}, expected {expected_score}"
                    );
                }
            }

            #[test]
            fn search_returns_the_most_similar_first() {
                let index = index_of(&[
                    ("east", [1.0, 0.0, 0.0]),
                    ("north", [0.0, 5.0, 0.0]),
                    ("north-east", [2.0, 2.0, 0.0]),
                    ("west", [-3.0, 0.0, 0.0]),
                ]);
                let half_root_two = std::f32::consts::FRAC_1_SQRT_2;
                check(
                    &index,
                    [1.0, 0.0, 0.0],
                    4,
                    &[
                        ("east", 1.0),
                        ("north-east", half_root_two),
                        ("north", 0.0),
                        ("west", -1.0),
                    ],
                );
                // Length does not matter, only direction; k cuts the list.
                check(
                    &index,
                    [0.0, 0.1, 0.0],
                    2,
                    &[("north", 1.0), ("north-east", half_root_two)],
                );
                check(&index, [1.0, 1.0, 0.0], 1, &[("north-east", 1.0)]);
                // Asking for more than there is returns everything.
                assert_eq!(index.search(&[0.0, 0.0, 1.0], 10).len(), 4);
                assert!(index.search(&[1.0, 0.0, 0.0], 0).is_empty());
            }

            #[test]
            fn ties_are_ordered_by_id() {
                let index = index_of(&[
                    ("b", [1.0, 0.0, 0.0]),
                    ("c", [0.0, 0.0, 1.0]),
                    ("a", [2.0, 0.0, 0.0]),
                ]);
                check(&index, [1.0, 0.0, 0.0], 2, &[("a", 1.0), ("b", 1.0)]);
            }

            #[test]
            fn wrong_dimension_and_degenerate_vectors_are_refused() {
                let index = Index::with_dimensions(3);
                assert_eq!(index.dimensions(), Some(3));
                let error = index.upsert("short", vec![1.0, 2.0]).expect_err("2 of 3");
                assert!(matches!(
                    error,
                    StoreError::DimensionMismatch {
                        expected: 3,
                        actual: 2
                    }
                ));
                assert_eq!(error.kind(), StoreErrorKind::InvalidInput);
                for bad in [
                    vec![0.0, 0.0, 0.0],
                    vec![1.0, f32::NAN, 0.0],
                    vec![f32::INFINITY, 0.0, 0.0],
                ] {
                    let error = index.upsert("bad", bad.clone()).expect_err("degenerate");
                    assert!(matches!(error, StoreError::InvalidVector { .. }), "{bad:?}");
                }
                assert!(index.is_empty());
                index.upsert("ok", vec![0.0, 1.0, 0.0]).expect("upsert");
                assert!(
                    index.search(&[1.0, 0.0], 5).is_empty(),
                    "query of the wrong dimension"
                );
                assert!(index.search(&[0.0, 0.0, 0.0], 5).is_empty(), "zero query");
            }

            #[test]
            fn the_first_vector_fixes_the_dimension_of_an_unsized_index() {
                let index = Index::new();
                assert_eq!(index.dimensions(), None);
                assert!(index.search(&[1.0, 0.0], 3).is_empty());
                index.upsert("a", vec![1.0, 0.0]).expect("first vector");
                assert_eq!(index.dimensions(), Some(2));
                let error = index.upsert("b", vec![1.0, 0.0, 0.0]).expect_err("3 of 2");
                assert!(matches!(
                    error,
                    StoreError::DimensionMismatch {
                        expected: 2,
                        actual: 3
                    }
                ));
                // Only an accepted vector fixes the dimension.
                let refused = Index::new();
                assert!(refused.upsert("zero", vec![0.0; 4]).is_err());
                assert_eq!(refused.dimensions(), None);
                refused
                    .upsert("ok", vec![0.0, 1.0])
                    .expect("two components");
                assert_eq!(refused.dimensions(), Some(2));
                check_first(&index, [1.0, 0.0], "a");
            }

            fn check_first(index: &Index, query: [f32; 2], expected: &str) {
                let found = index.search(&query, 1);
                assert_eq!(found.first().map(|(id, _)| id.as_str()), Some(expected));
            }

            #[test]
            fn upsert_replaces_and_remove_keeps_the_rest_searchable() {
                let index = index_of(&[
                    ("x", [1.0, 0.0, 0.0]),
                    ("y", [0.0, 1.0, 0.0]),
                    ("z", [0.0, 0.0, 1.0]),
                ]);
                index.upsert("x", vec![0.0, 0.0, -1.0]).expect("replace");
                assert_eq!(index.len(), 3);
                check(&index, [0.0, 0.0, -1.0], 1, &[("x", 1.0)]);

                // Removing the first row moves the last one into its place; both must stay correct.
                assert!(index.remove("x"));
                assert!(!index.remove("x"));
                assert!(!index.remove("never-there"));
                assert_eq!(index.len(), 2);
                check(&index, [0.0, 0.0, 1.0], 2, &[("z", 1.0), ("y", 0.0)]);
                check(&index, [0.0, 1.0, 0.0], 1, &[("y", 1.0)]);
                index
                    .upsert("z", vec![0.0, 1.0, 1.0])
                    .expect("replace moved row");
                check(
                    &index,
                    [0.0, 1.0, 1.0],
                    2,
                    &[("z", 1.0), ("y", std::f32::consts::FRAC_1_SQRT_2)],
                );
                assert!(index.remove("y") && index.remove("z"));
                assert!(index.is_empty());
                assert!(index.search(&[0.0, 1.0, 0.0], 3).is_empty());
            }
        }
    };
}

#[cfg(test)]
vector_index_conformance!(exact_index, InMemoryVectorIndex);
#[cfg(test)]
vector_index_conformance!(hnsw_index, HnswVectorIndex);
