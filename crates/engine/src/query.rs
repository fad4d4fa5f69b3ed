//! Query handling: what a request carries (question, data, both) and what the engineer wants.
//!
//! The intent classifier is a weighted phrase table rather than a model: it is instant, it is
//! deterministic, and every decision can be explained by the phrases that matched. The table is
//! tested on many phrasings in `tests` below.

use faultmaven_model::{DataKind, FindingKind, Intent, RequestKind};

/// Classifies what the request carries.
pub fn classify_request_kind(has_query: bool, attachment_count: usize) -> RequestKind {
    match (has_query, attachment_count > 0) {
        (true, true) => RequestKind::Combined,
        (false, true) => RequestKind::DataOnly,
        _ => RequestKind::QueryOnly,
    }
}

/// Phrase weights per intent. Phrases are matched on word boundaries in the lowercased question;
/// a phrase ending in `*` matches any word starting with it, and one wrapped in `*` matches
/// anywhere (for `java.lang.IllegalStateException` or `OutOfMemoryError`).
const INTENT_PHRASES: &[(Intent, &[(&str, f32)])] = &[
    (
        Intent::HowTo,
        &[
            ("how do i", 3.0),
            ("how can i", 3.0),
            ("how to", 3.0),
            ("how should i", 2.5),
            ("what is the command", 2.5),
            ("what command", 2.0),
            ("steps to", 2.0),
            ("best way to", 2.5),
            ("is there a way", 2.0),
            ("set up", 1.0),
            ("configure", 1.0),
            ("install", 1.0),
            ("enable", 0.8),
            ("rotate", 0.8),
            ("guide", 1.5),
            ("tutorial", 2.0),
            ("example of", 1.5),
        ],
    ),
    (
        Intent::DiagnoseError,
        &[
            ("error*", 2.0),
            ("*error*", 1.0),
            ("exception*", 2.5),
            ("*exception*", 1.0),
            ("fail*", 2.0),
            ("crash*", 2.5),
            ("stack trace", 2.5),
            ("traceback", 2.5),
            ("panic*", 2.0),
            ("broken", 1.5),
            ("why is", 1.0),
            ("why does", 1.0),
            ("why did", 1.0),
            ("what caused", 2.0),
            ("root cause", 2.5),
            ("5xx", 2.0),
            ("500", 1.5),
            ("502", 1.5),
            ("refused", 1.5),
            ("oom*", 2.0),
            ("out of memory", 2.0),
            ("killed", 1.5),
            ("crashloop*", 3.0),
            ("restart*", 1.2),
            ("not working", 2.0),
            ("keeps dying", 2.5),
            ("bug", 1.5),
            ("issue", 0.8),
            ("problem", 0.8),
            ("wrong", 1.0),
            ("debug", 1.5),
            ("troubleshoot*", 1.5),
        ],
    ),
    (
        Intent::Performance,
        &[
            ("slow*", 3.0),
            ("latency", 3.0),
            ("p99", 3.0),
            ("p95", 3.0),
            ("throughput", 2.5),
            ("performance", 3.0),
            ("takes too long", 3.0),
            ("response time*", 2.5),
            ("high cpu", 3.0),
            ("cpu", 1.5),
            ("memory usage", 2.0),
            ("memory leak", 1.5),
            ("saturat*", 2.0),
            ("throttl*", 2.0),
            ("bottleneck", 3.0),
            ("lag*", 2.0),
            ("spike*", 1.5),
            ("gc pause*", 2.5),
            ("queue depth", 2.0),
            ("load", 1.0),
            ("speed up", 2.5),
            ("faster", 2.0),
            ("timeout*", 1.0),
        ],
    ),
    (
        Intent::ConfigReview,
        &[
            ("config*", 2.5),
            ("yaml", 2.0),
            ("manifest", 2.0),
            ("helm", 1.5),
            ("values file", 2.0),
            ("setting*", 1.5),
            ("review", 2.0),
            ("misconfigur*", 3.0),
            ("is this right", 2.0),
            ("is this correct", 2.0),
            ("what changed", 2.0),
            ("diff", 1.5),
            ("limits", 1.2),
            ("requests and limits", 2.5),
            ("env var*", 1.5),
            ("environment variable*", 1.5),
            ("terraform", 1.5),
            ("dockerfile", 2.0),
            ("nginx.conf", 2.5),
        ],
    ),
    (
        Intent::ExplainData,
        &[
            ("explain", 2.5),
            ("summar*", 3.0),
            ("what does this", 2.0),
            ("what do these", 2.0),
            ("what is happening", 2.0),
            ("what's happening", 2.0),
            ("what happened", 1.5),
            ("anything unusual", 3.0),
            ("anything wrong", 2.0),
            ("look at", 1.5),
            ("take a look", 1.5),
            ("overview", 2.5),
            ("tell me about", 2.0),
            ("make sense of", 2.5),
            ("interpret", 2.5),
            ("analy*", 1.5),
            ("anomal*", 1.5),
        ],
    ),
    (
        Intent::Outage,
        &[
            ("down", 2.5),
            ("outage", 3.5),
            ("unavailable", 3.0),
            ("unreachable", 3.0),
            ("not responding", 3.0),
            ("unresponsive", 3.0),
            ("cannot connect", 2.0),
            ("can't connect", 2.0),
            ("can't reach", 2.5),
            ("cannot reach", 2.5),
            ("site is", 1.0),
            ("503", 2.5),
            ("504", 2.0),
            ("health check*", 2.0),
            ("incident", 1.5),
            ("sev1", 3.0),
            ("sev-1", 3.0),
            ("paged", 1.5),
            ("all requests", 1.5),
            ("nobody can", 2.0),
        ],
    ),
    (
        Intent::Security,
        &[
            ("security", 3.0),
            ("breach", 3.5),
            ("attack*", 3.0),
            ("brute force", 3.5),
            ("suspicious", 3.0),
            ("unauthori*", 2.5),
            ("intrusion", 3.5),
            ("malicious", 3.0),
            ("compromis*", 3.0),
            ("failed login*", 3.0),
            ("login attempts", 3.0),
            ("ssh attempts", 3.0),
            ("permission denied", 1.5),
            ("401", 1.5),
            ("403", 1.5),
            ("certificate", 1.0),
            ("cve", 3.0),
            ("leak* credential*", 3.0),
            ("scan*", 1.5),
        ],
    ),
];

