//! Locating the real model files for the integration tests.

use faultmaven_llm::ModelPaths;

/// The model paths, failing the test with the fix when the files are not on this machine.
pub fn model_paths() -> ModelPaths {
    let paths = ModelPaths::from_environment();
    assert!(
        paths.smollm2_gguf.exists(),
        "{} is missing: run scripts/fetch-models (or point FAULTMAVEN_MODEL_DIR at the models)",
        paths.smollm2_gguf.display()
    );
    assert!(
        paths.minilm_dir.join("model.safetensors").exists(),
        "{} is missing model.safetensors: run scripts/fetch-models (or point FAULTMAVEN_MODEL_DIR at the models)",
        paths.minilm_dir.display()
    );
    paths
}
