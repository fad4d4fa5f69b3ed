//! Helpers shared by the integration tests.

pub mod loghub;
pub mod nab;
pub mod scoring;
