//! all-MiniLM-L6-v2 sentence embeddings with candle's BERT: mean pooling over real tokens, then
//! L2 normalisation, as sentence-transformers does it.

use crate::error::require_exists;
use crate::{Embedder, LlmError};
use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};
use std::path::Path;
use tokenizers::{PaddingParams, PaddingStrategy, Tokenizer, TruncationParams};

/// The model's name as reported by [`Embedder::name`].
pub const MINILM_NAME: &str = "all-minilm-l6-v2";

/// Longest input in tokens; MiniLM was trained on 256-token windows, so longer text is cut.
const MAX_INPUT_TOKENS: usize = 256;

/// Texts per forward pass: large enough to amortise per-call overhead, small enough that padding to
/// the longest text in the batch stays cheap.
const BATCH_SIZE: usize = 32;

/// The all-MiniLM-L6-v2 embedder (384 dimensions), running on the CPU.
pub struct MiniLmEmbedder {
    model: BertModel,
    tokenizer: Tokenizer,
    dimensions: usize,
    device: Device,
}

impl std::fmt::Debug for MiniLmEmbedder {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("MiniLmEmbedder")
            .field("dimensions", &self.dimensions)
            .finish_non_exhaustive()
    }
}

impl MiniLmEmbedder {
    /// Loads the model from `dir` (model.safetensors, config.json, tokenizer.json), as extracted
    /// by `scripts/fetch-models`.
    pub fn load(dir: &Path) -> Result<Self, LlmError> {
        let weights_path = dir.join("model.safetensors");
        let config_path = dir.join("config.json");
        let tokenizer_path = dir.join("tokenizer.json");
        for path in [&weights_path, &config_path, &tokenizer_path] {
            require_exists(path)?;
        }

        let config_text =
            std::fs::read_to_string(&config_path).map_err(|e| LlmError::load(&config_path, e))?;
        let config: Config =
            serde_json::from_str(&config_text).map_err(|e| LlmError::load(&config_path, e))?;

        let tokenizer = load_tokenizer(&tokenizer_path)?;

        // The workspace forbids unsafe code, so the weights are read into memory rather than
        // memory-mapped (candle's mmap constructor is `unsafe`); the file is ~90 MB and every page
        // would be touched by the first forward pass anyway.
        let device = Device::Cpu;
        let weights = std::fs::read(&weights_path).map_err(|e| LlmError::load(&weights_path, e))?;
        let variables = VarBuilder::from_buffered_safetensors(weights, DType::F32, &device)
            .map_err(|e| LlmError::load(&weights_path, e))?;
        let model =
            BertModel::load(variables, &config).map_err(|e| LlmError::load(&weights_path, e))?;

        Ok(Self {
            model,
            tokenizer,
            dimensions: config.hidden_size,
            device,
        })
    }

    /// Embeds one batch (at most [`BATCH_SIZE`] texts).
    fn embed_batch(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, LlmError> {
        let encodings = self
            .tokenizer
            .encode_batch(texts.to_vec(), true)
            .map_err(LlmError::inference)?;
        let batch = encodings.len();
        let length = encodings.first().map_or(0, |encoding| encoding.len());
        let mut ids = Vec::with_capacity(batch * length);
        let mut type_ids = Vec::with_capacity(batch * length);
        let mut mask = Vec::with_capacity(batch * length);
        for encoding in &encodings {
            ids.extend_from_slice(encoding.get_ids());
            type_ids.extend_from_slice(encoding.get_type_ids());
            mask.extend_from_slice(encoding.get_attention_mask());
        }
        let pooled = (|| -> candle_core::Result<Vec<Vec<f32>>> {
            let ids = Tensor::from_vec(ids, (batch, length), &self.device)?;
            let type_ids = Tensor::from_vec(type_ids, (batch, length), &self.device)?;
            let mask = Tensor::from_vec(mask, (batch, length), &self.device)?;
            let hidden = self.model.forward(&ids, &type_ids, Some(&mask))?;
            // Mean over real tokens only: padding positions carry hidden states too, and counting
            // them would make a text's vector depend on what it was batched with.
            let mask = mask.to_dtype(DType::F32)?.unsqueeze(2)?;
            let summed = hidden.broadcast_mul(&mask)?.sum(1)?;
            let counts = mask.sum(1)?.clamp(1e-9f32, f32::MAX)?;
            let mean = summed.broadcast_div(&counts)?;
            let norms = mean
                .sqr()?
                .sum_keepdim(1)?
                .sqrt()?
                .clamp(1e-12f32, f32::MAX)?;
            mean.broadcast_div(&norms)?.to_vec2::<f32>()
        })();
        pooled.map_err(LlmError::inference)
    }
}

/// Reads tokenizer.json and replaces its fixed 128-token padding with longest-in-batch padding and
/// truncation at [`MAX_INPUT_TOKENS`].
fn load_tokenizer(path: &Path) -> Result<Tokenizer, LlmError> {
    let mut tokenizer = Tokenizer::from_file(path).map_err(|e| LlmError::load(path, e))?;
    let padding = PaddingParams {
        strategy: PaddingStrategy::BatchLongest,
        ..tokenizer.get_padding().cloned().unwrap_or_default()
    };
    tokenizer.with_padding(Some(padding));
    tokenizer
        .with_truncation(Some(TruncationParams {
            max_length: MAX_INPUT_TOKENS,
            ..TruncationParams::default()
        }))
        .map_err(|e| LlmError::load(path, e))?;
    Ok(tokenizer)
}

impl Embedder for MiniLmEmbedder {
    fn name(&self) -> &str {
        MINILM_NAME
    }

    fn dimensions(&self) -> usize {
        self.dimensions
    }

    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, LlmError> {
        let mut vectors = Vec::with_capacity(texts.len());
        for batch in texts.chunks(BATCH_SIZE) {
            vectors.extend(self.embed_batch(batch)?);
        }
        Ok(vectors)
    }
}
