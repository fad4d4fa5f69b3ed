//! Where the model files live on disk, following the same rule as `scripts/fetch-models`.

use std::path::{Path, PathBuf};

/// Directory (under the model directory) holding the SmolLM2 GGUF.
pub const SMOLLM2_DIR_NAME: &str = "smollm2-135m-instruct";
/// File name of the SmolLM2 GGUF as shipped.
pub const SMOLLM2_GGUF_NAME: &str = "SmolLM2-135M-Instruct.Q4_1.gguf";
/// Directory (under the model directory) holding the MiniLM safetensors, config and tokenizer.
pub const MINILM_DIR_NAME: &str = "all-minilm-l6-v2";

/// Paths of the embedded models.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelPaths {
    /// The SmolLM2-135M-Instruct GGUF file (Q4_1 as shipped; the Q8_0 copy is cached next to it).
    pub smollm2_gguf: PathBuf,
    /// The all-MiniLM-L6-v2 directory (model.safetensors, config.json, tokenizer.json).
    pub minilm_dir: PathBuf,
}

impl ModelPaths {
    /// The model paths inside `model_dir`, laid out as `scripts/fetch-models` extracts them.
    pub fn in_dir(model_dir: &Path) -> Self {
        Self {
            smollm2_gguf: model_dir.join(SMOLLM2_DIR_NAME).join(SMOLLM2_GGUF_NAME),
            minilm_dir: model_dir.join(MINILM_DIR_NAME),
        }
    }

    /// The model paths inside [`ModelPaths::default_dir`].
    pub fn from_environment() -> Self {
        Self::in_dir(&Self::default_dir())
    }

    /// The model directory: `$FAULTMAVEN_MODEL_DIR`, else `$FAULTMAVEN_CACHE_DIR/models`, else
    /// `$HOME/.cache/faultmaven/models` (empty variables count as unset, as in the script).
    pub fn default_dir() -> PathBuf {
        resolve_model_dir(|name| std::env::var_os(name))
    }
}

/// The directory rule, with the environment passed in so it can be tested without touching the
/// process environment.
fn resolve_model_dir(variable: impl Fn(&str) -> Option<std::ffi::OsString>) -> PathBuf {
    let non_empty = |name: &str| variable(name).filter(|value| !value.is_empty());
    if let Some(model_dir) = non_empty("FAULTMAVEN_MODEL_DIR") {
        return PathBuf::from(model_dir);
    }
    let cache_dir = non_empty("FAULTMAVEN_CACHE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let home = non_empty("HOME").map(PathBuf::from).unwrap_or_default();
            home.join(".cache").join("faultmaven")
        });
    cache_dir.join("models")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::ffi::OsString;

    fn check(environment: &[(&str, &str)], expected: &str) {
        let environment: HashMap<String, OsString> = environment
            .iter()
            .map(|(name, value)| (name.to_string(), OsString::from(value)))
            .collect();
        let resolved = resolve_model_dir(|name| environment.get(name).cloned());
        assert_eq!(
            resolved,
            PathBuf::from(expected),
            "environment {environment:?}"
        );
    }

    #[test]
    fn model_dir_follows_the_script_rule() {
        check(
            &[("HOME", "/home/ana")],
            "/home/ana/.cache/faultmaven/models",
        );
        check(
            &[
                ("HOME", "/home/ana"),
                ("FAULTMAVEN_CACHE_DIR", "/var/cache/fm"),
            ],
            "/var/cache/fm/models",
        );
        check(
            &[
                ("HOME", "/home/ana"),
                ("FAULTMAVEN_CACHE_DIR", "/var/cache/fm"),
                ("FAULTMAVEN_MODEL_DIR", "/opt/models"),
            ],
            "/opt/models",
        );
        check(
            &[("HOME", "/home/ana"), ("FAULTMAVEN_MODEL_DIR", "")],
            "/home/ana/.cache/faultmaven/models",
        );
    }

    #[test]
    fn paths_inside_a_model_dir() {
        let paths = ModelPaths::in_dir(Path::new("/m"));
        assert_eq!(
            paths.smollm2_gguf,
            PathBuf::from("/m/smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf")
        );
        assert_eq!(paths.minilm_dir, PathBuf::from("/m/all-minilm-l6-v2"));
    }
}
