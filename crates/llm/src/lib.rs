//! LlmProvider and Embedder traits, the embedded candle models and remote providers.
