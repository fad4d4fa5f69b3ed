//! The embedded SmolLM2 provider against the real model: generation, streaming, cancellation,
//! stop strings, the queue bound, prompt truncation and the Q8_0 cache.

mod common;

use faultmaven_llm::{
    ChatMessage, EmbeddedLlm, EmbeddedLlmOptions, FinishReason, GenerationRequest, LlmErrorKind,
    LlmProvider, StreamPiece,
};
use std::sync::Arc;

fn load(options: EmbeddedLlmOptions) -> EmbeddedLlm {
    let paths = common::model_paths();
    EmbeddedLlm::load(&paths.smollm2_gguf, options).expect("load the embedded model")
}

fn question() -> Vec<ChatMessage> {
    vec![
        ChatMessage::system("You are a concise assistant."),
        ChatMessage::user("What is the capital of France?"),
    ]
}

#[tokio::test]
async fn greedy_generation_is_real_and_repeatable() {
    let llm = load(EmbeddedLlmOptions::default());
    assert_eq!(llm.name(), "embedded:smollm2-135m-instruct");
    let request = GenerationRequest::greedy(question(), 40);
    let first = llm.generate(request.clone(), None).await.expect("generate");
    println!("{first:#?}");
    assert!(!first.text.trim().is_empty());
    assert!(first.text.contains("Paris"), "{:?}", first.text);
    assert!(!first.text.contains("<|im_end|>"));
    assert!(!first.text.contains("<|im_start|>"));
    assert_eq!(first.model, "embedded:smollm2-135m-instruct");
    let expected_prompt_tokens = llm.count_prompt_tokens(&question()).expect("count");
    assert_eq!(first.prompt_tokens as usize, expected_prompt_tokens);
    assert!(first.completion_tokens >= 1 && first.completion_tokens <= 40);
    match first.finish_reason {
        FinishReason::Stop => assert!(first.completion_tokens < 40),
        FinishReason::Length => assert_eq!(first.completion_tokens, 40),
        FinishReason::Cancelled => panic!("nothing cancelled this generation"),
    }
    assert!(first.prompt_seconds > 0.0 && first.generation_seconds > 0.0);

    let second = llm.generate(request, None).await.expect("generate again");
    assert_eq!(
        first.text, second.text,
        "greedy decoding must be deterministic"
    );
    assert_eq!(first.completion_tokens, second.completion_tokens);
}

/// The text of a streamed piece; the embedded model never resets its stream.
fn text_of(piece: StreamPiece) -> String {
    match piece {
        StreamPiece::Text(text) => text,
        StreamPiece::Reset { reason } => panic!("unexpected reset: {reason}"),
    }
}

#[tokio::test]
async fn streamed_pieces_add_up_to_the_text() {
    let llm = load(EmbeddedLlmOptions::default());
    let (sender, mut receiver) = tokio::sync::mpsc::channel(8);
    let collector = tokio::spawn(async move {
        let mut pieces = Vec::new();
        while let Some(piece) = receiver.recv().await {
            pieces.push(text_of(piece));
        }
        pieces
    });
    let generation = llm
        .generate(GenerationRequest::greedy(question(), 40), Some(sender))
        .await
        .expect("generate");
    let pieces = collector.await.expect("collector");
    assert!(pieces.len() > 1, "expected several pieces, got {pieces:?}");
    assert!(pieces.iter().all(|piece| !piece.is_empty()));
    assert_eq!(pieces.concat(), generation.text);
}

#[tokio::test]
async fn dropping_the_receiver_cancels_generation() {
    let llm = load(EmbeddedLlmOptions::default());
    let (sender, mut receiver) = tokio::sync::mpsc::channel(1);
    let request = GenerationRequest::greedy(
        vec![ChatMessage::user(
            "Write a long, detailed essay about the history of computing.",
        )],
        300,
    );
    let reader = tokio::spawn(async move {
        let first = receiver.recv().await;
        drop(receiver);
        first
    });
    let generation = llm.generate(request, Some(sender)).await.expect("generate");
    let first_piece = reader.await.expect("reader");
    assert!(first_piece.is_some());
    assert_eq!(generation.finish_reason, FinishReason::Cancelled);
    assert!(
        generation.completion_tokens < 300,
        "cancelled after {} tokens",
        generation.completion_tokens
    );
}

