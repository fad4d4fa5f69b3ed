//! The SQLite session store: one connection behind a mutex, used only from blocking threads so
//! queries never stall the async runtime.

use crate::{SessionStore, StoreError};
use async_trait::async_trait;
use faultmaven_model::{SessionId, SessionState, Timestamp};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// Schema migrations, oldest first; migration `n` (1-based) brings the schema to version `n`.
/// Append only: a released migration is never edited, because databases in the field ran it.
///
/// Times are nanoseconds since the Unix epoch (the model's `Timestamp` resolution), so expiry
/// comparisons in SQL are exact. `state` is the session as JSON.
const MIGRATIONS: &[&str] = &[
    "CREATE TABLE sessions (
        id TEXT PRIMARY KEY NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        state TEXT NOT NULL
    ) STRICT;
    CREATE INDEX sessions_by_expiry ON sessions (expires_at);",
    // Past cases: redacted summaries of resolved sessions, kept after the sessions expire.
    "CREATE TABLE cases (
        id TEXT PRIMARY KEY NOT NULL,
        created_at INTEGER NOT NULL,
        body TEXT NOT NULL
    ) STRICT;",
];

/// How long a statement waits for a lock held by another process on the same file before it
/// fails with "database is locked".
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Sessions in a SQLite database (a file, or memory for tests and throwaway runs).
#[derive(Debug, Clone)]
pub struct SqliteSessionStore {
    connection: Arc<Mutex<Connection>>,
    /// The file, or `None` in memory; for diagnostics.
    path: Option<PathBuf>,
}

impl SqliteSessionStore {
    /// Opens (creating it and its directory when missing) the database at `path`, in WAL mode,
    /// and migrates its schema to the newest version.
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
        connection.busy_timeout(BUSY_TIMEOUT)?;
        // WAL lets readers proceed while a write is in progress, and with it NORMAL synchronous
        // mode is still crash-safe (a power loss can lose the last commits, never corrupt).
        connection.pragma_update(None, "journal_mode", "WAL")?;
        connection.pragma_update(None, "synchronous", "NORMAL")?;
        migrate(&mut connection)?;
        Ok(Self {
            connection: Arc::new(Mutex::new(connection)),
            path: Some(path.to_path_buf()),
        })
    }

    /// A private in-memory database, gone when the store is dropped.
    pub fn in_memory() -> Result<Self, StoreError> {
        let mut connection = Connection::open_in_memory()?;
        migrate(&mut connection)?;
        Ok(Self {
            connection: Arc::new(Mutex::new(connection)),
            path: None,
        })
    }

    /// The database file, or `None` for an in-memory store.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Runs `work` on the connection in a blocking thread.
    pub(crate) async fn with_connection<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        on_blocking_thread(&self.connection, work).await
    }
}

/// Runs `work` on the shared connection in a blocking thread, so queries never stall the
/// async runtime.
pub(crate) async fn on_blocking_thread<T, F>(
    connection: &Arc<Mutex<Connection>>,
    work: F,
) -> Result<T, StoreError>
where
    T: Send + 'static,
    F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
{
    let connection = Arc::clone(connection);
    tokio::task::spawn_blocking(move || {
        // A panic while the lock was held cannot leave a half-done write behind: every write
        // is one statement or a transaction that rolls back when dropped. So the connection
        // is still sound and a poisoned lock is taken over rather than failing forever.
        let mut connection = connection.lock().unwrap_or_else(PoisonError::into_inner);
        work(&mut connection)
    })
    .await
    .map_err(|error| StoreError::Task(error.to_string()))?
}

/// Brings the session schema, and the tables of the other stores kept in the same file, to the
/// newest version.
fn migrate(connection: &mut Connection) -> Result<(), StoreError> {
    run_migrations(connection, "schema_version", MIGRATIONS)?;
    crate::runbooks::migrate(connection)
}

