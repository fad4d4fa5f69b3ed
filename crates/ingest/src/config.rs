//! Settings of the ingest stage, readable from the `[ingest]` section of a configuration file.

use chrono::Datelike;
use serde::Deserialize;

/// How uploads are parsed. Every field has a default, so a configuration file only names what
/// it changes.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IngestConfig {
    /// Longest line kept, in bytes. Longer lines are cut at this size (on a character
    /// boundary) with one issue; the rest of such a line is skipped while streaming, never
    /// buffered.
    pub max_line_bytes: usize,
    /// Most bytes a compressed upload may expand to; beyond it parsing fails with
    /// [`IngestError::DecompressedTooLarge`](crate::IngestError::DecompressedTooLarge).
    pub max_decompressed_bytes: u64,
    /// Issues kept per attachment; further issues only set `issues_truncated`.
    pub max_issues_per_attachment: usize,
    /// Bytes of content buffered before the format is decided.
    pub sniff_window_bytes: usize,
    /// Most lines one multi-line log record (a message and its stack trace) may span; a longer
    /// record is split, with an issue.
    pub max_record_lines: usize,
    /// Most bytes of message one multi-line log record may hold; a longer record is split,
    /// with an issue.
    pub max_record_bytes: usize,
    /// Most bytes of one configuration document (YAML, TOML, JSON, ...) that are parsed;
    /// configuration syntaxes need the whole document, so it is buffered up to this size and
    /// the rest is reported as an issue.
    pub max_config_document_bytes: usize,
    /// Deepest nesting of a configuration document that is flattened into keys.
    pub max_config_depth: usize,
    /// Most configuration keys kept per upload.
    pub max_config_entries: usize,
    /// Largest single JSON document (an OTLP, Jaeger or Zipkin trace export) buffered for
    /// parsing; a larger one is not parsed and gets one issue.
    pub max_document_bytes: usize,
    /// Year given to timestamps that carry none (syslog `Jan  5 14:03:07`). `None` means the
    /// current year when the parser is created; set it to make output reproducible.
    pub base_year: Option<i32>,
    /// Limits on archives (zip, tar) and nested compression.
    pub archive: ArchiveConfig,
    /// Which secrets and personal data are masked before records leave the crate.
    pub redaction: RedactionConfig,
}

impl Default for IngestConfig {
    fn default() -> Self {
        Self {
            max_line_bytes: 64 * 1024,
            max_decompressed_bytes: 1 << 30,
            max_issues_per_attachment: 100,
            sniff_window_bytes: 64 * 1024,
            max_record_lines: 200,
            max_record_bytes: 64 * 1024,
            max_config_document_bytes: 4 << 20,
            max_config_depth: 64,
            max_config_entries: 100_000,
            max_document_bytes: 128 * 1024 * 1024,
            base_year: None,
            archive: ArchiveConfig::default(),
            redaction: RedactionConfig::default(),
        }
    }
}

impl IngestConfig {
    /// The base year to use now: the configured one, else the current UTC year.
    pub fn effective_base_year(&self) -> i32 {
        self.base_year.unwrap_or_else(|| chrono::Utc::now().year())
    }
}

/// Limits on archives and compressed streams. `max_decompressed_bytes` (above) caps what a
/// whole upload expands to, every member and layer included; these cap the rest of a bomb's
/// tricks. Exceeding one inside an archive skips what is left with an issue (members already
/// parsed are kept); at the top of an upload that is not an archive it fails the upload.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ArchiveConfig {
    /// Most layers of containers and compression around a member: `app.log.gz` is 1,
    /// `logs.tar.gz` 2, a `.gz` inside a `.zip` inside a `.tar` 3.
    pub max_depth: usize,
    /// Most members (files) parsed per upload, over all archives in it; the rest are skipped
    /// with one issue. Each member becomes an attachment in the response, so this also bounds
    /// the response.
    pub max_members: usize,
    /// Most a compressed stream or zip member may expand relative to its compressed size
    /// (logs compress 5 to 50 times; a bomb a thousand times or more).
    pub max_compression_ratio: u64,
    /// The ratio is enforced only past this many decompressed bytes, so a tiny, highly
    /// compressible file is never mistaken for a bomb.
    pub ratio_grace_bytes: u64,
    /// Largest zip file accepted. A zip's table of contents is at its end, so the archive is
    /// held in memory (never on disk: raw uploads stay in memory) up to this size.
    pub max_zip_bytes: usize,
}

impl Default for ArchiveConfig {
    fn default() -> Self {
        Self {
            max_depth: 4,
            max_members: 1_000,
            max_compression_ratio: 500,
            ratio_grace_bytes: 1 << 20,
            max_zip_bytes: 256 << 20,
        }
    }
}

/// Which redaction detectors are on.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RedactionConfig {
    /// Master switch; when off, text passes through untouched.
    pub enabled: bool,
    /// Credentials: cloud and SaaS keys, tokens, JWTs, `Authorization` headers, private keys,
    /// passwords in URLs and `password=`-style key/value pairs.
    pub secrets: bool,
    /// E-mail addresses.
    pub emails: bool,
    /// Payment card numbers (13 to 19 digits passing the Luhn check, with a known issuer
    /// prefix).
    pub credit_cards: bool,
    /// IPv4 and IPv6 addresses. Off by default: addresses are usually what an engineer needs
    /// to see while troubleshooting.
    pub ip_addresses: bool,
    /// Host names and fully qualified domain names (`db-01.prod.internal`, `api.example.com`;
    /// not file names, Java packages or versions). Off by default, like IP addresses.
    pub hostnames: bool,
    /// Number placeholders so the same secret gets the same one within the redactor's life
    /// (`<REDACTED:email:1>` twice means the same address).
    pub numbered_placeholders: bool,
}

impl Default for RedactionConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            secrets: true,
            emails: true,
            credit_cards: true,
            ip_addresses: false,
            hostnames: false,
            numbered_placeholders: true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_config_files_keep_defaults() {
        let config: IngestConfig = toml::from_str(
            "max_line_bytes = 1024\nbase_year = 2020\n[redaction]\nip_addresses = true\nhostnames = true\n",
        )
        .unwrap();
        assert_eq!(config.max_line_bytes, 1024);
        assert_eq!(config.base_year, Some(2020));
        assert!(config.redaction.ip_addresses && config.redaction.hostnames);
        assert!(config.redaction.emails);
        assert_eq!(
            config.sniff_window_bytes,
            IngestConfig::default().sniff_window_bytes
        );
        assert!(toml::from_str::<IngestConfig>("no_such_setting = 1").is_err());
    }
}