#[tokio::test]
async fn stop_strings_end_generation_before_them() {
    let llm = load(EmbeddedLlmOptions::default());
    let free = llm
        .generate(GenerationRequest::greedy(question(), 40), None)
        .await
        .expect("generate");
    // Greedy decoding is deterministic, so a word from the middle of the free answer is produced
    // again, and the stopped answer must be exactly the text before it.
    let words: Vec<&str> = free.text.split_whitespace().collect();
    assert!(
        words.len() >= 3,
        "answer too short to test stops: {:?}",
        free.text
    );
    let stop_word = words[words.len() / 2];
    let expected = &free.text[..free.text.find(stop_word).expect("word is in text")];
    let mut request = GenerationRequest::greedy(question(), 40);
    request.stop = vec![stop_word.to_string(), String::new()];
    let (sender, mut receiver) = tokio::sync::mpsc::channel(64);
    let stopped = llm.generate(request, Some(sender)).await.expect("generate");
    let mut streamed = String::new();
    while let Some(piece) = receiver.recv().await {
        streamed.push_str(&text_of(piece));
    }
    assert_eq!(stopped.finish_reason, FinishReason::Stop);
    assert_eq!(stopped.text, expected);
    assert_eq!(
        streamed, expected,
        "no part of the stop string may be streamed"
    );
}

#[tokio::test]
async fn more_than_one_running_plus_the_queue_is_busy() {
    let llm = Arc::new(load(EmbeddedLlmOptions {
        max_queue: 2,
        ..EmbeddedLlmOptions::default()
    }));
    let calls = (0..6).map(|_| {
        let llm = Arc::clone(&llm);
        async move {
            llm.generate(GenerationRequest::greedy(question(), 8), None)
                .await
        }
    });
    let results = futures_join_all(calls).await;
    let busy = results
        .iter()
        .filter(|result| matches!(result, Err(error) if error.kind() == LlmErrorKind::Busy))
        .count();
    let served = results.iter().filter(|result| result.is_ok()).count();
    assert_eq!((served, busy), (3, 3), "{results:?}");

    // Once the queue drains, requests are served again.
    llm.generate(GenerationRequest::greedy(question(), 4), None)
        .await
        .expect("served after the burst");
}

