//! The past-case store seam and its SQLite implementation.
//!
//! Cases outlive sessions on purpose: they are the product's memory of resolved incidents. They
//! hold only redacted, derived text ([`PastCase`]), so keeping them does not keep raw data.

use crate::{SqliteSessionStore, StoreError};
use async_trait::async_trait;
use faultmaven_model::PastCase;
use rusqlite::params;

/// Where resolved cases live.
#[async_trait]
pub trait CaseStore: Send + Sync + 'static {
    /// Inserts the case, or replaces the stored one with the same id.
    async fn put_case(&self, case: &PastCase) -> Result<(), StoreError>;

    /// Every case, oldest first (for indexing at start-up).
    async fn list_cases(&self) -> Result<Vec<PastCase>, StoreError>;

    /// Deletes a case; `false` when there was none with this id.
    async fn delete_case(&self, id: &str) -> Result<bool, StoreError>;
}

#[async_trait]
impl CaseStore for SqliteSessionStore {
    async fn put_case(&self, case: &PastCase) -> Result<(), StoreError> {
        let body = serde_json::to_string(case)?;
        let (id, created_at) = (case.id.clone(), case.created_at.unix_nanos());
        self.with_connection(move |connection| {
            serde_json::from_str::<PastCase>(&body)
                .map_err(|error| StoreError::Unrepresentable(error.to_string()))?;
            connection.execute(
                "INSERT INTO cases (id, created_at, body) VALUES (?1, ?2, ?3)
                 ON CONFLICT (id) DO UPDATE SET created_at = excluded.created_at, body = excluded.body",
                params![id, created_at, body],
            )?;
            Ok(())
        })
        .await
    }

    async fn list_cases(&self) -> Result<Vec<PastCase>, StoreError> {
        self.with_connection(|connection| {
            let mut statement =
                connection.prepare("SELECT body FROM cases ORDER BY created_at, id")?;
            let bodies = statement
                .query_map([], |row| row.get::<_, String>(0))?
                .collect::<Result<Vec<_>, _>>()?;
            bodies
                .iter()
                .map(|body| serde_json::from_str(body).map_err(StoreError::from))
                .collect()
        })
        .await
    }

    async fn delete_case(&self, id: &str) -> Result<bool, StoreError> {
        let id = id.to_owned();
        self.with_connection(move |connection| {
            Ok(connection.execute("DELETE FROM cases WHERE id = ?1", params![id])? > 0)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use faultmaven_model::{HypothesisCategory, SessionId, Suspect, SuspectKind, Timestamp};

    fn case(id: &str, at: i64) -> PastCase {
        PastCase {
            id: id.to_owned(),
            created_at: Timestamp::from_unix_nanos(at),
            session_id: SessionId::from_random_bytes([7; 16]),
            root_cause: "Connection pool exhausted in checkout".to_owned(),
            category: HypothesisCategory::ResourceExhaustion,
            suspects: vec![Suspect {
                kind: SuspectKind::Service,
                name: "checkout".to_owned(),
            }],
            symptoms: vec!["ERROR template E3 'HikariPool-1 - Connection is not available'".into()],
            resolution: vec!["raised maximumPoolSize to 40".to_owned()],
            runbook: Some("connection-pool-exhausted".to_owned()),
        }
    }

    #[tokio::test]
    async fn cases_round_trip_replace_and_delete() {
        let directory = tempfile::tempdir().expect("tempdir");
        let path = directory.path().join("cases.db");
        let store = SqliteSessionStore::open(&path).expect("open");
        store.put_case(&case("case-b", 20)).await.expect("put");
        store.put_case(&case("case-a", 10)).await.expect("put");
        let mut changed = case("case-b", 20);
        changed.resolution.push("restarted the pods".to_owned());
        store.put_case(&changed).await.expect("replace");

        // A new connection to the same file sees them: cases are durable, unlike raw data.
        let reopened = SqliteSessionStore::open(&path).expect("reopen");
        let cases = reopened.list_cases().await.expect("list");
        assert_eq!(cases, vec![case("case-a", 10), changed]);
        assert!(reopened.delete_case("case-a").await.expect("delete"));
        assert!(!reopened.delete_case("case-a").await.expect("delete again"));
        assert_eq!(reopened.list_cases().await.expect("list").len(), 1);
    }
}
