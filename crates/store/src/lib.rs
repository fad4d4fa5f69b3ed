//! Storage behind traits: session state, past cases, admin-written runbooks, and vectors for
//! retrieval.
//!
//! Architecture invariant: this is the only crate that knows SQL. Callers hold an
//! `Arc<dyn SessionStore>` or `Arc<dyn VectorIndex>` and never see a connection or a query.
//! Only derived data ([`faultmaven_model::SessionState`]) is ever written; raw uploads never
//! reach this crate.

mod audit;
mod cases;
mod error;
mod runbooks;
mod session;
mod sqlite;
mod vector;

#[cfg(test)]
mod conformance;

pub use audit::{AuditAction, AuditEvent, AuditLog, SqliteAuditLog};
pub use cases::CaseStore;
pub use error::{StoreError, StoreErrorKind};
pub use runbooks::{RunbookBody, RunbookStore, StoredRunbook};
pub use session::{spawn_ttl_sweeper, SessionStore};
pub use sqlite::SqliteSessionStore;
pub use vector::{HnswParameters, HnswVectorIndex, InMemoryVectorIndex, VectorIndex};
