//! Storage traits for sessions, cases and vectors; SQLite and in-memory backends.
