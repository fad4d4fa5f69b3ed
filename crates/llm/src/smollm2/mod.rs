//! The embedded default LLM: SmolLM2-135M-Instruct from a GGUF file, run on the CPU with candle.
//!
//! Weights are loaded once and shared. candle's `quantized_llama::ModelWeights` keeps the KV cache
//! inside its layers, so each generation works on its own clone of the loaded model: the clone
//! shares every weight tensor (they are reference-counted) and starts with an empty cache, so no
//! state leaks from one request to the next and nothing has to be reset. Generations run one at a
//! time on a blocking thread; a bounded queue in front turns overload into [`LlmError::Busy`].

pub mod chat;
mod requantize;
mod stop;
mod tokenizer;
mod truncate;

use crate::error::require_exists;
use crate::{FinishReason, Generation, GenerationRequest, LlmError, LlmProvider, StreamPiece};
use async_trait::async_trait;
use candle_core::quantized::gguf_file;
use candle_core::{Device, Tensor};
use candle_transformers::generation::LogitsProcessor;
use candle_transformers::models::quantized_llama::{ModelWeights, MAX_SEQ_LEN};
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;
use stop::{ScanStep, StopScanner};
use tokio::sync::{mpsc, Semaphore};

pub use requantize::converted_path as q8_0_cache_path;
pub use tokenizer::SmolTokenizer;

/// The provider name reported by [`LlmProvider::name`].
pub const SMOLLM2_PROVIDER_NAME: &str = "embedded:smollm2-135m-instruct";

/// Prompt tokens fed to the model per forward pass. Feeding a long prompt at once would build an
/// attention matrix of heads x prompt x prompt floats (600 MB at 4096 tokens); chunks bound it.
const PROMPT_CHUNK_TOKENS: usize = 512;

/// Inserted where the middle of an over-long prompt was cut, so the model knows text is missing.
const TRUNCATION_MARKER: &str = "\n[... earlier content truncated ...]\n";

/// How the embedded model is loaded and how it samples.
#[derive(Debug, Clone, PartialEq)]
pub struct EmbeddedLlmOptions {
    /// Requests allowed to wait while one generation runs; more concurrent requests get
    /// [`LlmError::Busy`] at once.
    pub max_queue: usize,
    /// Convert the weights to Q8_0 once and cache the converted GGUF next to the original (about
    /// 6x faster on CPUs without a Q4_1 kernel). If the directory is read-only, the original is
    /// used and a warning is logged.
    pub convert_to_q8_0: bool,
    /// Seed of the sampler when temperature > 0; the same request with the same seed gives the
    /// same text.
    pub seed: u64,
    /// Nucleus sampling threshold when temperature > 0 (None samples from the whole distribution).
    pub top_p: Option<f64>,
    /// Penalty on tokens generated recently (1.0 disables it); a small model loops without it.
    pub repeat_penalty: f32,
    /// How many of the most recent generated tokens the repeat penalty looks at.
    pub repeat_last_n: usize,
    /// Upper bound on the context window (None: what the model and candle support).
    pub max_context_tokens: Option<usize>,
}

impl Default for EmbeddedLlmOptions {
    fn default() -> Self {
        Self {
            max_queue: 4,
            convert_to_q8_0: true,
            seed: 299_792_458,
            top_p: None,
            repeat_penalty: 1.1,
            repeat_last_n: 64,
            max_context_tokens: None,
        }
    }
}

/// SmolLM2-135M-Instruct running in-process; see the module documentation.
pub struct EmbeddedLlm {
    engine: Arc<Engine>,
    /// Permits for running plus waiting requests (1 + max_queue).
    admission: Arc<Semaphore>,
    /// One permit: generations run one at a time (two would only share the same two cores).
    running: Arc<Semaphore>,
    load_seconds: f64,
    conversion_seconds: Option<f64>,
    weights_path: PathBuf,
}

impl std::fmt::Debug for EmbeddedLlm {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("EmbeddedLlm")
            .field("weights_path", &self.weights_path)
            .field("context_tokens", &self.engine.context_tokens)
            .field("load_seconds", &self.load_seconds)
            .finish_non_exhaustive()
    }
}

