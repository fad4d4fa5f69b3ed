//! The sentence-embedding seam used by knowledge retrieval.

use crate::LlmError;

/// Turns texts into fixed-size vectors whose dot product is their cosine similarity.
pub trait Embedder: Send + Sync + 'static {
    /// The model's name, for example `all-minilm-l6-v2`.
    fn name(&self) -> &str;

    /// Length of every returned vector.
    fn dimensions(&self) -> usize;

    /// Embeds `texts`, one L2-normalised vector per text, in order. Blocking and CPU-heavy: call
    /// it from `spawn_blocking` inside async code. Batches internally.
    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, LlmError>;
}

/// Cosine similarity of two vectors (0 when either is all zeros or the lengths differ).
pub fn cosine_similarity(left: &[f32], right: &[f32]) -> f32 {
    if left.len() != right.len() {
        return 0.0;
    }
    let dot: f32 = left.iter().zip(right).map(|(a, b)| a * b).sum();
    let left_norm = left.iter().map(|a| a * a).sum::<f32>().sqrt();
    let right_norm = right.iter().map(|b| b * b).sum::<f32>().sqrt();
    if left_norm == 0.0 || right_norm == 0.0 {
        0.0
    } else {
        dot / (left_norm * right_norm)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cosine_of_known_vectors() {
        assert!((cosine_similarity(&[1.0, 0.0], &[1.0, 0.0]) - 1.0).abs() < 1e-6);
        assert!(cosine_similarity(&[1.0, 0.0], &[0.0, 2.0]).abs() < 1e-6);
        assert!((cosine_similarity(&[1.0, 1.0], &[-1.0, -1.0]) + 1.0).abs() < 1e-6);
        assert_eq!(cosine_similarity(&[0.0, 0.0], &[1.0, 0.0]), 0.0);
        assert_eq!(cosine_similarity(&[1.0], &[1.0, 0.0]), 0.0);
    }
}