/// Scores every intent for a question; returns them best first with their scores.
pub fn score_intents(question: &str) -> Vec<(Intent, f32)> {
    let text = normalise(question);
    let mut scores: Vec<(Intent, f32)> = INTENT_PHRASES
        .iter()
        .map(|(intent, phrases)| {
            let score = phrases
                .iter()
                .filter(|(phrase, _)| phrase_matches(&text, phrase))
                .map(|(_, weight)| weight)
                .sum();
            (*intent, score)
        })
        .collect();
    // Stable order for ties: the table order above is the priority order.
    scores.sort_by(|a, b| b.1.total_cmp(&a.1));
    scores
}

/// What the data suggests when there is no question (or the question says nothing specific).
#[derive(Debug, Clone, Default)]
pub struct DataSignals {
    /// Kinds of the attachments.
    pub kinds: Vec<DataKind>,
    /// Kinds of the findings analysis produced.
    pub finding_kinds: Vec<FindingKind>,
}

/// Classifies the intent from the question, falling back to what the data shows.
pub fn classify_intent(question: Option<&str>, data: &DataSignals) -> Intent {
    if let Some(question) = question {
        let scores = score_intents(question);
        if let Some(&(best, score)) = scores.first() {
            if score >= 1.0 {
                return best;
            }
        }
    }
    intent_from_data(data)
}

