//! Configuration in one place: built-in defaults < a file < environment variables.

use anyhow::{bail, Context};
use faultmaven_engine::EngineConfig;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The built-in defaults, compiled into the binary so it runs with no file at all.
pub const DEFAULT_TOML: &str = include_str!("../../../config/default.toml");

/// Prefix of environment overrides.
const ENV_PREFIX: &str = "FAULTMAVEN__";

/// The whole configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// HTTP settings.
    pub server: ServerConfig,
    /// Session storage.
    pub store: StoreConfig,
    /// Language model.
    pub llm: LlmConfig,
    /// Runbooks and retrieval.
    pub knowledge: KnowledgeConfig,
    /// The engine (with its `ingest` and `analysis` subsections).
    pub engine: EngineConfig,
}

/// `[server]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    /// Address to listen on.
    pub bind: String,
    /// Largest request body in bytes.
    pub max_body_bytes: usize,
    /// Most files per request.
    pub max_files: usize,
    /// Longest text field in bytes.
    pub max_text_field_bytes: usize,
    /// Bearer token of the admin routes (`/api/v1/admin/...`); absent or empty disables them.
    /// Kept hashed; `Debug` prints `***`.
    #[serde(default, deserialize_with = "crate::admin_token::deserialize_optional")]
    pub admin_token: Option<crate::admin_token::AdminToken>,
}

/// `[store]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreConfig {
    /// Backend name; only `sqlite` for now.
    pub backend: String,
    /// SQLite file, or `:memory:`.
    pub sqlite_path: String,
    /// Seconds between TTL sweeps.
    pub sweep_interval_seconds: u64,
    /// Keep an audit trail of model calls and uploads in the same database.
    #[serde(default)]
    pub audit: bool,
}

/// `[llm]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LlmConfig {
    /// `embedded`, `openai`, `anthropic` or `none`.
    pub provider: String,
    /// Model directory; empty for the default.
    pub model_dir: String,
    /// Waiting requests allowed beyond the running one.
    pub max_queue: usize,
    /// Remote providers: base URL up to the version segment; empty for the provider's own.
    #[serde(default)]
    pub base_url: String,
    /// Remote providers: model name; empty for the provider's default.
    #[serde(default)]
    pub model: String,
    /// Remote providers: the API key (Debug prints `***`).
    #[serde(default)]
    pub api_key: Option<faultmaven_llm::ApiKey>,
    /// Remote providers: connect timeout in seconds.
    #[serde(default = "default_connect_timeout_seconds")]
    pub connect_timeout_seconds: f64,
    /// Remote providers: whole-call timeout in seconds, retries included.
    #[serde(default = "default_request_timeout_seconds")]
    pub request_timeout_seconds: f64,
    /// Remote providers: longest silence in seconds before or within the answer.
    #[serde(default = "default_idle_timeout_seconds")]
    pub idle_timeout_seconds: f64,
    /// Remote providers: retries on transient failures.
    #[serde(default = "default_max_retries")]
    pub max_retries: u32,
    /// Remote providers: the model's context window in tokens.
    #[serde(default = "default_context_tokens")]
    pub context_tokens: usize,
    /// Remote providers: `embedded` or `none`.
    #[serde(default = "default_fallback")]
    pub fallback: String,
}

fn default_connect_timeout_seconds() -> f64 {
    5.0
}
fn default_request_timeout_seconds() -> f64 {
    120.0
}
fn default_idle_timeout_seconds() -> f64 {
    30.0
}
fn default_max_retries() -> u32 {
    2
}
fn default_context_tokens() -> usize {
    8192
}
fn default_fallback() -> String {
    "embedded".into()
}

/// `[knowledge]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KnowledgeConfig {
    /// Use vector retrieval.
    pub embeddings: bool,
    /// Extra runbook directory; empty for none.
    pub runbook_dir: String,
    /// Largest runbook accepted by `PUT /api/v1/admin/runbooks/{id}`, in bytes.
    #[serde(default = "default_max_runbook_bytes")]
    pub max_runbook_bytes: usize,
}

fn default_max_runbook_bytes() -> usize {
    64 * 1024
}

impl LlmConfig {
    /// The model directory in force.
    pub fn model_dir(&self) -> PathBuf {
        if self.model_dir.is_empty() {
            faultmaven_llm::ModelPaths::default_dir()
        } else {
            PathBuf::from(&self.model_dir)
        }
    }
}

impl Config {
    /// Loads defaults, then `file` (if any), then `FAULTMAVEN__...` variables from `environment`.
    pub fn load(
        file: Option<&Path>,
        environment: impl IntoIterator<Item = (String, String)>,
    ) -> anyhow::Result<Self> {
        let mut merged: toml::Table = DEFAULT_TOML.parse().context("built-in defaults")?;
        if let Some(path) = file {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading config file {}", path.display()))?;
            let overlay: toml::Table = text
                .parse()
                .with_context(|| format!("parsing config file {}", path.display()))?;
            merge(&mut merged, overlay);
        }
        for (name, value) in environment {
            let Some(path) = name.strip_prefix(ENV_PREFIX) else {
                continue;
            };
            let keys: Vec<String> = path.split("__").map(str::to_lowercase).collect();
            if keys.iter().any(String::is_empty) {
                bail!("malformed environment override {name}");
            }
            set_path(&mut merged, &keys, parse_env_value(&value))
                .with_context(|| format!("applying {name}"))?;
        }
        toml::Value::Table(merged)
            .try_into()
            .context("invalid configuration")
    }

    /// Loads with the process environment.
    pub fn from_process(file: Option<&Path>) -> anyhow::Result<Self> {
        let file = file
            .map(Path::to_path_buf)
            .or_else(|| std::env::var_os("FAULTMAVEN_CONFIG").map(PathBuf::from));
        Self::load(file.as_deref(), std::env::vars())
    }
}