/// What the blocking generation needs, shared with the blocking threads.
struct Engine {
    model: ModelWeights,
    tokenizer: SmolTokenizer,
    context_tokens: usize,
    options: EmbeddedLlmOptions,
}

impl EmbeddedLlm {
    /// Loads the model from `gguf` (the GGUF as shipped; see [`EmbeddedLlmOptions::convert_to_q8_0`]).
    pub fn load(gguf: &Path, options: EmbeddedLlmOptions) -> Result<Self, LlmError> {
        require_exists(gguf)?;
        let mut conversion_seconds = None;
        let weights_path = if options.convert_to_q8_0 {
            let started = Instant::now();
            let (path, converted_now) = choose_q8_0_weights(gguf);
            if converted_now {
                conversion_seconds = Some(started.elapsed().as_secs_f64());
            }
            path
        } else {
            gguf.to_path_buf()
        };

        let started = Instant::now();
        let loaded = match load_engine(&weights_path, &options) {
            Ok(engine) => (engine, weights_path),
            Err(error) if weights_path != gguf => {
                tracing::warn!(
                    path = %weights_path.display(),
                    %error,
                    "cannot load the converted q8_0 weights; using the original file"
                );
                (load_engine(gguf, &options)?, gguf.to_path_buf())
            }
            Err(error) => return Err(error),
        };
        let (engine, weights_path) = loaded;
        let load_seconds = started.elapsed().as_secs_f64();
        tracing::info!(
            path = %weights_path.display(),
            load_seconds,
            context_tokens = engine.context_tokens,
            "embedded llm loaded"
        );
        Ok(Self {
            admission: Arc::new(Semaphore::new(1 + options.max_queue)),
            running: Arc::new(Semaphore::new(1)),
            engine: Arc::new(engine),
            load_seconds,
            conversion_seconds,
            weights_path,
        })
    }

    /// Seconds spent reading the weights and building the tokenizer (excluding a first-time Q8_0
    /// conversion).
    pub fn load_seconds(&self) -> f64 {
        self.load_seconds
    }

    /// Seconds spent converting to Q8_0, when this load had to do it.
    pub fn conversion_seconds(&self) -> Option<f64> {
        self.conversion_seconds
    }

    /// The GGUF file actually loaded (the Q8_0 cache or the original).
    pub fn weights_path(&self) -> &Path {
        &self.weights_path
    }

    /// Prompt tokens `messages` would take (chat template and default system prompt included),
    /// before any truncation; lets a caller budget its prompt.
    pub fn count_prompt_tokens(&self, messages: &[crate::ChatMessage]) -> Result<usize, LlmError> {
        Ok(self
            .engine
            .tokenizer
            .encode_chat(messages)?
            .iter()
            .map(Vec::len)
            .sum())
    }

    /// The tokenizer, for callers that need exact token counts of text.
    pub fn tokenizer(&self) -> &SmolTokenizer {
        &self.engine.tokenizer
    }
}

/// The Q8_0 cache if it is current or can be made; the original otherwise. The flag says whether a
/// conversion ran now.
fn choose_q8_0_weights(original: &Path) -> (PathBuf, bool) {
    let converted = requantize::converted_path(original);
    if requantize::is_current(original, &converted) {
        return (converted, false);
    }
    let needs_conversion = File::open(original)
        .ok()
        .and_then(|file| gguf_file::Content::read(&mut BufReader::new(file)).ok())
        .is_some_and(|content| requantize::needs_conversion(&content));
    if !needs_conversion {
        return (original.to_path_buf(), false);
    }
    tracing::info!(from = %original.display(), to = %converted.display(), "converting weights to q8_0 once");
    match requantize::convert_to_q8_0(original) {
        Ok(path) => (path, true),
        Err(error) => {
            tracing::warn!(
                %error,
                "cannot write the q8_0 cache (read-only directory?); using the original weights, which run several times slower"
            );
            (original.to_path_buf(), false)
        }
    }
}

