//! The audit trail: which provider got what, when, at what cost, and what came of it. Sizes,
//! hashes, token counts and outcomes only, never the content of a prompt or an upload.

use crate::StoreError;
use async_trait::async_trait;
use faultmaven_model::Timestamp;
use rusqlite::{params, Connection};
use std::path::Path;
use std::sync::{Arc, Mutex};

/// What was audited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    /// A prompt is about to be sent to a language model: written before it leaves, and the
    /// call is not made when this row cannot be written.
    LlmPrompt,
    /// A call to a language model ended: tokens, latency and outcome.
    LlmCall,
    /// An upload was received and parsed (in memory; never stored).
    Upload,
    /// A runbook was created, replaced or deleted through the admin API: `provider` is
    /// `admin-api`, `model` the runbook id, `bytes` and `sha256` describe the markdown sent,
    /// `outcome` is `created`, `replaced` or `deleted`.
    RunbookChange,
}

impl AuditAction {
    /// The name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::LlmPrompt => "llm_prompt",
            AuditAction::LlmCall => "llm_call",
            AuditAction::Upload => "upload",
            AuditAction::RunbookChange => "runbook_change",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        match text {
            "llm_prompt" => Some(AuditAction::LlmPrompt),
            "llm_call" => Some(AuditAction::LlmCall),
            "upload" => Some(AuditAction::Upload),
            "runbook_change" => Some(AuditAction::RunbookChange),
            _ => None,
        }
    }
}

/// One audited event. The fields are chosen so that no content can be stored: a prompt or an
/// upload is described by its size and its SHA-256, which proves what was sent without saying it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AuditEvent {
    /// When it happened.
    pub at: Timestamp,
    /// What happened.
    pub action: AuditAction,
    /// The session it belongs to, when there is one.
    pub session_id: Option<String>,
    /// For an LLM call, the provider the prompt went to (for example `openai:gpt-4o-mini`); for
    /// an upload, its detected format.
    pub provider: String,
    /// For an LLM call, the model that wrote the answer (differs from `provider` after a
    /// fallback); for an upload, its attachment id.
    pub model: String,
    /// Bytes of the prompt (all messages, redacted) or of the upload as received (compressed,
    /// when it was).
    pub bytes: u64,
    /// Lowercase hex SHA-256 of those bytes, when computed.
    pub sha256: Option<String>,
    /// Prompt tokens (LLM calls); 0 for uploads.
    pub tokens_in: u64,
    /// Generated tokens (LLM calls); 0 for uploads.
    pub tokens_out: u64,
    /// Wall time in milliseconds.
    pub latency_ms: u64,
    /// `ok`, `fallback`, `cancelled` or `error`.
    pub outcome: String,
    /// Why, for a fallback or an error: an error message, never content.
    pub detail: Option<String>,
    /// Records parsed from an upload; `None` for model calls.
    pub records: Option<u64>,
    /// Bytes of an upload after decompression; `None` for model calls.
    pub decoded_bytes: Option<u64>,
}

/// Where audit events go, held as `Arc<dyn AuditLog>`. Appends only; reading back is for
/// operators and tests.
#[async_trait]
pub trait AuditLog: Send + Sync + 'static {
    /// Appends one event.
    async fn record(&self, event: &AuditEvent) -> Result<(), StoreError>;

    /// The newest `limit` events, newest first.
    async fn recent(&self, limit: usize) -> Result<Vec<AuditEvent>, StoreError>;
}