/// Applies the `migrations` newer than the version recorded in `version_table`, in one
/// transaction so a crash leaves the old version. Each store of this crate keeps its own
/// version table, so stores sharing one file migrate independently.
pub(crate) fn run_migrations(
    connection: &mut Connection,
    version_table: &str,
    migrations: &[&str],
) -> Result<(), StoreError> {
    // IMMEDIATE takes the write lock up front, so two processes opening a new file at once
    // serialise here instead of both trying to create the tables.
    let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
    transaction.execute_batch(&format!(
        "CREATE TABLE IF NOT EXISTS {version_table} (version INTEGER NOT NULL)"
    ))?;
    let current: i64 = transaction.query_row(
        &format!("SELECT coalesce(max(version), 0) FROM {version_table}"),
        [],
        |row| row.get(0),
    )?;
    let supported = migrations.len() as i64;
    if current > supported {
        return Err(StoreError::SchemaTooNew {
            found: current,
            supported,
        });
    }
    for (version, migration) in (1..).zip(migrations).skip(current as usize) {
        transaction.execute_batch(migration)?;
        transaction.execute(
            &format!("INSERT INTO {version_table} (version) VALUES (?1)"),
            params![version],
        )?;
    }
    transaction.commit()?;
    Ok(())
}

#[async_trait]
impl SessionStore for SqliteSessionStore {
    async fn put(&self, session: &SessionState) -> Result<(), StoreError> {
        let state = serde_json::to_string(session)?;
        let id = session.id.as_str().to_owned();
        let (created_at, updated_at, expires_at) = (
            session.created_at.unix_nanos(),
            session.updated_at.unix_nanos(),
            session.expires_at.unix_nanos(),
        );
        self.with_connection(move |connection| {
            // serde_json writes a NaN or infinite number as `null`, which does not read back into
            // an f64: refuse such a session now rather than store one that `get` cannot return.
            serde_json::from_str::<SessionState>(&state)
                .map_err(|error| StoreError::Unrepresentable(error.to_string()))?;
            connection.execute(
                "INSERT INTO sessions (id, created_at, updated_at, expires_at, state)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (id) DO UPDATE SET
                     created_at = excluded.created_at,
                     updated_at = excluded.updated_at,
                     expires_at = excluded.expires_at,
                     state = excluded.state",
                params![id, created_at, updated_at, expires_at, state],
            )?;
            Ok(())
        })
        .await
    }

    async fn get(
        &self,
        id: &SessionId,
        now: Timestamp,
    ) -> Result<Option<SessionState>, StoreError> {
        let id = id.as_str().to_owned();
        self.with_connection(move |connection| {
            let state: Option<String> = connection
                .query_row(
                    "SELECT state FROM sessions WHERE id = ?1 AND expires_at >= ?2",
                    params![id, now.unix_nanos()],
                    |row| row.get(0),
                )
                .optional()?;
            state
                .map(|state| serde_json::from_str(&state).map_err(StoreError::from))
                .transpose()
        })
        .await
    }

    async fn delete(&self, id: &SessionId) -> Result<bool, StoreError> {
        let id = id.as_str().to_owned();
        self.with_connection(move |connection| {
            let removed = connection.execute("DELETE FROM sessions WHERE id = ?1", params![id])?;
            Ok(removed > 0)
        })
        .await
    }

    async fn delete_expired(&self, now: Timestamp) -> Result<u64, StoreError> {
        self.with_connection(move |connection| {
            let removed = connection.execute(
                "DELETE FROM sessions WHERE expires_at < ?1",
                params![now.unix_nanos()],
            )?;
            Ok(removed as u64)
        })
        .await
    }