fn load_engine(path: &Path, options: &EmbeddedLlmOptions) -> Result<Engine, LlmError> {
    let file = File::open(path).map_err(|e| LlmError::load(path, e))?;
    let mut reader = BufReader::new(file);
    let content = gguf_file::Content::read(&mut reader).map_err(|e| LlmError::load(path, e))?;
    let tokenizer = SmolTokenizer::from_gguf(&content, path)?;
    let trained_context = content
        .metadata
        .get("llama.context_length")
        .and_then(|value| value.to_u32().ok())
        .map_or(MAX_SEQ_LEN, |tokens| tokens as usize);
    // candle precomputes rotary embeddings for MAX_SEQ_LEN positions; beyond that the model
    // cannot attend, whatever the GGUF says it was trained for.
    let context_tokens = trained_context
        .min(MAX_SEQ_LEN)
        .min(options.max_context_tokens.unwrap_or(usize::MAX))
        .max(16);
    let model = ModelWeights::from_gguf(content, &mut reader, &Device::Cpu)
        .map_err(|e| LlmError::load(path, e))?;
    Ok(Engine {
        model,
        tokenizer,
        context_tokens,
        options: options.clone(),
    })
}

/// Set when the caller's future is dropped, so a generation nobody waits for stops early.
struct AbandonOnDrop(Arc<AtomicBool>);

impl Drop for AbandonOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

#[async_trait]
impl LlmProvider for EmbeddedLlm {
    fn name(&self) -> &str {
        SMOLLM2_PROVIDER_NAME
    }

    fn context_tokens(&self) -> usize {
        self.engine.context_tokens
    }

    async fn generate(
        &self,
        request: GenerationRequest,
        tokens: Option<mpsc::Sender<StreamPiece>>,
    ) -> Result<Generation, LlmError> {
        validate(&request)?;
        let admission = Arc::clone(&self.admission)
            .try_acquire_owned()
            .map_err(|_| LlmError::Busy)?;
        let running = Arc::clone(&self.running)
            .acquire_owned()
            .await
            .map_err(|_| LlmError::Cancelled)?;
        let abandoned = Arc::new(AtomicBool::new(false));
        let _abandon_on_drop = AbandonOnDrop(Arc::clone(&abandoned));
        let engine = Arc::clone(&self.engine);
        let worker = tokio::task::spawn_blocking(move || {
            // The permits live as long as the work, even if the caller stops waiting.
            let _permits = (admission, running);
            engine.generate(&request, tokens.as_ref(), &abandoned)
        });
        match worker.await {
            Ok(result) => result,
            Err(join_error) if join_error.is_panic() => Err(LlmError::Inference(
                "generation thread panicked".to_string(),
            )),
            Err(_) => Err(LlmError::Cancelled),
        }
    }
}

fn validate(request: &GenerationRequest) -> Result<(), LlmError> {
    if request.messages.is_empty() {
        return Err(LlmError::InvalidRequest("no messages".to_string()));
    }
    if !request.temperature.is_finite() || request.temperature < 0.0 {
        return Err(LlmError::InvalidRequest(format!(
            "temperature must be a finite number >= 0, got {}",
            request.temperature
        )));
    }
    Ok(())
}