/// The audit table's migrations, oldest first, versioned in their own table so the audit log
/// can share a database file with the session store without sharing its schema history.
/// Append only.
const AUDIT_MIGRATIONS: &[&str] = &[
    "CREATE TABLE audit_events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at INTEGER NOT NULL,
        action TEXT NOT NULL,
        session_id TEXT,
        provider TEXT NOT NULL,
        model TEXT NOT NULL,
        bytes INTEGER NOT NULL,
        sha256 TEXT,
        tokens_in INTEGER NOT NULL,
        tokens_out INTEGER NOT NULL,
        latency_ms INTEGER NOT NULL,
        outcome TEXT NOT NULL,
        detail TEXT
    ) STRICT;
    CREATE INDEX audit_events_by_time ON audit_events (at);",
    // Uploads get their own columns for records and decompressed size (records used to be
    // kept in tokens_in); `bytes` and `sha256` now describe the upload as received.
    "ALTER TABLE audit_events ADD COLUMN records INTEGER;
    ALTER TABLE audit_events ADD COLUMN decoded_bytes INTEGER;
    UPDATE audit_events SET records = tokens_in, decoded_bytes = bytes, tokens_in = 0
        WHERE action = 'upload';",
];

/// The audit trail in SQLite (a file, or memory for tests).
#[derive(Debug, Clone)]
pub struct SqliteAuditLog {
    connection: Arc<Mutex<Connection>>,
}

impl SqliteAuditLog {
    /// Opens (creating it when missing) the database at `path` and migrates the audit table.
    /// The session store's file may be used: WAL mode lets both connections work.
    ///
    /// This does blocking file I/O: call it at start-up or from `spawn_blocking`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        if let Some(directory) = path
            .parent()
            .filter(|parent| !parent.as_os_str().is_empty())
        {
            std::fs::create_dir_all(directory).map_err(|source| StoreError::Io {
                path: directory.to_path_buf(),
                source,
            })?;
        }
        let mut connection = Connection::open(path)?;
        connection.busy_timeout(std::time::Duration::from_secs(5))?;
        connection.pragma_update(None, "journal_mode", "WAL")?;
        connection.pragma_update(None, "synchronous", "NORMAL")?;
        migrate(&mut connection)?;
        Ok(Self {
            connection: Arc::new(Mutex::new(connection)),
        })
    }

    /// A private in-memory audit log.
    pub fn in_memory() -> Result<Self, StoreError> {
        let mut connection = Connection::open_in_memory()?;
        migrate(&mut connection)?;
        Ok(Self {
            connection: Arc::new(Mutex::new(connection)),
        })
    }

    async fn with_connection<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        crate::sqlite::on_blocking_thread(&self.connection, work).await
    }
}

fn migrate(connection: &mut Connection) -> Result<(), StoreError> {
    crate::sqlite::run_migrations(connection, "audit_schema_version", AUDIT_MIGRATIONS)
}

