//! LlmProvider and Embedder traits, the embedded candle models and remote providers.
//!
//! Architecture invariant: this is the only crate that knows a model's wire or file format
//! (GGUF, safetensors, chat templates, provider HTTP APIs). Callers see [`LlmProvider`] and
//! [`Embedder`] only.

mod embedder;
mod error;
mod minilm;
mod paths;
mod provider;
mod remote;
mod smollm2;

pub use embedder::{cosine_similarity, Embedder};
pub use error::{LlmError, LlmErrorKind, FETCH_MODELS_HINT};
pub use minilm::{MiniLmEmbedder, MINILM_NAME};
pub use paths::{ModelPaths, MINILM_DIR_NAME, SMOLLM2_DIR_NAME, SMOLLM2_GGUF_NAME};
pub use provider::{
    ChatMessage, ChatRole, FinishReason, Generation, GenerationRequest, LlmProvider, StreamPiece,
};
pub use remote::{
    AnthropicProvider, ApiKey, FallbackProvider, OpenAiCompatibleProvider, RemoteOptions,
    ANTHROPIC_VERSION,
};
pub use smollm2::chat::render_chat_prompt;
pub use smollm2::{
    q8_0_cache_path, EmbeddedLlm, EmbeddedLlmOptions, SmolTokenizer, SMOLLM2_PROVIDER_NAME,
};

/// Helpers shared by the unit tests that need the real model files.
#[cfg(test)]
pub(crate) mod test_support {
    use crate::ModelPaths;

    /// The model paths, failing the test with the fix when the files are not on this machine.
    pub fn model_paths() -> ModelPaths {
        let paths = ModelPaths::from_environment();
        assert!(
            paths.smollm2_gguf.exists(),
            "{} is missing: run scripts/fetch-models (or point FAULTMAVEN_MODEL_DIR at the models)",
            paths.smollm2_gguf.display()
        );
        paths
    }
}