    async fn ping(&self) -> Result<(), StoreError> {
        // Touch the sessions table, not just `SELECT 1`, so a missing or unreadable schema fails
        // the readiness check too.
        self.with_connection(|connection| {
            connection.query_row("SELECT count(*) FROM sessions WHERE 0", [], |_| Ok(()))?;
            Ok(())
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conformance::{run_session_store_suite, sample_session, CREATED};
    use crate::StoreErrorKind;

    const DAY_NANOS: i64 = 86_400_000_000_000;

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn in_memory_store_passes_the_suite() {
        let store = SqliteSessionStore::in_memory().expect("open in memory");
        run_session_store_suite(Arc::new(store)).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn file_store_passes_the_suite() {
        let directory = tempfile::tempdir().expect("tempdir");
        let store = SqliteSessionStore::open(&directory.path().join("sessions.db")).expect("open");
        run_session_store_suite(Arc::new(store)).await;
    }

    #[tokio::test]
    async fn file_store_keeps_sessions_across_reopen_in_wal_mode() {
        let directory = tempfile::tempdir().expect("tempdir");
        // A missing parent directory is created.
        let path = directory.path().join("state").join("sessions.db");
        let session = sample_session(
            "persisted-1",
            Timestamp::from_unix_nanos(CREATED.unix_nanos() + DAY_NANOS),
        );
        {
            let store = SqliteSessionStore::open(&path).expect("first open");
            assert_eq!(store.path(), Some(path.as_path()));
            store.put(&session).await.expect("put");
        }
        let store = SqliteSessionStore::open(&path).expect("second open migrates nothing");
        assert_eq!(
            store.get(&session.id, CREATED).await.expect("get"),
            Some(session)
        );
        let connection = store.connection.lock().expect("lock");
        let journal_mode: String = connection
            .query_row("PRAGMA journal_mode", [], |row| row.get(0))
            .expect("journal mode");
        assert_eq!(journal_mode, "wal");
        let versions: Vec<i64> = connection
            .prepare("SELECT version FROM schema_version ORDER BY version")
            .expect("prepare")
            .query_map([], |row| row.get(0))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows");
        assert_eq!(versions, (1..=MIGRATIONS.len() as i64).collect::<Vec<_>>());
    }

    #[test]
    fn a_database_from_a_newer_build_is_refused() {
        let directory = tempfile::tempdir().expect("tempdir");
        let path = directory.path().join("sessions.db");
        drop(SqliteSessionStore::open(&path).expect("create"));
        let newer = MIGRATIONS.len() as i64 + 1;
        Connection::open(&path)
            .expect("raw open")
            .execute(
                "INSERT INTO schema_version (version) VALUES (?1)",
                params![newer],
            )
            .expect("insert");
        let error = SqliteSessionStore::open(&path).expect_err("newer schema");
        assert!(
            matches!(error, StoreError::SchemaTooNew { found, supported }
                if found == newer && supported == newer - 1),
            "{error}"
        );
        assert_eq!(error.kind(), StoreErrorKind::Corrupt);
    }

    #[tokio::test]
    async fn a_corrupt_row_is_reported_not_returned() {
        let store = SqliteSessionStore::in_memory().expect("open");
        let session = sample_session("corrupted-1", CREATED);
        store.put(&session).await.expect("put");
        store
            .connection
            .lock()
            .expect("lock")
            .execute("UPDATE sessions SET state = '{\"id\": 7}'", [])
            .expect("corrupt the row");
        let error = store
            .get(&session.id, CREATED)
            .await
            .expect_err("corrupt row");
        assert_eq!(error.kind(), StoreErrorKind::Corrupt, "{error}");
    }

    #[tokio::test]
    async fn a_session_stored_before_plots_and_notices_reads_back_without_them() {
        let store = SqliteSessionStore::in_memory().expect("open");
        let session = sample_session("before-plots-1", CREATED);
        store.put(&session).await.expect("put");
        let mut older = serde_json::to_value(&session).expect("json");
        let fields = older.as_object_mut().expect("an object");
        assert!(fields.remove("plots").is_some() && fields.remove("notices").is_some());
        store
            .connection
            .lock()
            .expect("lock")
            .execute("UPDATE sessions SET state = ?1", params![older.to_string()])
            .expect("write the older shape");
        let read = store
            .get(&session.id, CREATED)
            .await
            .expect("get")
            .expect("present");
        assert!(read.plots.is_empty() && read.notices.is_empty());
        assert_eq!(read.findings, session.findings);
    }

    #[test]
    fn opening_a_directory_fails_with_a_sqlite_error() {
        let directory = tempfile::tempdir().expect("tempdir");
        let error = SqliteSessionStore::open(directory.path()).expect_err("a directory");
        assert_eq!(error.kind(), StoreErrorKind::Unavailable, "{error}");
    }
}
