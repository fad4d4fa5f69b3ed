//! Builds the engine and its parts from the configuration: the one place that picks backends.

use crate::config::Config;
use crate::runbooks::{apply_stored_runbooks, LoadedRunbooks, RunbookAdmin, RunbookAdminOptions};
use anyhow::{bail, Context};
use faultmaven_engine::{Engine, EngineParts};
use faultmaven_knowledge::{CaseLibrary, KnowledgeBase};
use faultmaven_llm::{Embedder, LlmProvider};
use faultmaven_model::PastCase;
use faultmaven_store::{
    AuditLog, CaseStore, HnswVectorIndex, RunbookStore, SessionStore, SqliteAuditLog,
    SqliteSessionStore, StoredRunbook,
};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

/// The stores named by the configuration: sessions, and past cases and admin-written runbooks in
/// the same database.
pub struct Stores {
    /// Session state with its TTL.
    pub sessions: Arc<dyn SessionStore>,
    /// Resolved cases (they outlive sessions).
    pub cases: Arc<dyn CaseStore>,
    /// Runbooks written through the admin API.
    pub runbooks: Arc<dyn RunbookStore>,
}

/// Opens the stores named by the configuration.
pub fn open_stores(config: &Config) -> anyhow::Result<Stores> {
    let sqlite = open_sqlite(config)?;
    Ok(Stores {
        sessions: sqlite.clone(),
        cases: sqlite.clone(),
        runbooks: sqlite,
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

/// Opens the audit trail when the configuration asks for one: in the session store's database.
pub fn open_audit_log(config: &Config) -> anyhow::Result<Option<Arc<dyn AuditLog>>> {
    if !config.store.audit {
        return Ok(None);
    }
    match config.store.backend.as_str() {
        "sqlite" if config.store.sqlite_path == ":memory:" => Ok(Some(Arc::new(
            SqliteAuditLog::in_memory().context("opening the in-memory audit log")?,
        ))),
        "sqlite" => {
            let path = Path::new(&config.store.sqlite_path);
            Ok(Some(Arc::new(SqliteAuditLog::open(path).with_context(
                || format!("opening the audit log in {}", path.display()),
            )?)))
        }
        other => bail!("unknown store backend {other:?} for the audit log; supported: sqlite"),
    }
}

/// The remote provider's options from `[llm]`.
fn remote_options(
    config: &Config,
    default_base_url: &str,
    default_model: &str,
) -> faultmaven_llm::RemoteOptions {
    let llm = &config.llm;
    let or_default = |value: &str, default: &str| {
        if value.trim().is_empty() {
            default.to_owned()
        } else {
            value.trim().to_owned()
        }
    };
    let seconds = |value: f64| std::time::Duration::from_secs_f64(value.clamp(0.001, 86_400.0));
    let mut options = faultmaven_llm::RemoteOptions::new(
        or_default(&llm.base_url, default_base_url),
        or_default(&llm.model, default_model),
    );
    options.api_key = llm
        .api_key
        .as_ref()
        .and_then(|key| faultmaven_llm::ApiKey::new(key.expose()));
    options.connect_timeout = seconds(llm.connect_timeout_seconds);
    options.request_timeout = seconds(llm.request_timeout_seconds);
    options.idle_timeout = seconds(llm.idle_timeout_seconds);
    options.max_retries = llm.max_retries;
    options.context_tokens = llm.context_tokens;
    options
}

/// Loads the language model named by the configuration (`None` for `none`); a remote one is
/// wrapped in the fallback to the embedded model when `fallback = "embedded"`.
pub fn load_llm(config: &Config) -> anyhow::Result<Option<Arc<dyn LlmProvider>>> {
    let remote: Arc<dyn LlmProvider> = match config.llm.provider.as_str() {
        "openai" => Arc::new(
            faultmaven_llm::OpenAiCompatibleProvider::new(remote_options(
                config,
                "https://api.openai.com/v1",
                "gpt-4o-mini",
            ))
            .context("configuring the OpenAI-compatible provider")?,
        ),
        "anthropic" => Arc::new(
            faultmaven_llm::AnthropicProvider::new(remote_options(
                config,
                "https://api.anthropic.com/v1",
                "claude-3-5-haiku-latest",
            ))
            .context("configuring the Anthropic provider")?,
        ),
        _ => return load_local_llm(config, &config.llm.provider),
    };
    tracing::info!(model = remote.name(), fallback = %config.llm.fallback, "remote language model configured");
    match config.llm.fallback.as_str() {
        "none" => Ok(Some(remote)),
        "embedded" => {
            let embedded = load_local_llm(config, "embedded")?
                .context("the embedded fallback model did not load")?;
            Ok(Some(Arc::new(faultmaven_llm::FallbackProvider::new(
                remote, embedded,
            ))))
        }
        other => bail!("unknown llm fallback {other:?}; supported: embedded, none"),
    }
}

fn load_local_llm(config: &Config, provider: &str) -> anyhow::Result<Option<Arc<dyn LlmProvider>>> {
    match provider {
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
        other => {
            bail!("unknown llm provider {other:?}; supported: embedded, openai, anthropic, none")
        }
    }
}

/// The knowledge the engine retrieves from: runbooks and past cases.
pub struct Knowledge {
    /// Runbooks.
    pub runbooks: Arc<KnowledgeBase>,
    /// Past cases, loaded from the case store.
    pub cases: Arc<CaseLibrary>,
    /// Where each runbook comes from (for the runbook routes).
    pub loaded: LoadedRunbooks,
}

/// Indexes the built-in and directory runbooks with the stored admin changes applied, and
/// `past_cases`, loading, when enabled, the embedding model for vector retrieval (shared by
/// both). Runbooks and cases get one HNSW vector index each.
pub fn load_knowledge(
    config: &Config,
    past_cases: Vec<PastCase>,
    stored_runbooks: Vec<StoredRunbook>,
) -> anyhow::Result<Knowledge> {
    let directory = if config.knowledge.runbook_dir.is_empty() {
        Vec::new()
    } else {
        faultmaven_knowledge::load_runbooks_from_dir(Path::new(&config.knowledge.runbook_dir))
            .with_context(|| format!("loading runbooks from {}", config.knowledge.runbook_dir))?
    };
    let mut loaded = apply_stored_runbooks(
        faultmaven_knowledge::builtin_runbooks(),
        directory,
        stored_runbooks,
    );
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
    let knowledge = KnowledgeBase::new(
        std::mem::take(&mut loaded.runbooks),
        embedder.clone(),
        Arc::new(HnswVectorIndex::new()),
    )
    .context("indexing runbooks")?;
    let cases = CaseLibrary::new(past_cases, embedder, Arc::new(HnswVectorIndex::new()))
        .context("indexing past cases")?;
    tracing::info!(
        runbooks = knowledge.len(),
        admin_runbooks = loaded.admin_ids.len(),
        cases = cases.len(),
        seconds = started.elapsed().as_secs_f64(),
        "knowledge base ready"
    );
    Ok(Knowledge {
        runbooks: Arc::new(knowledge),
        cases: Arc::new(cases),
        loaded,
    })
}

/// The engine and the state of the runbook routes, sharing one knowledge base.
pub struct Application {
    /// The engine.
    pub engine: Engine,
    /// What the runbook routes need.
    pub runbooks: RunbookAdmin,
}

/// Builds the engine with every part the configuration names.
pub async fn build_engine(config: &Config) -> anyhow::Result<Engine> {
    Ok(build_application(config).await?.engine)
}

/// Builds the engine and the runbook routes' state with every part the configuration names.
pub async fn build_application(config: &Config) -> anyhow::Result<Application> {
    let stores = open_stores(config)?;
    let past_cases = stores
        .cases
        .list_cases()
        .await
        .context("reading past cases")?;
    let stored_runbooks = stores
        .runbooks
        .list_runbooks()
        .await
        .context("reading admin runbooks")?;
    // Loading models and embedding runbooks is blocking CPU and file work: off the runtime.
    let blocking_config = config.clone();
    let (llm, knowledge) = tokio::task::spawn_blocking(move || {
        anyhow::Ok((
            load_llm(&blocking_config)?,
            load_knowledge(&blocking_config, past_cases, stored_runbooks)?,
        ))
    })
    .await
    .context("model loading task failed")??;
    let audit = open_audit_log(config)?;
    let engine = Engine::new(
        config.engine.clone(),
        EngineParts {
            store: stores.sessions,
            llm,
            knowledge: Arc::clone(&knowledge.runbooks),
            case_store: stores.cases,
            cases: knowledge.cases,
        },
    );
    let engine = match &audit {
        Some(audit) => engine.with_audit_log(Arc::clone(audit)),
        None => engine,
    };
    let runbooks = RunbookAdmin::new(
        knowledge.runbooks,
        stores.runbooks,
        audit,
        &knowledge.loaded,
        RunbookAdminOptions {
            token: config.server.admin_token.clone(),
            max_runbook_bytes: config.knowledge.max_runbook_bytes,
        },
    );
    Ok(Application { engine, runbooks })
}