fn intent_from_data(data: &DataSignals) -> Intent {
    let has = |kind: FindingKind| data.finding_kinds.contains(&kind);
    if has(FindingKind::ErrorTemplate) || has(FindingKind::Exception) {
        return Intent::DiagnoseError;
    }
    if has(FindingKind::MetricAnomaly)
        || has(FindingKind::MetricShift)
        || has(FindingKind::MetricSaturation)
        || has(FindingKind::TraceAnomaly)
    {
        return Intent::Performance;
    }
    if !data.kinds.is_empty() && data.kinds.iter().all(|kind| *kind == DataKind::Config) {
        return Intent::ConfigReview;
    }
    if data.kinds.is_empty() {
        // A question we could not place and no data: the user most likely asks how to do something.
        return Intent::HowTo;
    }
    Intent::ExplainData
}

/// Lowercases and maps punctuation other than `.`, `'`, `-` and digits-adjacent characters to
/// spaces so phrases match on word boundaries.
fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push(' ');
    for ch in text.chars() {
        if ch.is_alphanumeric() || ch == '\'' || ch == '-' || ch == '.' {
            out.extend(ch.to_lowercase());
        } else {
            out.push(' ');
        }
    }
    out.push(' ');
    // Trailing dots end sentences; keep dots inside words such as nginx.conf.
    out.replace(". ", " ").replace("  ", " ")
}