impl Engine {
    fn generate(
        &self,
        request: &GenerationRequest,
        sender: Option<&mpsc::Sender<StreamPiece>>,
        abandoned: &AtomicBool,
    ) -> Result<Generation, LlmError> {
        let segments = self.tokenizer.encode_chat(&request.messages)?;
        let requested = request.max_tokens as usize;
        // Reserve room to answer, but never more than half the window: the prompt carries the
        // evidence, and an answer without it is worthless.
        let reserved = requested.min(self.context_tokens / 2);
        let marker = self.tokenizer.encode_text(TRUNCATION_MARKER)?;
        let prompt = truncate::fit_prompt(&segments, self.context_tokens - reserved, &marker);
        let full_length: usize = segments.iter().map(Vec::len).sum();
        if prompt.len() < full_length {
            tracing::warn!(
                prompt_tokens = full_length,
                kept = prompt.len(),
                context = self.context_tokens,
                "prompt truncated to fit the context window"
            );
        }
        let max_new_tokens = requested.min(self.context_tokens - prompt.len());

        let mut generation = Generation {
            text: String::new(),
            model: SMOLLM2_PROVIDER_NAME.to_string(),
            prompt_tokens: u32::try_from(prompt.len()).unwrap_or(u32::MAX),
            completion_tokens: 0,
            finish_reason: FinishReason::Length,
            prompt_seconds: 0.0,
            generation_seconds: 0.0,
            fallback_reason: None,
        };
        let cancelled =
            || abandoned.load(Ordering::Relaxed) || sender.is_some_and(|s| s.is_closed());
        if cancelled() {
            generation.finish_reason = FinishReason::Cancelled;
            return Ok(generation);
        }
        if max_new_tokens == 0 {
            return Ok(generation);
        }

        // A clone shares the weights and starts with an empty KV cache.
        let mut model = self.model.clone();
        let prompt_started = Instant::now();
        let prefilled = prefill(&mut model, &prompt, PROMPT_CHUNK_TOKENS, &cancelled)?;
        generation.prompt_seconds = prompt_started.elapsed().as_secs_f64();
        let Some(mut logits) = prefilled else {
            generation.finish_reason = FinishReason::Cancelled;
            return Ok(generation);
        };

        let generation_started = Instant::now();
        let temperature = f64::from(request.temperature);
        let mut sampler = LogitsProcessor::new(
            self.options.seed,
            (temperature > 0.0).then_some(temperature),
            self.options.top_p,
        );
        let mut stop_scanner = StopScanner::new(&request.stop);
        let mut decoder = self.tokenizer.decoder().decode_stream(true);
        let mut generated: Vec<u32> = Vec::with_capacity(max_new_tokens);
        // False when the receiver is gone: the client went away.
        let send = |piece: String| -> bool {
            match sender {
                Some(sender) if !piece.is_empty() => {
                    sender.blocking_send(StreamPiece::Text(piece)).is_ok()
                }
                _ => true,
            }
        };

        let finish_reason = loop {
            if cancelled() {
                break FinishReason::Cancelled;
            }
            let next = self.sample(&mut sampler, &logits, &generated)?;
            if self.tokenizer.end_of_turn_ids().contains(&next) {
                break FinishReason::Stop;
            }
            generated.push(next);
            let piece = decoder.step(next).map_err(LlmError::inference)?;
            let step = stop_scanner.push(piece.as_deref().unwrap_or(""));
            let (released, stopped) = match step {
                ScanStep::Continue(text) => (text, false),
                ScanStep::Stopped(text) => (text, true),
            };
            if !send(released) {
                break FinishReason::Cancelled;
            }
            if stopped {
                break FinishReason::Stop;
            }
            if generated.len() >= max_new_tokens {
                break FinishReason::Length;
            }
            logits = forward(&mut model, &[next], prompt.len() + generated.len() - 1)?;
        };
        if finish_reason != FinishReason::Cancelled {
            // Text held back as a possible stop-string prefix turned out not to be one.
            let rest = stop_scanner.finish();
            generation.finish_reason = if send(rest) {
                finish_reason
            } else {
                FinishReason::Cancelled
            };
        } else {
            generation.finish_reason = FinishReason::Cancelled;
        }
        generation.text = stop_scanner.into_text();
        generation.completion_tokens = u32::try_from(generated.len()).unwrap_or(u32::MAX);
        generation.generation_seconds = generation_started.elapsed().as_secs_f64();
        Ok(generation)
    }

    fn sample(
        &self,
        sampler: &mut LogitsProcessor,
        logits: &Tensor,
        generated: &[u32],
    ) -> Result<u32, LlmError> {
        let penalty = self.options.repeat_penalty;
        // Only generated tokens are penalised: the prompt ends with <|im_end|> and the template
        // markers, and penalising those would discourage the model from ending its turn.
        let logits = if penalty != 1.0 && !generated.is_empty() {
            let recent = &generated[generated.len().saturating_sub(self.options.repeat_last_n)..];
            candle_transformers::utils::apply_repeat_penalty(logits, penalty, recent)
                .map_err(LlmError::inference)?
        } else {
            logits.clone()
        };
        sampler.sample(&logits).map_err(LlmError::inference)
    }
}