fn to_sql_integer(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

#[async_trait]
impl AuditLog for SqliteAuditLog {
    async fn record(&self, event: &AuditEvent) -> Result<(), StoreError> {
        let event = event.clone();
        self.with_connection(move |connection| {
            connection.execute(
                "INSERT INTO audit_events (at, action, session_id, provider, model, bytes, sha256,
                     tokens_in, tokens_out, latency_ms, outcome, detail, records, decoded_bytes)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
                params![
                    event.at.unix_nanos(),
                    event.action.as_str(),
                    event.session_id,
                    event.provider,
                    event.model,
                    to_sql_integer(event.bytes),
                    event.sha256,
                    to_sql_integer(event.tokens_in),
                    to_sql_integer(event.tokens_out),
                    to_sql_integer(event.latency_ms),
                    event.outcome,
                    event.detail,
                    event.records.map(to_sql_integer),
                    event.decoded_bytes.map(to_sql_integer),
                ],
            )?;
            Ok(())
        })
        .await
    }

    async fn recent(&self, limit: usize) -> Result<Vec<AuditEvent>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.with_connection(move |connection| {
            let mut statement = connection.prepare(
                "SELECT at, action, session_id, provider, model, bytes, sha256, tokens_in,
                        tokens_out, latency_ms, outcome, detail, records, decoded_bytes
                 FROM audit_events ORDER BY id DESC LIMIT ?1",
            )?;
            let rows = statement.query_map(params![limit], |row| {
                let action: String = row.get(1)?;
                let unsigned = |index: usize| row.get::<_, i64>(index).map(|v| v.max(0) as u64);
                let optional = |index: usize| {
                    row.get::<_, Option<i64>>(index)
                        .map(|v| v.map(|v| v.max(0) as u64))
                };
                Ok((
                    action,
                    AuditEvent {
                        at: Timestamp::from_unix_nanos(row.get(0)?),
                        action: AuditAction::LlmCall,
                        session_id: row.get(2)?,
                        provider: row.get(3)?,
                        model: row.get(4)?,
                        bytes: unsigned(5)?,
                        sha256: row.get(6)?,
                        tokens_in: unsigned(7)?,
                        tokens_out: unsigned(8)?,
                        latency_ms: unsigned(9)?,
                        outcome: row.get(10)?,
                        detail: row.get(11)?,
                        records: optional(12)?,
                        decoded_bytes: optional(13)?,
                    },
                ))
            })?;
            let mut events = Vec::new();
            for row in rows {
                let (action, mut event) = row?;
                event.action = AuditAction::parse(&action).ok_or_else(|| {
                    StoreError::Unrepresentable(format!("unknown audit action {action:?}"))
                })?;
                events.push(event);
            }
            Ok(events)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(provider: &str) -> AuditEvent {
        AuditEvent {
            at: Timestamp::from_unix_nanos(1_700_000_000_000_000_000),
            action: AuditAction::LlmCall,
            session_id: Some("s-1".into()),
            provider: provider.into(),
            model: "embedded:smollm2-135m-instruct".into(),
            bytes: 1234,
            sha256: Some("ab".repeat(32)),
            tokens_in: 300,
            tokens_out: 40,
            latency_ms: 900,
            outcome: "fallback".into(),
            detail: Some("openai:gpt-4o-mini failed: HTTP 500".into()),
            records: None,
            decoded_bytes: None,
        }
    }

    #[tokio::test]
    async fn events_read_back_newest_first() {
        let log = SqliteAuditLog::in_memory().unwrap();
        log.record(&event("openai:a")).await.unwrap();
        log.record(&event("openai:b")).await.unwrap();
        let events = log.recent(10).await.unwrap();
        assert_eq!(events.len(), 2);
        assert_eq!(events[0], event("openai:b"));
        assert_eq!(events[1].provider, "openai:a");
        assert_eq!(log.recent(1).await.unwrap().len(), 1);
    }

    #[test]
    fn the_second_migration_moves_upload_records_out_of_tokens_in() {
        let mut connection = Connection::open_in_memory().unwrap();
        crate::sqlite::run_migrations(
            &mut connection,
            "audit_schema_version",
            &AUDIT_MIGRATIONS[..1],
        )
        .unwrap();
        connection
            .execute(
                "INSERT INTO audit_events (at, action, provider, model, bytes, tokens_in,
                     tokens_out, latency_ms, outcome)
                 VALUES (1, 'upload', 'json_lines', 'a1', 2048, 17, 0, 0, 'ok')",
                [],
            )
            .unwrap();
        migrate(&mut connection).unwrap();
        let (records, decoded, tokens): (i64, i64, i64) = connection
            .query_row(
                "SELECT records, decoded_bytes, tokens_in FROM audit_events",
                [],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )
            .unwrap();
        assert_eq!((records, decoded, tokens), (17, 2048, 0));
    }

    #[tokio::test]
    async fn upload_rows_read_back_with_records_and_decoded_size() {
        let log = SqliteAuditLog::in_memory().unwrap();
        let upload = AuditEvent {
            action: AuditAction::Upload,
            records: Some(409),
            decoded_bytes: Some(48_213),
            ..event("json_lines")
        };
        log.record(&upload).await.unwrap();
        assert_eq!(log.recent(1).await.unwrap(), vec![upload]);
    }

    #[tokio::test]
    async fn shares_a_file_with_the_session_store_and_reopens() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("faultmaven.sqlite");
        let _sessions = crate::SqliteSessionStore::open(&path).unwrap();
        let log = SqliteAuditLog::open(&path).unwrap();
        log.record(&event("openai:a")).await.unwrap();
        drop(log);
        let reopened = SqliteAuditLog::open(&path).unwrap();
        assert_eq!(reopened.recent(5).await.unwrap().len(), 1);
    }
}
