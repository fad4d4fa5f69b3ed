//! Hypotheses: candidate root causes built from findings and matching runbooks, scored and
//! ranked. Every hypothesis built here cites findings that exist, or (for a question with no
//! data) the runbook it came from.

use crate::suspects::{finding_peers, is_entity, suspects_of};
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
    // Error classes whose words would otherwise fall in a broader family further down (a
    // lock wait times out, a rate-limited call fails, a Python `KeyError` sits in a
    // traceback that also says `timeout` somewhere): each names its own family.
    (
        HypothesisCategory::CodeDefect,
        &[
            "java-level deadlock",
            "all goroutines are asleep",
            "keyerror",
            "typeerror",
            "attributeerror",
            "nameerror",
            "indexerror",
            "unboundlocalerror",
            "zerodivisionerror",
            "nullpointerexception",
            "nosuchmethoderror",
            "nosuchfielderror",
            "noclassdeffounderror",
            "abstractmethoderror",
            "classcastexception",
            "arrayindexoutofbounds",
            "indexoutofrange",
            "nil pointer dereference",
            "index out of range",
            "cannot read propert",
            "is not a function",
            "undefined method",
            "referenceerror",
            // A record the code cannot read (a poison message, a changed payload schema).
            "cannot unmarshal",
            "jsondecodeerror",
        ],
    ),
    (
        HypothesisCategory::Performance,
        &[
            "lock wait",
            "lock timeout",
            "could not obtain lock",
            "waiting for sharelock",
            "waiting for exclusivelock",
            "waiting for accessexclusivelock",
            "deadlock detected",
            "deadlock found",
            "lockacquisition",
            "cannotacquirelock",
            "tombstone",
            "event loop",
            "event-loop",
            "eventloop",
        ],
    ),
    (
        HypothesisCategory::ResourceExhaustion,
        &[
            "circuitbreakingexception",
            "circuit_breaking_exception",
            "data too large",
            "memory resource limit alarm",
            "vm_memory_high_watermark",
            "no more connections allowed",
            "max_client_conn",
            "query_wait_timeout",
            "goroutine leak",
        ],
    ),
    (
        HypothesisCategory::Configuration,
        &[
            "clock skew",
            "clock drift",
            "not yet valid",
            "used before issued",
            "immaturesignature",
            "notbeforeerror",
            "requesttimetooskewed",
            "storageclass",
        ],
    ),
    (
        HypothesisCategory::DependencyFailure,
        &[
            "rate limit",
            "ratelimit",
            "too many requests",
            "throttlingexception",
            "requestlimitexceeded",
            "reduce your request rate",
            "circuit breaker",
            "circuitbreaker",
            "callnotpermitted",
            "short-circuited",
            "replication lag",
            "replica lag",
            "replay lag",
            "conflict with recovery",
            "seconds_behind",
            "behind master",
            "behind primary",
            "notwritableprimary",
            "not master",
            "no primary",
            "replicasetnoprimary",
            "under-replicated",
            "underreplicated",
            "master_link_status:down",
            "connection with master lost",
        ],
    ),
    (
        HypothesisCategory::Storage,
        &[
            "no space left",
            "disk full",
            "disk quota",
            "inode",
            "read-only file system",
            "disk usage exceeded",
            "flood stage",
            "flood-stage",
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
            "rejectedexecution",
            "thread pool",
            "pool saturated",
            "queue capacity",
            "all threads are busy",
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
            "unknown directive",
            "invalid directive",
            "syntax error",
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

/// The text of a finding that classification looks at.
fn finding_text(finding: &Finding) -> String {
    finding_text_with(finding, true)
}

/// The text of a finding that runbook symptoms are matched in. A configuration check's
/// detail explains what the setting risks (`the container can grow until the node runs out
/// of memory`): words of what could happen, not of what did, so only its title counts.
fn symptom_text(finding: &Finding) -> String {
    finding_text_with(finding, finding.kind != FindingKind::ConfigIssue)
}

fn finding_text_with(finding: &Finding, with_detail: bool) -> String {
    let mut text = if with_detail {
        format!("{} {}", finding.title, finding.detail)
    } else {
        finding.title.clone()
    };
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

/// `phrase` occurs in `text` at the start of a word: rule phrases are stems (`throttl`,
/// `misconfigur`) but must not match inside an identifier (`timeout` in
/// `proxy_pass_header_timeout`).
fn starts_a_word(text: &str, phrase: &str) -> bool {
    text.match_indices(phrase).any(|(start, _)| {
        text[..start]
            .chars()
            .next_back()
            .is_none_or(|c| !(c.is_alphanumeric() || c == '_'))
    })
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
    if finding.kind == FindingKind::ConfigIssue {
        // A check of a setting (`no memory limit`, a key changed against the baseline) is a
        // configuration matter whatever the setting is about: its words name the resource
        // the setting governs, not a resource that ran out.
        return HypothesisCategory::Configuration;
    }
    if finding.kind == FindingKind::SlowOperation {
        // Slow queries, lock waits and GC pauses are slowdowns whatever words their lines
        // hold (a slow query's text may well say `connection` or `config`).
        return HypothesisCategory::Performance;
    }
    for (category, phrases) in CATEGORY_RULES {
        if phrases.iter().any(|phrase| starts_a_word(&text, phrase)) {
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
    } else if any(&["replication", "replica_lag", "seconds_behind"]) {
        // A replica behind its primary serves stale data to its callers.
        HypothesisCategory::DependencyFailure
    } else if any(&["error", "5xx", "fail"]) {
        HypothesisCategory::DependencyFailure
    } else if any(&["conn", "pool", "thread", "fd", "file_descriptor"]) {
        HypothesisCategory::ResourceExhaustion
    } else {
        HypothesisCategory::Performance
    }
}

/// Causes that sit at the other end of a connection: the dependency, not its caller.
fn blames_the_peer(category: HypothesisCategory) -> bool {
    matches!(
        category,
        HypothesisCategory::DependencyFailure
            | HypothesisCategory::Network
            | HypothesisCategory::Security
    )
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
/// A symptom matches where it starts and ends on a word boundary, so `lag` does not match
/// `feature-flag` nor `499` a port number.
///
/// Metric names and structured keys join words with `_` or `.` (`pg_replication_lag_seconds`,
/// `redis.evicted_keys`) where a runbook writes them as words (`replication lag`): a symptom
/// also matches the text with those joints read as spaces, when it is itself written as words.
fn matched_symptom<'r>(runbook: &'r Runbook, finding_text: &str) -> Option<&'r str> {
    let spaced = spaced_words(finding_text);
    runbook.symptoms.iter().map(String::as_str).find(|symptom| {
        let symptom = symptom.trim().to_lowercase();
        symptom.len() >= 3
            && (contains_phrase(finding_text, &symptom)
                || (symptom.contains(' ')
                    && !symptom.contains(['_', '.'])
                    && contains_phrase(&spaced, &symptom)))
    })
}

/// The text with `_` and `.` between two letters read as a space (`pg_replication_lag` ->
/// `pg replication lag`); dots in numbers and versions are kept.
fn spaced_words(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    chars
        .iter()
        .enumerate()
        .map(|(index, &c)| {
            let joins_letters = matches!(c, '_' | '.')
                && index > 0
                && chars[index - 1].is_alphabetic()
                && chars
                    .get(index + 1)
                    .is_some_and(|next| next.is_alphabetic());
            if joins_letters {
                ' '
            } else {
                c
            }
        })
        .collect()
}

/// `phrase` occurs in `text` with no letter or digit right before or after it (where the
/// phrase itself starts or ends with one: `Error: secret "` may run into the name).
pub(crate) fn contains_phrase(text: &str, phrase: &str) -> bool {
    let starts_word = phrase.chars().next().is_some_and(char::is_alphanumeric);
    let ends_word = phrase
        .chars()
        .next_back()
        .is_some_and(char::is_alphanumeric);
    text.match_indices(phrase).any(|(start, _)| {
        let before = text[..start].chars().next_back();
        let after = text[start + phrase.len()..].chars().next();
        (!starts_word || before.is_none_or(|c| !c.is_alphanumeric()))
            && (!ends_word || after.is_none_or(|c| !c.is_alphanumeric()))
    })
}

/// How much a runbook hypothesis loses when the findings showing its symptoms fall in
/// another root-cause family by their own words (scaled by the share that do).
const CATEGORY_DISAGREEMENT_PENALTY: f64 = 0.08;

/// How many runbooks of the library list each symptom (lowercased).
struct SymptomListings(std::collections::BTreeMap<String, usize>);

impl SymptomListings {
    fn new(library: &[std::sync::Arc<Runbook>], retrieved: &[RetrievedRunbook<'_>]) -> Self {
        let mut counts = std::collections::BTreeMap::new();
        let mut seen: BTreeSet<&str> = BTreeSet::new();
        let runbooks = library
            .iter()
            .map(|r| r.as_ref())
            .chain(retrieved.iter().map(|r| r.runbook));
        for runbook in runbooks {
            if !seen.insert(runbook.id.as_str()) {
                continue;
            }
            let symptoms: BTreeSet<String> = runbook
                .symptoms
                .iter()
                .map(|s| s.trim().to_lowercase())
                .collect();
            for symptom in symptoms {
                *counts.entry(symptom).or_insert(0) += 1;
            }
        }
        Self(counts)
    }

    /// Runbooks listing `symptom` (at least 1: the one that matched).
    fn of(&self, symptom: &str) -> usize {
        self.0
            .get(&symptom.trim().to_lowercase())
            .copied()
            .unwrap_or(1)
            .max(1)
    }
}

/// How much a hypothesis gains when it blames an entity the question names: the engineer
/// asked about it, so a cause that involves it is more relevant than one about a bystander.
const QUESTION_ENTITY_BONUS: f64 = 0.1;

/// Raises the confidence of hypotheses whose suspects the question names.
fn favour_asked_entities(hypotheses: &mut [Hypothesis], question: Option<&str>) {
    let Some(question) = question.map(str::to_lowercase) else {
        return;
    };
    for hypothesis in hypotheses {
        let asked = hypothesis.suspects.iter().any(|suspect| {
            let name = suspect.name.to_lowercase();
            name.len() >= 3 && contains_phrase(&question, &name)
        });
        if asked {
            hypothesis.confidence = (hypothesis.confidence + QUESTION_ENTITY_BONUS).min(0.95);
        }
    }
}

/// Inputs to hypothesis building.
pub struct HypothesisInputs<'a> {
    /// Findings of this request (and earlier ones of the session), ranked.
    pub findings: &'a [Finding],
    /// Attachments, to name files in next steps.
    pub attachments: &'a [AttachmentSummary],
    /// Runbooks retrieved for the question and findings, best first.
    pub runbooks: Vec<RetrievedRunbook<'a>>,
    /// The whole runbook library: with data, a runbook whose symptoms the findings show is a
    /// candidate even when retrieval ranked it low.
    pub library: &'a [std::sync::Arc<Runbook>],
    /// Whether the request had data (a question alone gives weaker hypotheses).
    pub has_data: bool,
    /// The (redacted) question, if any.
    pub question: Option<&'a str>,
    /// Maximum hypotheses to return.
    pub limit: usize,
}

/// Builds, scores and ranks hypotheses. Ids are left as `H0`; the session assigns them.
pub fn build_hypotheses(inputs: &HypothesisInputs<'_>) -> Vec<Hypothesis> {
    let texts: Vec<String> = inputs.findings.iter().map(symptom_text).collect();
    let categories: Vec<HypothesisCategory> = inputs.findings.iter().map(categorize).collect();
    let mut covered: BTreeSet<usize> = BTreeSet::new();
    let mut hypotheses = Vec::new();
    let listings = SymptomListings::new(inputs.library, &inputs.runbooks);

    // 1. Runbook hypotheses: a retrieved runbook whose symptoms appear in the findings, and
    // with data any runbook of the library whose symptoms appear (retrieval rank unknown).
    let mut candidates: Vec<(&Runbook, Option<usize>)> = inputs
        .runbooks
        .iter()
        .map(|retrieved| (retrieved.runbook, Some(retrieved.rank)))
        .collect();
    if inputs.has_data {
        for runbook in inputs.library {
            if !candidates.iter().any(|(r, _)| r.id == runbook.id) {
                candidates.push((runbook.as_ref(), None));
            }
        }
    }
    for (runbook, rank) in candidates {
        let mut support = Vec::new();
        let mut symptom_findings = Vec::new();
        let mut symptoms_seen: BTreeSet<&str> = BTreeSet::new();
        for (index, text) in texts.iter().enumerate() {
            if let Some(symptom) = matched_symptom(runbook, text) {
                support.push(index);
                symptom_findings.push(index);
                symptoms_seen.insert(symptom);
            } else if categories[index] == runbook.category
                && runbook.category != HypothesisCategory::Unknown
            {
                support.push(index);
            }
        }
        if inputs.has_data && symptom_findings.is_empty() {
            // With data in hand, a runbook is only a hypothesis when the data shows its symptoms.
            continue;
        }
        covered.extend(support.iter().copied());
        // Findings that show a symptom first: they name the entity the runbook is about.
        support.sort_by_key(|index| !symptom_findings.contains(index));
        let supporting: Vec<&Finding> = support.iter().map(|&i| &inputs.findings[i]).collect();
        let retrieval = rank.map_or(0.0, |rank| 1.0 / (1.0 + rank as f64 * 0.5));
        let confidence = if inputs.has_data {
            // Strength comes from the findings that show the runbook's own symptoms, breadth
            // from how many different symptoms they show: a family match alone is weak.
            let strength = symptom_findings
                .iter()
                .map(|&i| inputs.findings[i].score)
                .fold(0.0, f64::max);
            // A symptom many runbooks list (`exit code 137`, `Back-off restarting failed
            // container`) tells them apart less than one only this runbook lists
            // (`OOMKilled`): each counts 1 / (runbooks listing it).
            let specific_symptoms: f64 = symptoms_seen
                .iter()
                .map(|symptom| 1.0 / listings.of(symptom) as f64)
                .sum();
            let breadth = (specific_symptoms / 3.0).min(1.0);
            // Two runbooks often share a symptom (`RejectedExecutionException` is listed by
            // thread-pool exhaustion and by deadlocks): the one whose family the findings'
            // own words point to explains them better.
            let agreement = symptom_findings
                .iter()
                .filter(|&&i| categories[i] == runbook.category)
                .count() as f64
                / symptom_findings.len() as f64;
            // With data in hand the data decides; retrieval similarity only breaks ties.
            0.15 + 0.4 * strength + 0.2 * breadth + 0.1 * retrieval
                - CATEGORY_DISAGREEMENT_PENALTY * (1.0 - agreement)
        } else {
            // A question alone: retrieval is all we have, so stay modest.
            0.15 + 0.35 * retrieval
        };
        let symptom_supporting: Vec<&Finding> = symptom_findings
            .iter()
            .map(|&i| &inputs.findings[i])
            .collect();
        let mut suspects = suspects_of(
            &symptom_supporting,
            inputs.attachments,
            blames_the_peer(runbook.category),
        );
        if !blames_the_peer(runbook.category) {
            blame_the_product_the_runbook_is_about(&mut suspects, runbook, &symptom_supporting);
        }
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
        let subject = finding.subjects.iter().find(|s| is_entity(s)).cloned();
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
        let suspects = suspects_of(&supporting, inputs.attachments, blames_the_peer(category));
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

    favour_asked_entities(&mut hypotheses, inputs.question);
    hypotheses.sort_by(|a, b| b.confidence.total_cmp(&a.confidence));
    hypotheses.truncate(inputs.limit);
    hypotheses
}

/// A runbook about one product's own fault (Redis out of memory, MySQL out of connections)
/// often matches lines its clients write: `failed to save cart error=OOM command not allowed
/// ... redis=cart-redis:6379`. The entity at fault is then the peer the line talks to whose
/// name says it is that product (`cart-redis`), not the client that logged it: that peer
/// goes first.
fn blame_the_product_the_runbook_is_about(
    suspects: &mut Vec<Suspect>,
    runbook: &Runbook,
    symptom_findings: &[&Finding],
) {
    let products: Vec<String> = runbook.services.iter().map(|s| s.to_lowercase()).collect();
    let names_product = |peer: &str| {
        peer.to_lowercase()
            .split(['-', '.', '_'])
            .any(|part| products.iter().any(|product| product == part))
    };
    let mut peers: Vec<Suspect> = Vec::new();
    for finding in symptom_findings {
        for peer in finding_peers(finding) {
            let suspect = Suspect {
                kind: SuspectKind::Dependency,
                name: peer,
            };
            if names_product(&suspect.name) && !peers.contains(&suspect) {
                peers.push(suspect);
            }
        }
    }
    if peers.is_empty() {
        return;
    }
    suspects.retain(|s| !peers.iter().any(|p| p.name == s.name));
    peers.append(suspects);
    peers.truncate(5);
    *suspects = peers;
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
        // Twenty lines of context, never past the end of the file.
        let context_end = ((*last_line).max(*first_line) + 20).min(file.lines.max(*last_line));
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

#[cfg(test)]
mod tests {
    use super::*;
    use faultmaven_model::{AttachmentId, FindingId, Severity};
    use std::sync::Arc;

    fn runbook(id: &str, category: HypothesisCategory, symptoms: &[&str]) -> Arc<Runbook> {
        Arc::new(Runbook {
            id: id.to_owned(),
            title: format!("runbook {id}"),
            symptoms: symptoms.iter().map(|s| (*s).to_owned()).collect(),
            services: Vec::new(),
            tags: Vec::new(),
            category,
            body: String::new(),
            steps: Vec::new(),
        })
    }

    fn finding(id: u32, excerpt: &str) -> Finding {
        Finding {
            id: FindingId::new(id),
            kind: FindingKind::ErrorTemplate,
            severity: Severity::High,
            title: format!("ERROR template E{id}"),
            detail: String::new(),
            score: 0.7,
            first_seen: None,
            last_seen: None,
            subjects: Vec::new(),
            template_id: None,
            entities: Vec::new(),
            evidence: vec![Evidence::LogLines {
                attachment: AttachmentId::new(1),
                first_line: 1,
                last_line: 1,
                excerpt: Some(excerpt.to_owned()),
            }],
        }
    }

    fn ranked(library: &[Arc<Runbook>], findings: &[Finding]) -> Vec<String> {
        build_hypotheses(&HypothesisInputs {
            findings,
            attachments: &[],
            runbooks: Vec::new(),
            library,
            has_data: true,
            question: None,
            limit: 10,
        })
        .into_iter()
        .filter_map(|h| h.runbook)
        .collect()
    }

    #[test]
    fn a_symptom_only_one_runbook_lists_counts_more() {
        let library = [
            runbook(
                "restart-loop",
                HypothesisCategory::Configuration,
                &["process restarted", "status=137"],
            ),
            runbook(
                "memory-kill",
                HypothesisCategory::ResourceExhaustion,
                &["killed by the memory cgroup", "status=137"],
            ),
        ];
        let findings = [
            finding(1, "worker exited status=137, process restarted"),
            finding(2, "worker killed by the memory cgroup"),
        ];
        assert_eq!(ranked(&library, &findings), ["memory-kill", "restart-loop"]);
        let listings = SymptomListings::new(&library, &[]);
        assert_eq!(listings.of("STATUS=137"), 2);
        assert_eq!(listings.of("process restarted"), 1);
        assert_eq!(listings.of("never listed"), 1);
    }

    #[test]
    fn a_shared_symptom_goes_to_the_family_the_findings_name() {
        // Both list the rejection; the line's own words (`thread pool`) say exhaustion.
        let library = [
            runbook(
                "stuck-threads",
                HypothesisCategory::CodeDefect,
                &["task rejected"],
            ),
            runbook(
                "pool-full",
                HypothesisCategory::ResourceExhaustion,
                &["task rejected"],
            ),
        ];
        let findings = [finding(
            1,
            "task rejected: thread pool size = 16, queue 100/100",
        )];
        assert_eq!(ranked(&library, &findings), ["pool-full", "stuck-threads"]);
    }

    #[test]
    fn symptoms_written_as_words_match_metric_and_key_names() {
        let library = [runbook(
            "replication",
            HypothesisCategory::DependencyFailure,
            &["replication lag", "seconds_behind_master"],
        )];
        let mut metric = finding(1, "");
        metric.kind = FindingKind::MetricShift;
        metric.evidence = vec![Evidence::MetricPoint {
            attachment: AttachmentId::new(1),
            series: "pg_replication_lag_seconds{instance=\"db-2\"}".to_owned(),
            timestamp: None,
            value: 240.0,
            line: 1,
        }];
        assert_eq!(ranked(&library, &[metric]), ["replication"]);
        assert_eq!(
            spaced_words("mysql.seconds_behind_master 1.5 v2.1"),
            "mysql seconds behind master 1.5 v2.1"
        );
        // Words that merely share letters with the symptom do not match.
        assert!(ranked(&library, &[finding(2, "replication_lagoon_size 3")]).is_empty());
    }

    #[test]
    fn error_classes_name_their_family() {
        let classify = |excerpt: &str| categorize(&finding(1, excerpt));
        assert_eq!(
            classify("Task render raised unexpected: KeyError('currency') (after timeout retry)"),
            HypothesisCategory::CodeDefect
        );
        assert_eq!(
            classify("ERROR: canceling statement due to lock timeout"),
            HypothesisCategory::Performance
        );
        assert_eq!(
            classify("send failed error=429 Too Many Requests retry_after_s=30"),
            HypothesisCategory::DependencyFailure
        );
        assert_eq!(
            classify("CallNotPermittedException: CircuitBreaker 'stock' is OPEN"),
            HypothesisCategory::DependencyFailure
        );
        assert_eq!(
            classify("[parent] Data too large, would be larger than limit of [30gb] circuit_breaking_exception"),
            HypothesisCategory::ResourceExhaustion
        );
        assert_eq!(
            classify("ERROR: canceling statement due to conflict with recovery"),
            HypothesisCategory::DependencyFailure
        );
        assert_eq!(
            classify("401 unauthorized: jwt not active, token is not yet valid (nbf)"),
            HypothesisCategory::Configuration
        );
    }

    #[test]
    fn what_a_configuration_check_warns_of_is_no_symptom() {
        let library = [runbook(
            "host-memory",
            HypothesisCategory::ResourceExhaustion,
            &["out of memory"],
        )];
        let mut lint = finding(1, "");
        lint.kind = FindingKind::ConfigIssue;
        lint.title = "Container api has no memory limit".to_owned();
        lint.detail = "it can grow until the node runs out of memory".to_owned();
        lint.evidence.clear();
        assert!(ranked(&library, std::slice::from_ref(&lint)).is_empty());
        // The same words in a line that happened are one.
        assert_eq!(
            ranked(
                &library,
                &[finding(2, "kernel: Out of memory: Killed process 812")]
            ),
            ["host-memory"]
        );
    }

    #[test]
    fn a_products_runbook_blames_the_peer_of_that_product() {
        let mut library_runbook = runbook(
            "cache-full",
            HypothesisCategory::ResourceExhaustion,
            &["OOM command not allowed"],
        );
        Arc::make_mut(&mut library_runbook).services = vec!["redis".to_owned()];
        let mut line = finding(
            1,
            "save failed error=OOM command not allowed redis=basket-redis:6379 upstream=checkout:8080",
        );
        line.subjects = vec![Suspect {
            kind: SuspectKind::Service,
            name: "basket".to_owned(),
        }];
        let hypotheses = build_hypotheses(&HypothesisInputs {
            findings: &[line],
            attachments: &[],
            runbooks: Vec::new(),
            library: &[library_runbook],
            has_data: true,
            question: None,
            limit: 10,
        });
        let names: Vec<&str> = hypotheses[0]
            .suspects
            .iter()
            .map(|s| s.name.as_str())
            .collect();
        assert_eq!(names, ["basket-redis", "basket"]);
    }

    #[test]
    fn slow_operations_are_slowdowns() {
        let mut slow = finding(1, "duration: 5200 ms statement: SELECT ... config");
        slow.kind = FindingKind::SlowOperation;
        assert_eq!(categorize(&slow), HypothesisCategory::Performance);
    }
}