/// Polls all futures concurrently on this task, in order (what `futures::future::join_all` does,
/// without the dependency).
async fn futures_join_all<F: std::future::Future>(
    futures: impl Iterator<Item = F>,
) -> Vec<F::Output> {
    let handles: Vec<_> = futures.map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = handles.iter().map(|_| None).collect();
    let mut handles: Vec<Option<_>> = handles.into_iter().map(Some).collect();
    std::future::poll_fn(|context| {
        let mut pending = false;
        for (slot, output) in handles.iter_mut().zip(outputs.iter_mut()) {
            if let Some(future) = slot {
                match future.as_mut().poll(context) {
                    std::task::Poll::Ready(value) => {
                        *output = Some(value);
                        *slot = None;
                    }
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    outputs.into_iter().flatten().collect()
}

#[tokio::test]
async fn an_over_long_prompt_is_truncated_not_rejected() {
    let llm = load(EmbeddedLlmOptions {
        max_context_tokens: Some(512),
        ..EmbeddedLlmOptions::default()
    });
    assert_eq!(llm.context_tokens(), 512);
    let log: String = (0..400)
        .map(|line| {
            format!(
                "2024-05-01T12:00:{:02}Z worker-{line} ERROR disk full on /var\n",
                line % 60
            )
        })
        .collect();
    let messages = vec![
        ChatMessage::system("You summarise logs."),
        ChatMessage::user(format!("{log}\nSummarise the logs above in one sentence.")),
    ];
    assert!(llm.count_prompt_tokens(&messages).expect("count") > 512);
    let generation = llm
        .generate(GenerationRequest::greedy(messages, 32), None)
        .await
        .expect("generate");
    assert!(
        generation.prompt_tokens as usize + 32 <= 512,
        "{generation:?}"
    );
    assert!(generation.completion_tokens >= 1);
}

#[tokio::test]
async fn invalid_requests_are_rejected() {
    let llm = load(EmbeddedLlmOptions::default());
    let empty = llm
        .generate(GenerationRequest::greedy(Vec::new(), 8), None)
        .await
        .expect_err("no messages");
    assert_eq!(empty.kind(), LlmErrorKind::InvalidRequest);
    let mut negative = GenerationRequest::greedy(question(), 8);
    negative.temperature = -1.0;
    let error = llm
        .generate(negative, None)
        .await
        .expect_err("negative temperature");
    assert_eq!(error.kind(), LlmErrorKind::InvalidRequest);
}

#[tokio::test]
async fn sampling_with_a_seed_is_repeatable() {
    let llm = load(EmbeddedLlmOptions::default());
    let mut request = GenerationRequest::greedy(question(), 24);
    request.temperature = 0.8;
    let first = llm.generate(request.clone(), None).await.expect("generate");
    let second = llm.generate(request, None).await.expect("generate");
    assert!(!first.text.is_empty());
    assert_eq!(first.text, second.text);
}

#[test]
fn loads_the_cached_q8_0_weights_by_default() {
    let llm = load(EmbeddedLlmOptions::default());
    let loaded = llm.weights_path().to_path_buf();
    assert_eq!(
        loaded.file_name().and_then(|name| name.to_str()),
        Some("SmolLM2-135M-Instruct.q8_0.gguf")
    );
    assert!(loaded.exists());
    let original = load(EmbeddedLlmOptions {
        convert_to_q8_0: false,
        ..EmbeddedLlmOptions::default()
    });
    assert_eq!(original.weights_path(), common::model_paths().smollm2_gguf);
}

#[test]
fn converts_once_then_reuses_the_cache() {
    let directory = tempfile::tempdir().expect("temp dir");
    let copy = directory.path().join("SmolLM2-135M-Instruct.Q4_1.gguf");
    std::fs::copy(common::model_paths().smollm2_gguf, &copy).expect("copy gguf");
    let first = EmbeddedLlm::load(&copy, EmbeddedLlmOptions::default()).expect("first load");
    assert!(first.conversion_seconds().is_some(), "first load converts");
    let cached = directory.path().join("SmolLM2-135M-Instruct.q8_0.gguf");
    assert_eq!(first.weights_path(), cached);
    let second = EmbeddedLlm::load(&copy, EmbeddedLlmOptions::default()).expect("second load");
    assert!(
        second.conversion_seconds().is_none(),
        "second load reuses the cache"
    );
    assert_eq!(second.weights_path(), cached);
    let leftovers: Vec<_> = std::fs::read_dir(directory.path())
        .expect("list")
        .filter_map(Result::ok)
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.contains("partial"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}

#[test]
fn missing_model_is_reported_with_the_fix() {
    let error = EmbeddedLlm::load(
        std::path::Path::new("/nonexistent/SmolLM2-135M-Instruct.Q4_1.gguf"),
        EmbeddedLlmOptions::default(),
    )
    .expect_err("missing file");
    assert_eq!(error.kind(), LlmErrorKind::ModelMissing);
    assert!(
        error.to_string().contains("scripts/fetch-models"),
        "{error}"
    );
}

#[test]
fn an_unwritable_cache_falls_back_to_the_original_weights() {
    // Running as root ignores directory permissions, so the cache is made unwritable by putting a
    // non-empty directory where the converted file would go: the rename onto it fails.
    let directory = tempfile::tempdir().expect("temp dir");
    let copy = directory.path().join("SmolLM2-135M-Instruct.Q4_1.gguf");
    std::fs::copy(common::model_paths().smollm2_gguf, &copy).expect("copy gguf");
    let blocker = directory.path().join("SmolLM2-135M-Instruct.q8_0.gguf");
    std::fs::create_dir(&blocker).expect("blocker dir");
    std::fs::write(blocker.join("keep"), b"x").expect("blocker file");

    let llm = EmbeddedLlm::load(&copy, EmbeddedLlmOptions::default()).expect("load falls back");
    assert_eq!(llm.weights_path(), copy);
    assert!(llm.conversion_seconds().is_none());
    let leftovers: Vec<_> = std::fs::read_dir(directory.path())
        .expect("list")
        .filter_map(Result::ok)
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.contains("partial"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}
