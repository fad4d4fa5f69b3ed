//! Hypotheses: candidate root causes built from findings and matching runbooks, scored and
//! ranked. Every hypothesis built here cites findings that exist, or (for a question with no
//! data) the runbook it came from.

use faultmaven_knowledge::Runbook;
use faultmaven_model::{
    AttachmentSummary, Evidence, Finding, FindingKind, Hypothesis, HypothesisCategory,
    HypothesisId, HypothesisStatus, NextStep, Suspect, SuspectKind,
};
use std::collections::BTreeSet;

/// A runbook retrieved for this request, with its fused retrieval score and rank.
pub struct RetrievedRunbook<'a> {
    /// The runbook.
    pub runbook: &'a Runbook,
    /// 0-based rank in the fused retrieval list.
    pub rank: usize,
}

/// Keyword rules that place a finding in a root-cause family. Checked in order; the first rule
/// with a matching phrase wins, so more specific phrases come first.
const CATEGORY_RULES: &[(HypothesisCategory, &[&str])] = &[
    (
        HypothesisCategory::Storage,
        &[
            "no space left",
            "disk full",
            "disk quota",
            "inode",
            "read-only file system",
            "i/o error",
            "input/output error",
            "filesystem",
        ],
    ),
    (
        HypothesisCategory::ResourceExhaustion,
        &[
            "outofmemory",
            "out of memory",
            "oomkilled",
            "oom-kill",
            "heap space",
            "cannot allocate memory",
            "memory limit",
            "pool exhausted",
            "too many connections",
            "too many open files",
            "max_connections",
            "resource temporarily unavailable",
            "connection pool",
            "exit code 137",
        ],
    ),
    (
        HypothesisCategory::Security,
        &[
            "authentication fail",
            "auth fail",
            "invalid credentials",
            "unauthorized",
            "forbidden",
            "permission denied",
            "access denied",
            "certificate",
            "x509",
            "ssl",
            "tls",
            "invalid user",
            "failed password",
        ],
    ),
    (
        HypothesisCategory::Network,
        &[
            "unknownhost",
            "name or service not known",
            "temporary failure in name resolution",
            "dns",
            "no route to host",
            "network is unreachable",
            "connection reset",
            "broken pipe",
            "timed out",
            "timeout",
            "deadline exceeded",
        ],
    ),
    (
        HypothesisCategory::DependencyFailure,
        &[
            "connection refused",
            "econnrefused",
            "could not connect",
            "unable to connect",
            "failed to connect",
            "connect exception",
            "connectexception",
            "service unavailable",
            "503",
            "upstream",
            "bad gateway",
        ],
    ),
    (
        HypothesisCategory::Configuration,
        &[
            "config",
            "invalid value",
            "missing property",
            "missing required",
            "no such key",
            "unknown option",
            "misconfigur",
            "environment variable",
        ],
    ),
    (
        HypothesisCategory::Performance,
        &[
            "slow",
            "latency",
            "gc pause",
            "throttl",
            "cpu",
            "took",
            "backlog",
            "lag",
            "queue full",
        ],
    ),
    (
        HypothesisCategory::CodeDefect,
        &[
            "nullpointer",
            "null pointer",
            "exception",
            "traceback",
            "panic",
            "segmentation fault",
            "assert",
            "undefined",
            "typeerror",
            "keyerror",
            "stack overflow",
        ],
    ),
];

/// The text of a finding that classification and symptom matching look at.
fn finding_text(finding: &Finding) -> String {
    let mut text = format!("{} {}", finding.title, finding.detail);
    for evidence in &finding.evidence {
        match evidence {
            Evidence::LogLines {
                excerpt: Some(excerpt),
                ..
            } => {
                text.push(' ');
                text.push_str(excerpt);
            }
            Evidence::MetricPoint { series, .. } => {
                text.push(' ');
                text.push_str(series);
            }
            _ => {}
        }
    }
    text.to_lowercase()
}

