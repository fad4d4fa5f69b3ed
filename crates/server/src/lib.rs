//! The FaultMaven server: HTTP API, web UI, configuration and the CLI's plumbing.
//!
//! Architecture invariant: this is the only crate that knows HTTP (axum), JSON DTOs and the
//! OpenAPI document; everything it does goes through `faultmaven_engine::Engine`.

pub mod admin_token;
pub mod api;
pub mod assemble;
pub mod config;
pub mod dto;
pub mod error;
pub mod events;
pub mod report;
pub mod runbooks;
pub mod ui;

pub use api::{router, AppState, Limits};

use faultmaven_engine::{Engine, TroubleshootOutcome};
use faultmaven_model::AttachmentRole;
use std::io::Read;
use std::path::PathBuf;

/// Size of the chunks files are read in: the same streaming path as an upload.
const FILE_CHUNK_BYTES: usize = 256 * 1024;

/// One file for `analyze`.
pub struct InputFile {
    /// Path to read.
    pub path: PathBuf,
    /// Incident or baseline.
    pub role: AttachmentRole,
}

/// Runs the whole pipeline in-process on files, as the CLI does.
pub async fn analyze_files(
    engine: &Engine,
    query: Option<String>,
    files: &[InputFile],
) -> anyhow::Result<TroubleshootOutcome> {
    use anyhow::Context;
    let mut investigation = engine.begin(None, None).await?;
    investigation.set_query(query)?;
    for file in files {
        let name = file
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| file.path.display().to_string());
        let mut reader = std::fs::File::open(&file.path)
            .with_context(|| format!("opening {}", file.path.display()))?;
        investigation.begin_attachment(&name, file.role).await?;
        loop {
            let mut chunk = vec![0u8; FILE_CHUNK_BYTES];
            let read = reader
                .read(&mut chunk)
                .with_context(|| format!("reading {}", file.path.display()))?;
            if read == 0 {
                break;
            }
            chunk.truncate(read);
            investigation.intake.feed(chunk).await?;
        }
        investigation.intake.end_attachment().await?;
    }
    Ok(investigation.finish().await?)
}
