//! Builds the engine and its parts from the configuration: the one place that picks backends.

use crate::config::Config;
use anyhow::{bail, Context};
use faultmaven_engine::{Engine, EngineParts};
use faultmaven_knowledge::{CaseLibrary, KnowledgeBase};
use faultmaven_llm::{Embedder, LlmProvider};
use faultmaven_model::PastCase;
use faultmaven_store::{CaseStore, InMemoryVectorIndex, SessionStore, SqliteSessionStore};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

/// The stores named by the configuration: sessions, and past cases in the same database.
pub struct Stores {
    /// Session state with its TTL.
    pub sessions: Arc<dyn SessionStore>,
    /// Resolved cases (they outlive sessions).
    pub cases: Arc<dyn CaseStore>,
}

/// Opens the stores named by the configuration.
pub fn open_stores(config: &Config) -> anyhow::Result<Stores> {
    let sqlite = open_sqlite(config)?;
    Ok(Stores {
        sessions: sqlite.clone(),
        cases: sqlite,
    })
}

/// Opens the SQLite database named by the configuration.
fn open_sqlite(config: &Config) -> anyhow::Result<Arc<SqliteSessionStore>> {
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

/// The knowledge the engine retrieves from: runbooks and past cases.
pub struct Knowledge {
    /// Runbooks.
    pub runbooks: Arc<KnowledgeBase>,
    /// Past cases, loaded from the case store.
    pub cases: Arc<CaseLibrary>,
}

/// Indexes the runbooks and `past_cases`, loading, when enabled, the embedding model
/// for vector retrieval (shared by both).
pub fn load_knowledge(config: &Config, past_cases: Vec<PastCase>) -> anyhow::Result<Knowledge> {
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
    let vector_index = Arc::new(InMemoryVectorIndex::new());
    let knowledge = KnowledgeBase::new(runbooks, embedder.clone(), vector_index.clone())
        .context("indexing runbooks")?;
    let cases =
        CaseLibrary::new(past_cases, embedder, vector_index).context("indexing past cases")?;
    tracing::info!(
        runbooks = knowledge.len(),
        cases = cases.len(),
        seconds = started.elapsed().as_secs_f64(),
        "knowledge base ready"
    );
    Ok(Knowledge {
        runbooks: Arc::new(knowledge),
        cases: Arc::new(cases),
    })
}

/// Builds the engine with every part the configuration names.
pub async fn build_engine(config: &Config) -> anyhow::Result<Engine> {
    let stores = open_stores(config)?;
    let past_cases = stores
        .cases
        .list_cases()
        .await
        .context("reading past cases")?;
    // Loading models and embedding runbooks is blocking CPU and file work: off the runtime.
    let blocking_config = config.clone();
    let (llm, knowledge) = tokio::task::spawn_blocking(move || {
        anyhow::Ok((
            load_llm(&blocking_config)?,
            load_knowledge(&blocking_config, past_cases)?,
        ))
    })
    .await
    .context("model loading task failed")??;
    Ok(Engine::new(
        config.engine.clone(),
        EngineParts {
            store: stores.sessions,
            llm,
            knowledge: knowledge.runbooks,
            case_store: stores.cases,
            cases: knowledge.cases,
        },
    ))
}
