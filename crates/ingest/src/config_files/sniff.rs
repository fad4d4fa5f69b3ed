//! Sniffers for the configuration syntaxes that the older detectors do not cover: Dockerfile
//! and nginx-style configuration.

use super::dockerfile::instruction_of;
use crate::format::Window;

/// Most instruction lines start with a Dockerfile keyword and the first one is `FROM` (or
/// `ARG`, which may precede it).
pub(crate) fn sniff_dockerfile(window: &Window<'_>) -> u8 {
    let mut total = 0;
    let mut instructions = 0;
    let mut first: Option<&'static str> = None;
    let mut continued = false;
    for line in window.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let is_continuation = continued;
        continued = trimmed.ends_with('\\');
        if is_continuation {
            continue;
        }
        total += 1;
        // An uppercase keyword is the convention; lowercase prose words (`run`, `add`) are not.
        let keyword = trimmed.split_whitespace().next().unwrap_or("");
        if let Some(instruction) =
            instruction_of(trimmed).filter(|_| keyword.bytes().all(|b| b.is_ascii_uppercase()))
        {
            instructions += 1;
            first.get_or_insert(instruction);
        }
    }
    let starts_right = matches!(first, Some("FROM" | "ARG"));
    if starts_right && instructions * 10 >= total * 8 {
        90
    } else {
        0
    }
}

/// Directives ending in `;`, blocks opened with `{` and closed with `}`, and at least one
/// directive nginx knows.
pub(crate) fn sniff_nginx(window: &Window<'_>) -> u8 {
    const KNOWN: &[&str] = &[
        "server",
        "location",
        "listen",
        "http",
        "events",
        "worker_processes",
        "upstream",
        "proxy_pass",
        "server_name",
        "root",
        "include",
        "error_log",
        "access_log",
        "worker_connections",
        "stream",
        "proxy_set_header",
        "keepalive_timeout",
    ];
    let mut total = 0;
    let mut shaped = 0;
    let mut known = 0;
    let mut blocks = 0;
    for line in window.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        total += 1;
        let code = trimmed.split(" #").next().unwrap_or(trimmed).trim_end();
        if code.ends_with(';') || code.ends_with('{') || code == "}" {
            shaped += 1;
        }
        if code.ends_with('{') {
            blocks += 1;
        }
        let word = code.split_whitespace().next().unwrap_or("");
        if KNOWN.contains(&word) {
            known += 1;
        }
    }
    if blocks > 0 && known > 0 && shaped * 10 >= total * 9 {
        88
    } else {
        0
    }
}