/// Feeds the prompt in chunks of `chunk_tokens`; returns the logits after its last token, or None if
/// `cancelled` became true between chunks.
fn prefill(
    model: &mut ModelWeights,
    prompt: &[u32],
    chunk_tokens: usize,
    cancelled: &dyn Fn() -> bool,
) -> Result<Option<Tensor>, LlmError> {
    let mut logits = None;
    let mut position = 0;
    for chunk in prompt.chunks(chunk_tokens.max(1)) {
        if cancelled() {
            return Ok(None);
        }
        logits = Some(forward(model, chunk, position)?);
        position += chunk.len();
    }
    match logits {
        Some(logits) => Ok(Some(logits)),
        None => Err(LlmError::Inference("empty prompt".to_string())),
    }
}

/// Runs `tokens` at `position` through the model; returns the next-token logits as a 1-D tensor.
fn forward(model: &mut ModelWeights, tokens: &[u32], position: usize) -> Result<Tensor, LlmError> {
    let input = Tensor::new(tokens, &Device::Cpu)
        .and_then(|tensor| tensor.unsqueeze(0))
        .map_err(LlmError::inference)?;
    model
        .forward(&input, position)
        .and_then(|logits| logits.squeeze(0))
        .map_err(LlmError::inference)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Largest absolute difference, scale of the reference, and how many of the reference's ten
    /// most likely next tokens are also in the other's ten.
    fn compare(reference: &Tensor, other: &Tensor) -> (f32, f32, usize) {
        let values = |t: &Tensor| t.to_vec1::<f32>().expect("logits");
        let (reference, other) = (values(reference), values(other));
        let top_ten = |logits: &[f32]| {
            let mut ids: Vec<usize> = (0..logits.len()).collect();
            ids.sort_by(|&a, &b| logits[b].total_cmp(&logits[a]));
            ids.truncate(10);
            ids
        };
        let difference = reference
            .iter()
            .zip(&other)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f32::max);
        let scale = reference.iter().map(|a| a.abs()).fold(0.0, f32::max);
        let (reference_top, other_top) = (top_ten(&reference), top_ten(&other));
        let shared = reference_top
            .iter()
            .filter(|id| other_top.contains(id))
            .count();
        assert_eq!(
            reference_top[0], other_top[0],
            "most likely next token differs"
        );
        (difference, scale, shared)
    }

    #[test]
    fn chunked_prefill_matches_token_by_token_decoding() {
        let original = crate::test_support::model_paths().smollm2_gguf;
        // Q8_0 runs several times faster than Q4_1, which keeps this 200-step test short.
        let (path, _) = choose_q8_0_weights(&original);
        let engine = load_engine(&path, &EmbeddedLlmOptions::default()).expect("load");
        let text: String = (0..12)
            .map(|i| format!("line {i}: GET /api/v1/orders 503 upstream timed out after 30s\n"))
            .collect();
        let prompt = engine.tokenizer.encode_text(&text).expect("encode");
        assert!(prompt.len() > 200, "{}", prompt.len());
        let never = || false;
        let run = |chunk: usize| {
            prefill(&mut engine.model.clone(), &prompt, chunk, &never)
                .expect("prefill")
                .expect("logits")
        };
        // One token at a time uses no mask at all, so it is the reference for the rectangular
        // masks of chunked prefill. Different chunk sizes take different quantised matmul paths,
        // so logits agree to quantisation noise (measured ~2% of the largest logit), not exactly;
        // a wrong mask changes the prediction itself.
        let reference = run(1);
        for chunk in [prompt.len(), 64, 7] {
            let (difference, scale, shared) = compare(&reference, &run(chunk));
            assert!(
                difference < 0.05 * scale && shared >= 8,
                "chunk {chunk}: max difference {difference} (largest logit {scale}), top-10 shared {shared}"
            );
        }
    }

    #[test]
    fn context_is_capped_by_what_candle_supports() {
        let path = crate::test_support::model_paths().smollm2_gguf;
        let engine = load_engine(&path, &EmbeddedLlmOptions::default()).expect("load");
        // The GGUF says 8192; candle's rotary tables stop at MAX_SEQ_LEN.
        assert_eq!(engine.context_tokens, MAX_SEQ_LEN);
    }
}
