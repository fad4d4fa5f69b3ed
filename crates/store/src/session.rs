//! The session store seam and the background task that deletes expired sessions.

use crate::StoreError;
use async_trait::async_trait;
use faultmaven_model::{SessionId, SessionState, Timestamp};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Where session state lives between requests.
///
/// A session is live while `now <= expires_at`: the model says it is deleted *after* that instant.
/// Expired sessions are invisible to [`SessionStore::get`] at once, and physically removed by
/// [`SessionStore::delete_expired`] (see [`spawn_ttl_sweeper`]).
///
/// Architecture invariant: only derived data ([`SessionState`]) is ever written; there is no
/// method that takes raw uploads.
#[async_trait]
pub trait SessionStore: Send + Sync + 'static {
    /// Inserts the session, or replaces the stored one with the same id.
    async fn put(&self, session: &SessionState) -> Result<(), StoreError>;

    /// The session with this id, or `None` when there is none or it expired before `now`.
    async fn get(&self, id: &SessionId, now: Timestamp)
        -> Result<Option<SessionState>, StoreError>;

    /// Deletes the session; `false` when there was none with this id.
    async fn delete(&self, id: &SessionId) -> Result<bool, StoreError>;

    /// Deletes every session that expired before `now`; returns how many were removed.
    async fn delete_expired(&self, now: Timestamp) -> Result<u64, StoreError>;

    /// Checks that the backend answers, for readiness probes.
    async fn ping(&self) -> Result<(), StoreError>;
}

/// The shortest sweep interval: a zero interval would spin on the database.
const MINIMUM_SWEEP_INTERVAL: Duration = Duration::from_millis(1);

/// Spawns a task that calls [`SessionStore::delete_expired`] every `every` (first sweep at once),
/// logging what it removed and any failure; a failed sweep is retried at the next tick.
///
/// The task runs until it is aborted through the returned handle or the runtime shuts down.
/// Intervals below one millisecond are raised to one millisecond.
pub fn spawn_ttl_sweeper(
    store: Arc<dyn SessionStore>,
    every: Duration,
) -> tokio::task::JoinHandle<()> {
    let every = every.max(MINIMUM_SWEEP_INTERVAL);
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(every);
        // After a slow sweep, wait a whole interval again rather than sweeping back to back.
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            match store.delete_expired(wall_clock_now()).await {
                Ok(0) => tracing::debug!("session sweep removed nothing"),
                Ok(removed) => tracing::info!(removed, "session sweep removed expired sessions"),
                Err(error) => {
                    tracing::warn!(%error, "session sweep failed; retrying next interval")
                }
            }
        }
    })
}

/// The current wall-clock time. Expiry instants are wall-clock times, so the sweeper must not use
/// a monotonic clock here.
fn wall_clock_now() -> Timestamp {
    let nanos = match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(since_epoch) => i64::try_from(since_epoch.as_nanos()).unwrap_or(i64::MAX),
        // A clock before 1970 is broken; treat it as the epoch, which expires nothing new.
        Err(_) => 0,
    };
    Timestamp::from_unix_nanos(nanos)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conformance::sample_session;
    use crate::SqliteSessionStore;

    #[tokio::test]
    async fn the_sweeper_deletes_expired_sessions_and_keeps_live_ones() {
        let store: Arc<dyn SessionStore> = Arc::new(SqliteSessionStore::in_memory().expect("open"));
        let now = wall_clock_now().unix_nanos();
        let hour = 3_600_000_000_000;
        let expired = sample_session(
            "expired-an-hour-ago",
            Timestamp::from_unix_nanos(now - hour),
        );
        let live = sample_session("live-for-an-hour", Timestamp::from_unix_nanos(now + hour));
        store.put(&expired).await.expect("put");
        store.put(&live).await.expect("put");
        // Asking as of two hours ago sees the expired session for as long as its row exists.
        let two_hours_ago = Timestamp::from_unix_nanos(now - 2 * hour);
        assert!(store
            .get(&expired.id, two_hours_ago)
            .await
            .expect("get")
            .is_some());

        let sweeper = spawn_ttl_sweeper(Arc::clone(&store), Duration::from_millis(10));
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while store
            .get(&expired.id, two_hours_ago)
            .await
            .expect("get")
            .is_some()
        {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the sweeper did not delete the expired session within 10 s"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert_eq!(
            store.get(&live.id, two_hours_ago).await.expect("get"),
            Some(live)
        );
        assert!(!sweeper.is_finished(), "the sweeper keeps running");
        sweeper.abort();
        assert!(sweeper.await.expect_err("aborted").is_cancelled());
    }

    #[test]
    fn wall_clock_is_after_2024() {
        assert!(wall_clock_now() > Timestamp::from_unix_millis(1_704_067_200_000));
    }
}