/// Places a finding in a root-cause family.
pub fn categorize(finding: &Finding) -> HypothesisCategory {
    let text = finding_text(finding);
    if matches!(
        finding.kind,
        FindingKind::MetricAnomaly | FindingKind::MetricShift | FindingKind::MetricSaturation
    ) {
        return categorize_metric(&text);
    }
    for (category, phrases) in CATEGORY_RULES {
        if phrases.iter().any(|phrase| text.contains(phrase)) {
            return *category;
        }
    }
    match finding.kind {
        FindingKind::Exception => HypothesisCategory::CodeDefect,
        FindingKind::ConfigIssue => HypothesisCategory::Configuration,
        FindingKind::TraceAnomaly => HypothesisCategory::Performance,
        _ => HypothesisCategory::Unknown,
    }
}

fn categorize_metric(text: &str) -> HypothesisCategory {
    let any = |words: &[&str]| words.iter().any(|word| text.contains(word));
    if any(&["mem", "heap", "rss", "oom"]) {
        HypothesisCategory::ResourceExhaustion
    } else if any(&["disk", "fs_", "filesystem", "inode", "volume"]) {
        HypothesisCategory::Storage
    } else if any(&["error", "5xx", "fail"]) {
        HypothesisCategory::DependencyFailure
    } else if any(&["conn", "pool", "thread", "fd", "file_descriptor"]) {
        HypothesisCategory::ResourceExhaustion
    } else {
        HypothesisCategory::Performance
    }
}

/// A short phrase naming a root-cause family, for titles.
pub fn category_phrase(category: HypothesisCategory) -> &'static str {
    match category {
        HypothesisCategory::ResourceExhaustion => "Resource exhaustion",
        HypothesisCategory::DependencyFailure => "A dependency is failing or unreachable",
        HypothesisCategory::Network => "Network or DNS problem",
        HypothesisCategory::Configuration => "Bad or changed configuration",
        HypothesisCategory::CodeDefect => "Application defect",
        HypothesisCategory::Performance => "Saturation or slowdown",
        HypothesisCategory::Security => "Authentication or certificate failure",
        HypothesisCategory::Storage => "Storage problem",
        HypothesisCategory::Unknown => "Unexplained errors",
    }
}

/// Does the finding show one of the runbook's symptoms? Returns the matched symptom.
fn matched_symptom<'r>(runbook: &'r Runbook, finding_text: &str) -> Option<&'r str> {
    runbook.symptoms.iter().map(String::as_str).find(|symptom| {
        let symptom = symptom.trim();
        symptom.len() >= 3 && finding_text.contains(&symptom.to_lowercase())
    })
}

/// Inputs to hypothesis building.
pub struct HypothesisInputs<'a> {
    /// Findings of this request (and earlier ones of the session), ranked.
    pub findings: &'a [Finding],
    /// Attachments, to name files in next steps.
    pub attachments: &'a [AttachmentSummary],
    /// Runbooks retrieved for the question and findings, best first.
    pub runbooks: Vec<RetrievedRunbook<'a>>,
    /// Whether the request had data (a question alone gives weaker hypotheses).
    pub has_data: bool,
    /// Maximum hypotheses to return.
    pub limit: usize,
}