fn phrase_matches(text: &str, phrase: &str) -> bool {
    if let Some(infix) = phrase.strip_prefix('*').and_then(|p| p.strip_suffix('*')) {
        text.contains(infix)
    } else if let Some(prefix) = phrase.strip_suffix('*') {
        // Every word (or multi-word prefix) that starts with `prefix` at a word boundary.
        let needle = format!(" {prefix}");
        text.match_indices(&needle).next().is_some()
    } else {
        let needle = format!(" {phrase} ");
        text.contains(&needle)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(question: &str, expected: Intent) {
        let got = classify_intent(Some(question), &DataSignals::default());
        assert_eq!(
            got,
            expected,
            "{question:?} classified as {got:?}, scores {:?}",
            score_intents(question)
        );
    }

    #[test]
    fn request_kinds() {
        assert_eq!(classify_request_kind(true, 0), RequestKind::QueryOnly);
        assert_eq!(classify_request_kind(false, 2), RequestKind::DataOnly);
        assert_eq!(classify_request_kind(true, 1), RequestKind::Combined);
    }

    /// Phrasings as on-call engineers write them: terse, lowercase, with typos of punctuation.
    const TABLE: &[(&str, Intent)] = &[
        (
            "why is checkout throwing 500 errors since the deploy?",
            Intent::DiagnoseError,
        ),
        (
            "getting NullPointerException in OrderService, what's wrong",
            Intent::DiagnoseError,
        ),
        ("pod keeps crashing with OOMKilled", Intent::DiagnoseError),
        (
            "CrashLoopBackOff on payments-api after helm upgrade",
            Intent::DiagnoseError,
        ),
        (
            "what caused these failures last night",
            Intent::DiagnoseError,
        ),
        (
            "root cause of the connection refused errors?",
            Intent::DiagnoseError,
        ),
        (
            "Traceback in the worker, can you help",
            Intent::DiagnoseError,
        ),
        ("the job failed with exit code 137", Intent::DiagnoseError),
        (
            "java.lang.IllegalStateException keeps showing up",
            Intent::DiagnoseError,
        ),
        (
            "go panic: runtime error: invalid memory address",
            Intent::DiagnoseError,
        ),
        ("my cron job is not working anymore", Intent::DiagnoseError),
        ("debug this stack trace please", Intent::DiagnoseError),
        ("why did the batch import fail", Intent::DiagnoseError),
        (
            "nginx returns 502 bad gateway for /api",
            Intent::DiagnoseError,
        ),
        ("service restarts every few minutes", Intent::DiagnoseError),
        ("api latency went up to 3s p99", Intent::Performance),
        ("why is the search endpoint so slow", Intent::Performance),
        ("high cpu on the db nodes", Intent::Performance),
        (
            "throughput dropped by half after scaling",
            Intent::Performance,
        ),
        ("response times are terrible today", Intent::Performance),
        ("kafka consumer lag keeps growing", Intent::Performance),
        ("is there a bottleneck in this trace", Intent::Performance),
        ("gc pauses are killing us", Intent::Performance),
        ("how do we speed up this query", Intent::Performance),
        ("cpu throttling on the ingest pods", Intent::Performance),
        ("requests take too long under load", Intent::Performance),
        ("is this config right?", Intent::ConfigReview),
        ("review my kubernetes manifest", Intent::ConfigReview),
        (
            "can you check the resource requests and limits in this yaml",
            Intent::ConfigReview,
        ),
        (
            "what changed between these two configs",
            Intent::ConfigReview,
        ),
        ("is my nginx.conf misconfigured", Intent::ConfigReview),
        (
            "check these helm values file settings",
            Intent::ConfigReview,
        ),
        ("review this Dockerfile", Intent::ConfigReview),
        ("are these env vars correct", Intent::ConfigReview),
        ("summarize these logs", Intent::ExplainData),
        ("explain what this trace shows", Intent::ExplainData),
        ("anything unusual in here?", Intent::ExplainData),
        (
            "take a look at this and tell me what's happening",
            Intent::ExplainData,
        ),
        ("give me an overview of these metrics", Intent::ExplainData),
        ("help me make sense of this dump", Intent::ExplainData),
        ("interpret these numbers", Intent::ExplainData),
        (
            "how do I rotate the TLS certificate on ingress-nginx",
            Intent::HowTo,
        ),
        ("how to increase the JVM heap in kubernetes", Intent::HowTo),
        (
            "what is the command to list pods sorted by restarts",
            Intent::HowTo,
        ),
        ("best way to tail logs from all replicas", Intent::HowTo),
        ("how can I set up log rotation for journald", Intent::HowTo),
        ("steps to drain a node safely", Intent::HowTo),
        ("is there a way to replay kafka messages", Intent::HowTo),
        ("the site is down", Intent::Outage),
        ("production outage, everything returns 503", Intent::Outage),
        ("payments service unreachable from the mesh", Intent::Outage),
        ("api not responding since 14:00", Intent::Outage),
        ("health checks failing everywhere, sev1", Intent::Outage),
        ("users can't reach the login page", Intent::Outage),
        ("suspicious login attempts on the bastion", Intent::Security),
        ("is this a brute force attack on ssh", Intent::Security),
        ("lots of failed logins from one ip", Intent::Security),
        ("do these logs show a breach", Intent::Security),
        ("unauthorized access to the admin api?", Intent::Security),
        ("could the server be compromised", Intent::Security),
    ];

    #[test]
    fn intent_table() {
        assert!(TABLE.len() >= 50);
        let mut wrong = Vec::new();
        for (question, expected) in TABLE {
            let got = classify_intent(Some(question), &DataSignals::default());
            if got != *expected {
                wrong.push(format!(
                    "{question:?}: expected {expected:?}, got {got:?} ({:?})",
                    score_intents(question)
                ));
            }
        }
        assert!(wrong.is_empty(), "misclassified:\n{}", wrong.join("\n"));
    }

    #[test]
    fn single_phrasings() {
        check(
            "OutOfMemoryError in the checkout pod",
            Intent::DiagnoseError,
        );
        check("HOW TO restart a deployment?", Intent::HowTo);
    }

    #[test]
    fn data_decides_without_a_question() {
        let errors = DataSignals {
            kinds: vec![DataKind::Log],
            finding_kinds: vec![FindingKind::ErrorTemplate],
        };
        assert_eq!(classify_intent(None, &errors), Intent::DiagnoseError);
        let metrics = DataSignals {
            kinds: vec![DataKind::Metric],
            finding_kinds: vec![FindingKind::MetricAnomaly],
        };
        assert_eq!(classify_intent(None, &metrics), Intent::Performance);
        let config = DataSignals {
            kinds: vec![DataKind::Config],
            finding_kinds: vec![],
        };
        assert_eq!(classify_intent(None, &config), Intent::ConfigReview);
        let quiet = DataSignals {
            kinds: vec![DataKind::Log],
            finding_kinds: vec![],
        };
        assert_eq!(classify_intent(None, &quiet), Intent::ExplainData);
        // A vague question defers to the data.
        assert_eq!(classify_intent(Some("hi"), &errors), Intent::DiagnoseError);
    }
}
