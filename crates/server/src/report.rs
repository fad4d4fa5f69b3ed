//! The readable report `faultmaven analyze` prints without `--json`.

use crate::dto::{Evidence, TroubleshootResponse};
use std::fmt::Write as _;

fn evidence_text(evidence: &Evidence) -> String {
    match evidence {
        Evidence::LogLines {
            attachment,
            first_line,
            last_line,
            ..
        } if first_line == last_line => {
            format!("{attachment}:{first_line}")
        }
        Evidence::LogLines {
            attachment,
            first_line,
            last_line,
            ..
        } => {
            format!("{attachment}:{first_line}-{last_line}")
        }
        Evidence::MetricPoint {
            attachment,
            series,
            timestamp,
            value,
            ..
        } => format!(
            "{attachment} {series} @ {} = {value}",
            timestamp.as_deref().unwrap_or("-")
        ),
        Evidence::Span {
            attachment,
            trace_id,
            span_id,
        } => format!("{attachment} trace {trace_id} span {span_id}"),
        Evidence::ConfigKey {
            attachment, path, ..
        } => format!("{attachment} {path}"),
    }
}

/// Renders the response for a terminal.
pub fn render(response: &TroubleshootResponse) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "FaultMaven — {} request, intent {}\n",
        response.request_kind, response.intent
    );
    if !response.attachments.is_empty() {
        let _ = writeln!(out, "Attachments");
        for a in &response.attachments {
            let _ = writeln!(
                out,
                "  {:<4} {:<40} {:<8} {:<18} {:>9} records  {:>4} issues",
                a.id,
                a.name.chars().take(40).collect::<String>(),
                a.kind,
                a.format,
                a.records,
                a.issues.len()
            );
        }
        out.push('\n');
    }
    if !response.notices.is_empty() {
        let _ = writeln!(out, "Notices");
        for notice in &response.notices {
            let _ = writeln!(out, "  {}", notice.title);
        }
        out.push('\n');
    }
    if !response.root_causes.is_empty() {
        let _ = writeln!(out, "Root-cause suspects");
        for cause in &response.root_causes {
            let _ = writeln!(
                out,
                "  #{} {:>3.0}%  {} {} — {}",
                cause.rank,
                cause.score * 100.0,
                cause.entity.kind,
                cause.entity.name,
                cause.mechanism
            );
            for evidence in cause.evidence.iter().take(3) {
                let _ = writeln!(
                    out,
                    "        - [{}] {}",
                    evidence.signal, evidence.description
                );
            }
        }
        out.push('\n');
    }
    let _ = writeln!(out, "Hypotheses");
    if response.hypotheses.is_empty() {
        let _ = writeln!(out, "  (none)");
    }
    for h in &response.hypotheses {
        let _ = writeln!(
            out,
            "  {} {:>3.0}%  {}{}",
            h.id,
            h.confidence * 100.0,
            h.title,
            if h.finding_ids.is_empty() {
                String::new()
            } else {
                format!("  [{}]", h.finding_ids.join(", "))
            }
        );
        for step in h.next_steps.iter().take(3) {
            let _ = writeln!(out, "        - {}", step.description);
            if let Some(command) = &step.command {
                let _ = writeln!(out, "          $ {command}");
            }
        }
    }
    let _ = writeln!(out, "\nFindings ({})", response.findings.len());
    for f in &response.findings {
        let evidence: Vec<String> = f.evidence.iter().take(3).map(evidence_text).collect();
        let _ = writeln!(
            out,
            "  {:<4} {:<8} {}  ({})",
            f.id,
            f.severity,
            f.title,
            evidence.join(", ")
        );
    }
    let _ = writeln!(
        out,
        "\nAnswer ({})\n{}",
        response.answer_provenance.provider, response.answer
    );
    out
}
