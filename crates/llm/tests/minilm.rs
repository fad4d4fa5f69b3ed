//! The MiniLM embedder against the real model: reference similarities, normalisation and batching.

mod common;

use faultmaven_llm::{cosine_similarity, Embedder, LlmErrorKind, MiniLmEmbedder};
use std::sync::OnceLock;

fn embedder() -> &'static MiniLmEmbedder {
    static EMBEDDER: OnceLock<MiniLmEmbedder> = OnceLock::new();
    EMBEDDER.get_or_init(|| {
        MiniLmEmbedder::load(&common::model_paths().minilm_dir).expect("load minilm")
    })
}

fn check_similarity(left: &str, right: &str, expected: f32) {
    let vectors = embedder().embed(&[left, right]).expect("embed");
    let similarity = cosine_similarity(&vectors[0], &vectors[1]);
    assert!(
        (similarity - expected).abs() < 0.005,
        "cos({left:?}, {right:?}) = {similarity}, expected {expected}"
    );
}

#[test]
fn similarities_match_the_reference_implementation() {
    check_similarity("disk is full", "no space left on device", 0.634);
    check_similarity("disk is full", "user logged in", 0.158);
}

#[test]
fn vectors_are_unit_length_with_the_model_dimensions() {
    assert_eq!(embedder().name(), "all-minilm-l6-v2");
    assert_eq!(embedder().dimensions(), 384);
    let vectors = embedder()
        .embed(&[
            "connection refused",
            "",
            "OutOfMemoryError: Java heap space",
        ])
        .expect("embed");
    assert_eq!(vectors.len(), 3);
    for vector in &vectors {
        assert_eq!(vector.len(), 384);
        let norm: f32 = vector.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-4, "norm {norm}");
    }
    assert!(embedder().embed(&[]).expect("embed nothing").is_empty());
}

#[test]
fn a_text_embeds_the_same_alone_and_in_a_padded_batch() {
    let short = "disk is full";
    let long = "kernel: EXT4-fs error (device sda1): ext4_find_entry:1455: inode #2: comm systemd: \
                reading directory lblock 0 while the filesystem was remounted read-only after errors";
    let alone = embedder().embed(&[short]).expect("embed alone");
    let batched = embedder().embed(&[long, short]).expect("embed batched");
    let difference: f32 = alone[0]
        .iter()
        .zip(&batched[1])
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f32::max);
    assert!(
        difference < 1e-4,
        "padding changed the vector by {difference}"
    );
}

#[test]
fn large_inputs_are_batched_in_order() {
    let texts: Vec<String> = (0..70)
        .map(|i| format!("request {i} failed with status 500"))
        .collect();
    let borrowed: Vec<&str> = texts.iter().map(String::as_str).collect();
    let vectors = embedder().embed(&borrowed).expect("embed many");
    assert_eq!(vectors.len(), 70);
    let sixty_nine = embedder().embed(&[borrowed[69]]).expect("embed one");
    assert!(cosine_similarity(&vectors[69], &sixty_nine[0]) > 0.9999);
    // Very long text is truncated, not rejected.
    let very_long = "error ".repeat(2000);
    assert_eq!(
        embedder().embed(&[&very_long]).expect("embed long").len(),
        1
    );
}

#[test]
fn missing_model_is_reported_with_the_fix() {
    let error = MiniLmEmbedder::load(std::path::Path::new("/nonexistent/all-minilm-l6-v2"))
        .expect_err("missing dir");
    assert_eq!(error.kind(), LlmErrorKind::ModelMissing);
    assert!(
        error.to_string().contains("scripts/fetch-models"),
        "{error}"
    );
}
