//! The store of runbooks written through the admin API, and its SQLite implementation.
//!
//! Runbooks are kept as the markdown the administrator sent, not as parsed fields, so a stored
//! runbook goes through the same parser as a runbook file each time it is loaded. A deletion of
//! a runbook the binary ships (or loads from the runbook directory) is kept as a tombstone, so it
//! stays deleted after a restart.

use crate::{SqliteSessionStore, StoreError};
use async_trait::async_trait;
use faultmaven_model::Timestamp;
use rusqlite::{params, Connection};

/// What is stored under a runbook id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunbookBody {
    /// The runbook's text: front matter and markdown, as sent.
    Markdown(String),
    /// Deleted: hides the shipped or directory runbook of the same id.
    Deleted,
}

/// One runbook change as stored: the newest for its id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRunbook {
    /// The runbook id.
    pub id: String,
    /// When it was written.
    pub updated_at: Timestamp,
    /// The text, or the tombstone.
    pub body: RunbookBody,
}

/// Where admin-written runbooks live, held as `Arc<dyn RunbookStore>`.
#[async_trait]
pub trait RunbookStore: Send + Sync + 'static {
    /// Stores `runbook`, replacing what was stored under its id.
    async fn put_runbook(&self, runbook: &StoredRunbook) -> Result<(), StoreError>;

    /// Every stored runbook and tombstone, by id.
    async fn list_runbooks(&self) -> Result<Vec<StoredRunbook>, StoreError>;

    /// Forgets what was stored under `id` (text or tombstone); `false` when there was nothing.
    async fn forget_runbook(&self, id: &str) -> Result<bool, StoreError>;
}

/// The runbook table's migrations, oldest first, versioned in their own table so they never
/// interleave with the session schema's. Append only. `markdown` is NULL for a tombstone.
const RUNBOOK_MIGRATIONS: &[&str] = &["CREATE TABLE admin_runbooks (
        id TEXT PRIMARY KEY NOT NULL,
        updated_at INTEGER NOT NULL,
        markdown TEXT
    ) STRICT;"];

/// Brings the runbook table to the newest version (called when the session store opens).
pub(crate) fn migrate(connection: &mut Connection) -> Result<(), StoreError> {
    crate::sqlite::run_migrations(connection, "runbook_schema_version", RUNBOOK_MIGRATIONS)
}

#[async_trait]
impl RunbookStore for SqliteSessionStore {
    async fn put_runbook(&self, runbook: &StoredRunbook) -> Result<(), StoreError> {
        let (id, updated_at) = (runbook.id.clone(), runbook.updated_at.unix_nanos());
        let markdown = match &runbook.body {
            RunbookBody::Markdown(text) => Some(text.clone()),
            RunbookBody::Deleted => None,
        };
        self.with_connection(move |connection| {
            connection.execute(
                "INSERT INTO admin_runbooks (id, updated_at, markdown) VALUES (?1, ?2, ?3)
                 ON CONFLICT (id) DO UPDATE SET
                     updated_at = excluded.updated_at, markdown = excluded.markdown",
                params![id, updated_at, markdown],
            )?;
            Ok(())
        })
        .await
    }

    async fn list_runbooks(&self) -> Result<Vec<StoredRunbook>, StoreError> {
        self.with_connection(|connection| {
            let mut statement = connection
                .prepare("SELECT id, updated_at, markdown FROM admin_runbooks ORDER BY id")?;
            let rows = statement.query_map([], |row| {
                let markdown: Option<String> = row.get(2)?;
                Ok(StoredRunbook {
                    id: row.get(0)?,
                    updated_at: Timestamp::from_unix_nanos(row.get(1)?),
                    body: markdown.map_or(RunbookBody::Deleted, RunbookBody::Markdown),
                })
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }

    async fn forget_runbook(&self, id: &str) -> Result<bool, StoreError> {
        let id = id.to_owned();
        self.with_connection(move |connection| {
            Ok(connection.execute("DELETE FROM admin_runbooks WHERE id = ?1", params![id])? > 0)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(id: &str, at: i64, body: RunbookBody) -> StoredRunbook {
        StoredRunbook {
            id: id.to_owned(),
            updated_at: Timestamp::from_unix_nanos(at),
            body,
        }
    }

    #[tokio::test]
    async fn runbooks_and_tombstones_survive_a_reopen_and_can_be_forgotten() {
        let directory = tempfile::tempdir().expect("tempdir");
        let path = directory.path().join("faultmaven.sqlite");
        let text = "---\ntitle: T\nsymptoms: [s]\ncategory: network\n---\nbody\n";
        {
            let store = SqliteSessionStore::open(&path).expect("open");
            assert!(store.list_runbooks().await.expect("list").is_empty());
            let first = stored("zeta", 1, RunbookBody::Markdown("old".into()));
            store.put_runbook(&first).await.expect("put");
            let replaced = stored("zeta", 2, RunbookBody::Markdown(text.into()));
            store.put_runbook(&replaced).await.expect("replace");
            let tombstone = stored("disk-full", 3, RunbookBody::Deleted);
            store.put_runbook(&tombstone).await.expect("tombstone");
        }
        let store = SqliteSessionStore::open(&path).expect("reopen");
        assert_eq!(
            store.list_runbooks().await.expect("list"),
            vec![
                stored("disk-full", 3, RunbookBody::Deleted),
                stored("zeta", 2, RunbookBody::Markdown(text.into())),
            ]
        );
        assert!(store.forget_runbook("disk-full").await.expect("forget"));
        assert!(!store.forget_runbook("disk-full").await.expect("again"));
        assert_eq!(store.list_runbooks().await.expect("list").len(), 1);
    }

    #[tokio::test]
    async fn the_in_memory_store_has_the_table_too() {
        let store = SqliteSessionStore::in_memory().expect("open");
        let tombstone = stored("x", 1, RunbookBody::Deleted);
        store.put_runbook(&tombstone).await.expect("put");
        assert_eq!(store.list_runbooks().await.expect("list"), vec![tombstone]);
    }
}
