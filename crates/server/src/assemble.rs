//! Builds the engine and its parts from the configuration: the one place that picks backends.

use crate::config::Config;
use anyhow::{bail, Context};
use faultmaven_engine::{Engine, EngineParts};
use faultmaven_knowledge::KnowledgeBase;
use faultmaven_llm::{Embedder, LlmProvider};
use faultmaven_store::{InMemoryVectorIndex, SessionStore, SqliteSessionStore};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

/// Opens the session store named by the configuration.
pub fn open_store(config: &Config) -> anyhow::Result<Arc<dyn SessionStore>> {
    match config.store.backend.as_str() {
        "sqlite" if config.store.sqlite_path == ":memory:" => Ok(Arc::new(
            SqliteSessionStore::in_memory().context("opening in-memory SQLite")?,
        )),
        "sqlite" => {
            let path = Path::new(&config.store.sqlite_path);
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent)
                    .with_context(|| format!("creating {}", parent.display()))?;
            }
            Ok(Arc::new(SqliteSessionStore::open(path).with_context(
                || format!("opening SQLite database {}", path.display()),
            )?))
        }
        other => bail!("unknown store backend {other:?}; supported: sqlite"),
    }
}

/// Loads the language model named by the configuration (`None` for `none`).
pub fn load_llm(config: &Config) -> anyhow::Result<Option<Arc<dyn LlmProvider>>> {
    match config.llm.provider.as_str() {
        "none" => Ok(None),
        "embedded" => {
            let paths = faultmaven_llm::ModelPaths::in_dir(&config.llm.model_dir());
            let options = faultmaven_llm::EmbeddedLlmOptions {
                max_queue: config.llm.max_queue,
                ..Default::default()
            };
            let started = Instant::now();
            let llm = faultmaven_llm::EmbeddedLlm::load(&paths.smollm2_gguf, options)
                .with_context(|| {
                    format!(
                        "loading the embedded model {}",
                        paths.smollm2_gguf.display()
                    )
                })?;
            tracing::info!(
                seconds = started.elapsed().as_secs_f64(),
                model = llm.name(),
                "language model loaded"
            );
            Ok(Some(Arc::new(llm)))
        }
        other => bail!("unknown llm provider {other:?}; supported: embedded, none"),
    }
}

/// Loads the runbooks and, when enabled, the embedding model for vector retrieval.
pub fn load_knowledge(config: &Config) -> anyhow::Result<Arc<KnowledgeBase>> {
    let mut runbooks = faultmaven_knowledge::builtin_runbooks();
    if !config.knowledge.runbook_dir.is_empty() {
        let extra =
            faultmaven_knowledge::load_runbooks_from_dir(Path::new(&config.knowledge.runbook_dir))
                .with_context(|| {
                    format!("loading runbooks from {}", config.knowledge.runbook_dir)
                })?;
        runbooks.extend(extra);
    }
    let embedder: Option<Arc<dyn Embedder>> = if config.knowledge.embeddings {
        let paths = faultmaven_llm::ModelPaths::in_dir(&config.llm.model_dir());
        let embedder =
            faultmaven_llm::MiniLmEmbedder::load(&paths.minilm_dir).with_context(|| {
                format!("loading the embedding model {}", paths.minilm_dir.display())
            })?;
        Some(Arc::new(embedder))
    } else {
        None
    };
    let started = Instant::now();
    let knowledge = KnowledgeBase::new(runbooks, embedder, Arc::new(InMemoryVectorIndex::new()))
        .context("indexing runbooks")?;
    tracing::info!(
        runbooks = knowledge.len(),
        seconds = started.elapsed().as_secs_f64(),
        "knowledge base ready"
    );
    Ok(Arc::new(knowledge))
}

/// Builds the engine with every part the configuration names.
pub fn build_engine(config: &Config) -> anyhow::Result<Engine> {
    let store = open_store(config)?;
    let llm = load_llm(config)?;
    let knowledge = load_knowledge(config)?;
    Ok(Engine::new(
        config.engine.clone(),
        EngineParts {
            store,
            llm,
            knowledge,
        },
    ))
}