/// An environment value is read as a TOML value when it is one (`42`, `true`, `[1, 2]`),
/// otherwise as a string.
fn parse_env_value(text: &str) -> toml::Value {
    let probe = format!("value = {text}");
    match probe.parse::<toml::Table>() {
        Ok(mut table) => table
            .remove("value")
            .unwrap_or_else(|| toml::Value::String(text.into())),
        Err(_) => toml::Value::String(text.to_owned()),
    }
}

fn merge(base: &mut toml::Table, overlay: toml::Table) {
    for (key, value) in overlay {
        match (base.get_mut(&key), value) {
            (Some(toml::Value::Table(base_table)), toml::Value::Table(overlay_table)) => {
                merge(base_table, overlay_table)
            }
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

fn set_path(table: &mut toml::Table, keys: &[String], value: toml::Value) -> anyhow::Result<()> {
    match keys {
        [] => bail!("empty key"),
        [last] => {
            table.insert(last.clone(), value);
            Ok(())
        }
        [first, rest @ ..] => {
            let entry = table
                .entry(first.clone())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            match entry {
                toml::Value::Table(inner) => set_path(inner, rest, value),
                _ => bail!("{first} is not a section"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_parse() {
        let config = Config::load(None, Vec::new()).unwrap();
        assert_eq!(config.server.bind, "127.0.0.1:8080");
        assert_eq!(config.llm.provider, "embedded");
        assert_eq!(config.engine.session_ttl_seconds, 14400);
    }

    #[test]
    fn environment_overrides_nested_keys() {
        let config = Config::load(
            None,
            vec![
                ("FAULTMAVEN__LLM__PROVIDER".into(), "none".into()),
                ("FAULTMAVEN__SERVER__MAX_FILES".into(), "3".into()),
                (
                    "FAULTMAVEN__ENGINE__SESSION_TTL_SECONDS".into(),
                    "60".into(),
                ),
                ("UNRELATED".into(), "x".into()),
            ],
        )
        .unwrap();
        assert_eq!(config.llm.provider, "none");
        assert_eq!(config.server.max_files, 3);
        assert_eq!(config.engine.session_ttl_seconds, 60);
    }

    #[test]
    fn address_and_host_redaction_are_switches() {
        let defaults = Config::load(None, Vec::new()).unwrap();
        let redaction = &defaults.engine.ingest.redaction;
        assert!(!redaction.ip_addresses && !redaction.hostnames);
        let config = Config::load(
            None,
            vec![(
                "FAULTMAVEN__ENGINE__INGEST__REDACTION__HOSTNAMES".into(),
                "true".into(),
            )],
        )
        .unwrap();
        let redaction = &config.engine.ingest.redaction;
        assert!(redaction.hostnames && !redaction.ip_addresses && redaction.secrets);
    }

    #[test]
    fn remote_llm_settings_and_a_key_that_never_prints() {
        let config = Config::load(
            None,
            vec![
                ("FAULTMAVEN__LLM__PROVIDER".into(), "openai".into()),
                (
                    "FAULTMAVEN__LLM__BASE_URL".into(),
                    "http://127.0.0.1:11434/v1".into(),
                ),
                ("FAULTMAVEN__LLM__MODEL".into(), "llama3.2".into()),
                ("FAULTMAVEN__LLM__API_KEY".into(), "sk-proj-Abc123".into()),
                ("FAULTMAVEN__LLM__IDLE_TIMEOUT_SECONDS".into(), "7".into()),
            ],
        )
        .unwrap();
        assert_eq!(config.llm.provider, "openai");
        assert_eq!(config.llm.model, "llama3.2");
        assert_eq!(config.llm.idle_timeout_seconds, 7.0);
        assert_eq!(config.llm.fallback, "embedded");
        assert_eq!(
            config.llm.api_key.as_ref().map(|key| key.expose()),
            Some("sk-proj-Abc123")
        );
        assert!(!format!("{config:?}").contains("sk-proj-Abc123"));
        assert!(config.store.audit);
    }

    #[test]
    fn admin_token_from_the_environment_is_hashed_and_validated() {
        let config = Config::load(None, Vec::new()).unwrap();
        assert!(config.server.admin_token.is_none(), "disabled by default");
        let with = |value: &str| {
            Config::load(
                None,
                vec![("FAULTMAVEN__SERVER__ADMIN_TOKEN".into(), value.into())],
            )
        };
        let config = with("s3cret-admin-token-0123").unwrap();
        let token = config.server.admin_token.as_ref().expect("configured");
        assert!(token.matches("s3cret-admin-token-0123"));
        assert!(!format!("{config:?}").contains("s3cret"));
        // A token of digits is read as a number by the environment parser; still a token.
        let digits = with("12345678901234567").unwrap();
        assert!(digits
            .server
            .admin_token
            .unwrap()
            .matches("12345678901234567"));
        assert!(with("").unwrap().server.admin_token.is_none());
        let error = with("too-short").unwrap_err();
        assert!(format!("{error:#}").contains("at least 16"), "{error:#}");
        assert_eq!(config.knowledge.max_runbook_bytes, 65536);
    }

    #[test]
    fn file_overrides_defaults_and_unknown_keys_fail() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, "[server]\nbind = \"0.0.0.0:9\"\n").unwrap();
        let config = Config::load(Some(&path), Vec::new()).unwrap();
        assert_eq!(config.server.bind, "0.0.0.0:9");
        assert_eq!(
            config.server.max_files, 32,
            "other keys keep their defaults"
        );
        std::fs::write(&path, "[server]\nbindd = 1\n").unwrap();
        assert!(Config::load(Some(&path), Vec::new()).is_err());
    }
}