/// Builds, scores and ranks hypotheses. Ids are left as `H0`; the session assigns them.
pub fn build_hypotheses(inputs: &HypothesisInputs<'_>) -> Vec<Hypothesis> {
    let texts: Vec<String> = inputs.findings.iter().map(finding_text).collect();
    let categories: Vec<HypothesisCategory> = inputs.findings.iter().map(categorize).collect();
    let mut covered: BTreeSet<usize> = BTreeSet::new();
    let mut hypotheses = Vec::new();

    // 1. Runbook hypotheses: a retrieved runbook whose symptoms appear in the findings.
    for retrieved in &inputs.runbooks {
        let runbook = retrieved.runbook;
        let mut support = Vec::new();
        let mut symptom_hits = 0usize;
        for (index, text) in texts.iter().enumerate() {
            if matched_symptom(runbook, text).is_some() {
                support.push(index);
                symptom_hits += 1;
            } else if categories[index] == runbook.category
                && runbook.category != HypothesisCategory::Unknown
            {
                support.push(index);
            }
        }
        if inputs.has_data && symptom_hits == 0 {
            // With data in hand, a runbook is only a hypothesis when the data shows its symptoms.
            continue;
        }
        covered.extend(support.iter().copied());
        let supporting: Vec<&Finding> = support.iter().map(|&i| &inputs.findings[i]).collect();
        let retrieval = 1.0 / (1.0 + retrieved.rank as f64 * 0.5);
        let confidence = if inputs.has_data {
            let strength = supporting.iter().map(|f| f.score).fold(0.0, f64::max);
            let breadth = (symptom_hits as f64 / 3.0).min(1.0);
            0.15 + 0.4 * strength + 0.2 * breadth + 0.2 * retrieval
        } else {
            // A question alone: retrieval is all we have, so stay modest.
            0.15 + 0.35 * retrieval
        };
        let suspects = suspects_of(&supporting);
        let mut next_steps = evidence_steps(&supporting, inputs.attachments);
        next_steps.extend(
            runbook
                .steps
                .iter()
                .take(4)
                .map(|step| fill_placeholders(step, &suspects)),
        );
        let rationale = if supporting.is_empty() {
            format!(
                "The question matches the runbook \"{}\" (symptoms: {}). No data was attached to confirm it.",
                runbook.title,
                runbook.symptoms.iter().take(4).cloned().collect::<Vec<_>>().join(", ")
            )
        } else {
            format!(
                "{} finding(s) show symptoms listed in the runbook \"{}\": {}.",
                supporting.len(),
                runbook.title,
                supporting
                    .iter()
                    .take(3)
                    .map(|f| format!("{} {}", f.id, f.title))
                    .collect::<Vec<_>>()
                    .join("; ")
            )
        };
        hypotheses.push(Hypothesis {
            id: HypothesisId::new(0),
            title: runbook.title.clone(),
            category: runbook.category,
            confidence: confidence.clamp(0.05, 0.95),
            rationale,
            finding_ids: supporting.iter().map(|f| f.id).collect(),
            suspects,
            next_steps,
            runbook: Some(runbook.id.clone()),
            status: HypothesisStatus::Open,
        });
    }

    // 2. Finding hypotheses: significant findings no runbook explained, grouped by family and
    // main subject.
    let mut groups: Vec<(HypothesisCategory, Option<Suspect>, Vec<usize>)> = Vec::new();
    for (index, finding) in inputs.findings.iter().enumerate() {
        if covered.contains(&index) || finding.score < 0.2 {
            continue;
        }
        let subject = finding.subjects.first().cloned();
        let category = categories[index];
        match groups
            .iter_mut()
            .find(|(c, s, _)| *c == category && *s == subject)
        {
            Some(group) => group.2.push(index),
            None => groups.push((category, subject, vec![index])),
        }
    }
    for (category, subject, members) in groups {
        let supporting: Vec<&Finding> = members.iter().map(|&i| &inputs.findings[i]).collect();
        let lead = supporting[0];
        let strength = supporting.iter().map(|f| f.score).fold(0.0, f64::max);
        let breadth = (supporting.len() as f64 / 3.0).min(1.0);
        let known_family = if category == HypothesisCategory::Unknown {
            0.0
        } else {
            0.1
        };
        let confidence = 0.1 + 0.45 * strength + 0.1 * breadth + known_family;
        let title = match &subject {
            Some(subject) => format!(
                "{} in {}: {}",
                category_phrase(category),
                subject.name,
                lead.title
            ),
            None => format!("{}: {}", category_phrase(category), lead.title),
        };
        let suspects = suspects_of(&supporting);
        hypotheses.push(Hypothesis {
            id: HypothesisId::new(0),
            title,
            category,
            confidence: confidence.clamp(0.05, 0.9),
            rationale: format!(
                "Built from {} finding(s) no runbook explains: {}.",
                supporting.len(),
                supporting
                    .iter()
                    .take(3)
                    .map(|f| format!("{} {}", f.id, f.title))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
            finding_ids: supporting.iter().map(|f| f.id).collect(),
            suspects,
            next_steps: evidence_steps(&supporting, inputs.attachments),
            runbook: None,
            status: HypothesisStatus::Open,
        });
    }

    hypotheses.sort_by(|a, b| b.confidence.total_cmp(&a.confidence));
    hypotheses.truncate(inputs.limit);
    hypotheses
}

/// Up to five distinct entities named by the supporting findings, most frequent first.
fn suspects_of(findings: &[&Finding]) -> Vec<Suspect> {
    let mut counted: Vec<(Suspect, usize)> = Vec::new();
    for finding in findings {
        for subject in &finding.subjects {
            match counted.iter_mut().find(|(s, _)| s == subject) {
                Some(entry) => entry.1 += 1,
                None => counted.push((subject.clone(), 1)),
            }
        }
    }
    counted.sort_by_key(|entry| std::cmp::Reverse(entry.1));
    counted.into_iter().take(5).map(|(s, _)| s).collect()
}

/// Steps that point at the evidence itself: the lines to read in the uploaded file.
fn evidence_steps(findings: &[&Finding], attachments: &[AttachmentSummary]) -> Vec<NextStep> {
    let mut steps: Vec<NextStep> = Vec::new();
    for finding in findings.iter().take(4) {
        if steps.len() == 2 {
            break;
        }
        let Some(Evidence::LogLines {
            attachment,
            first_line,
            last_line,
            ..
        }) = finding
            .evidence
            .iter()
            .find(|e| matches!(e, Evidence::LogLines { .. }))
        else {
            continue;
        };
        let Some(file) = attachments.iter().find(|a| a.id == *attachment) else {
            continue;
        };
        let context_end = (*last_line).max(*first_line) + 20;
        let command = format!(
            "sed -n '{},{}p' {}",
            first_line,
            context_end,
            shell_quote(&file.name)
        );
        if steps
            .iter()
            .any(|step| step.command.as_deref() == Some(command.as_str()))
        {
            continue;
        }
        steps.push(NextStep {
            description: format!(
                "Read the first occurrence of {} ({} lines {}-{}) and the 20 lines after it: what happened just before the first error?",
                finding.id, file.name, first_line, last_line
            ),
            command: Some(command),
        });
    }
    steps
}

/// Runbook commands use `<pod>`, `<service>`, `<host>`, `<namespace>` placeholders; fill in the
/// suspects we know, leave the rest for the engineer.
fn fill_placeholders(step: &NextStep, suspects: &[Suspect]) -> NextStep {
    let Some(command) = &step.command else {
        return step.clone();
    };
    let mut command = command.clone();
    for suspect in suspects {
        let placeholder = match suspect.kind {
            SuspectKind::Pod => "<pod>",
            SuspectKind::Service => "<service>",
            SuspectKind::Host => "<host>",
            SuspectKind::Container => "<container>",
            _ => continue,
        };
        if is_safe_shell_word(&suspect.name) {
            command = command.replace(placeholder, &suspect.name);
        }
    }
    NextStep {
        description: step.description.clone(),
        command: Some(command),
    }
}

/// Entity names come from uploaded data: only substitute ones that cannot change a command's
/// meaning.
fn is_safe_shell_word(word: &str) -> bool {
    !word.is_empty()
        && word.len() <= 253
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':' | b'/'))
}

fn shell_quote(word: &str) -> String {
    if is_safe_shell_word(word) {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}
