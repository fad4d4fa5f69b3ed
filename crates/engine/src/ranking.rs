//! Ranking hypotheses against each other. Each hypothesis is scored on its own evidence first
//! (`hypotheses`, `root_causes`); these adjustments use what one hypothesis says about another:
//!
//! - a caller's failures name the dependency it waits on (`checkout inventory.Reserve: p95
//!   2.5 s`, `connection refused redis-master:6379`), so when one hypothesis blames an entity
//!   that another hypothesis's evidence names, and not the reverse, the named one is the
//!   callee: the fault sits there and it ranks above its caller;
//! - errors of no known family in an entity that a hypothesis of a known family already blames
//!   are most likely that cause's effects;
//! - memory that ran out (`OutOfMemoryError`, `OOMKilled`) explains the slowness of the same
//!   entity: a heap that is nearly full makes the collector run back to back (long GC pauses,
//!   `GC overhead limit exceeded`, CPU and latency up) until the allocation fails. Tuning the
//!   collector does not help; the memory does. So out-of-memory ranks above the performance
//!   hypotheses that blame the same entity.

use faultmaven_model::{Evidence, Finding, FindingId, Hypothesis, HypothesisCategory, SuspectKind};

/// How far above its caller a callee is placed (confidence points).
const CALLEE_MARGIN: f64 = 0.02;
/// Confidence kept by unplaced errors in an entity a known cause already blames.
const EXPLAINED_UNKNOWN_FACTOR: f64 = 0.85;
/// Words of evidence showing that memory ran out, not merely that it was high (lowercase).
const OUT_OF_MEMORY_PHRASES: [&str; 7] = [
    "outofmemoryerror",
    "out of memory",
    "oomkilled",
    "oom-kill",
    "oom_kill",
    "cannot allocate memory",
    "memory cgroup out of memory",
];
/// Highest confidence an adjustment may give.
const MAX_CONFIDENCE: f64 = 0.95;

/// `name` occurs in `text` as a whole name: not inside a longer word or host name
/// (`orders` is not in `orders-1` nor `reorders`), though a dotted operation
/// (`inventory.Reserve`) or a port (`redis:6379`) may follow it.
fn names(text: &str, name: &str) -> bool {
    let is_name_char = |c: char| c.is_alphanumeric() || c == '-' || c == '_';
    text.match_indices(name).any(|(start, _)| {
        let before = text[..start].chars().next_back();
        let after = text[start + name.len()..].chars().next();
        before.is_none_or(|c| !is_name_char(c)) && after.is_none_or(|c| !is_name_char(c))
    })
}

/// The lowercased titles and excerpts of the findings a hypothesis cites, leaving out those
/// `other` cites too: a finding both cite is one observation, not one naming the other.
fn cited_text(hypothesis: &Hypothesis, other: &Hypothesis, findings: &[Finding]) -> String {
    cited_text_excluding(hypothesis, &other.finding_ids, findings)
}

/// The lowercased titles and excerpts of the findings a hypothesis cites, but `excluded`.
fn cited_text_excluding(
    hypothesis: &Hypothesis,
    excluded: &[FindingId],
    findings: &[Finding],
) -> String {
    let cited = |id: &FindingId| findings.iter().find(|f| f.id == *id);
    let mut text = String::new();
    let own = hypothesis
        .finding_ids
        .iter()
        .filter(|id| !excluded.contains(id));
    for finding in own.filter_map(cited) {
        text.push_str(&finding.title);
        text.push('\n');
        for evidence in &finding.evidence {
            if let Evidence::LogLines {
                excerpt: Some(excerpt),
                ..
            } = evidence
            {
                text.push_str(excerpt);
                text.push('\n');
            }
        }
    }
    text.to_lowercase()
}

/// The entity a hypothesis blames first, lowercased, when it names one worth matching: a
/// running thing (not a metric series, a logger or a configuration key).
fn lead_suspect(hypothesis: &Hypothesis) -> Option<String> {
    let lead = hypothesis.suspects.first()?;
    let running = !matches!(
        lead.kind,
        SuspectKind::Metric | SuspectKind::Component | SuspectKind::ConfigKey
    );
    let name = lead.name.to_lowercase();
    (running && name.chars().count() >= 3).then_some(name)
}

/// Families whose evidence is a caller's view of a dependency: slow or failing calls.
fn is_callers_view(category: HypothesisCategory) -> bool {
    matches!(
        category,
        HypothesisCategory::Performance
            | HypothesisCategory::DependencyFailure
            | HypothesisCategory::Network
    )
}

/// Families a dependency's own fault falls in.
fn is_dependency_fault(category: HypothesisCategory) -> bool {
    is_callers_view(category)
        || matches!(
            category,
            HypothesisCategory::ResourceExhaustion | HypothesisCategory::Storage
        )
}

/// Applies the adjustments in the module comment. `findings` are the findings the hypotheses
/// cite (empty when the request had no data: then nothing changes).
pub(crate) fn weigh_against_each_other(hypotheses: &mut [Hypothesis], findings: &[Finding]) {
    if findings.is_empty() || hypotheses.len() < 2 {
        return;
    }
    discount_explained_unknowns(hypotheses);
    prefer_exhausted_memory(hypotheses, findings);
    prefer_callees(hypotheses, findings);
    prefer_own_evidence_to_callers_timeouts(hypotheses);
}

/// A caller's timeouts or slow calls towards a dependency (`reserve failed: context deadline
/// exceeded db=inventory-db:5432`) blame it as a peer only; when the dependency's own lines
/// show why it is slow or full (lock waits in its log, its disk, its memory), that hypothesis
/// explains the timeouts and ranks above them: both blame the same entity, but only one says
/// what to fix there.
fn prefer_own_evidence_to_callers_timeouts(hypotheses: &mut [Hypothesis]) {
    let mut pairs: Vec<(usize, usize)> = Vec::new();
    for (caller_view, timeouts) in hypotheses.iter().enumerate() {
        let Some(peer) = timeouts.suspects.first() else {
            continue;
        };
        let seen_from_a_caller = peer.kind == SuspectKind::Dependency
            && matches!(
                timeouts.category,
                HypothesisCategory::Network | HypothesisCategory::Performance
            );
        if !seen_from_a_caller {
            continue;
        }
        for (own_view, own) in hypotheses.iter().enumerate() {
            let Some(lead) = own.suspects.first() else {
                continue;
            };
            let explains = lead.kind != SuspectKind::Dependency
                && lead.name.eq_ignore_ascii_case(&peer.name)
                && matches!(
                    own.category,
                    HypothesisCategory::Performance
                        | HypothesisCategory::ResourceExhaustion
                        | HypothesisCategory::Storage
                )
                && !own.finding_ids.is_empty()
                && !own
                    .finding_ids
                    .iter()
                    .any(|id| timeouts.finding_ids.contains(id));
            if own_view != caller_view && explains {
                pairs.push((caller_view, own_view));
            }
        }
    }
    for (caller_view, own_view) in pairs {
        let floor = hypotheses[caller_view].confidence + CALLEE_MARGIN;
        if hypotheses[own_view].confidence < floor && floor <= MAX_CONFIDENCE {
            hypotheses[own_view].confidence = floor;
        }
    }
}

fn prefer_exhausted_memory(hypotheses: &mut [Hypothesis], findings: &[Finding]) {
    let leads: Vec<Option<String>> = hypotheses.iter().map(lead_suspect).collect();
    let ran_out: Vec<bool> = hypotheses
        .iter()
        .map(|hypothesis| {
            hypothesis.category == HypothesisCategory::ResourceExhaustion && {
                let text = cited_text_excluding(hypothesis, &[], findings);
                OUT_OF_MEMORY_PHRASES
                    .iter()
                    .any(|phrase| text.contains(phrase))
            }
        })
        .collect();
    for exhausted in 0..hypotheses.len() {
        let Some(lead) = leads[exhausted].as_deref().filter(|_| ran_out[exhausted]) else {
            continue;
        };
        let slowest_symptom = hypotheses
            .iter()
            .zip(&leads)
            .filter(|(other, other_lead)| {
                other.category == HypothesisCategory::Performance
                    && other_lead.as_deref() == Some(lead)
            })
            .map(|(other, _)| other.confidence)
            .fold(f64::NEG_INFINITY, f64::max);
        let floor = slowest_symptom + CALLEE_MARGIN;
        if hypotheses[exhausted].confidence < floor && floor <= MAX_CONFIDENCE {
            hypotheses[exhausted].confidence = floor;
        }
    }
}

fn discount_explained_unknowns(hypotheses: &mut [Hypothesis]) {
    let explained: Vec<bool> = hypotheses
        .iter()
        .map(|hypothesis| {
            hypothesis.category == HypothesisCategory::Unknown
                && lead_suspect(hypothesis).is_some_and(|lead| {
                    hypotheses.iter().any(|other| {
                        other.category != HypothesisCategory::Unknown
                            && other.suspects.iter().any(|s| s.name.to_lowercase() == lead)
                    })
                })
        })
        .collect();
    for (hypothesis, explained) in hypotheses.iter_mut().zip(explained) {
        if explained {
            hypothesis.confidence *= EXPLAINED_UNKNOWN_FACTOR;
        }
    }
}

fn prefer_callees(hypotheses: &mut [Hypothesis], findings: &[Finding]) {
    let leads: Vec<Option<String>> = hypotheses.iter().map(lead_suspect).collect();
    // (caller, callee) pairs: the callee's lead is named in the caller's evidence, the
    // caller's lead is not named in the callee's.
    let mut pairs: Vec<(usize, usize)> = Vec::new();
    for (caller, caller_lead) in leads.iter().enumerate() {
        let Some(caller_lead) = caller_lead else {
            continue;
        };
        for (callee, callee_lead) in leads.iter().enumerate() {
            let Some(callee_lead) = callee_lead else {
                continue;
            };
            let plausible = is_callers_view(hypotheses[caller].category)
                && is_dependency_fault(hypotheses[callee].category)
                && !hypotheses[callee].finding_ids.is_empty();
            if caller == callee || caller_lead == callee_lead || !plausible {
                continue;
            }
            let caller_text = cited_text(&hypotheses[caller], &hypotheses[callee], findings);
            let callee_text = cited_text(&hypotheses[callee], &hypotheses[caller], findings);
            if names(&caller_text, callee_lead) && !names(&callee_text, caller_lead) {
                pairs.push((caller, callee));
            }
        }
    }
    // A chain (frontend -> checkout -> inventory) settles in as many rounds as it is long.
    for _ in 0..hypotheses.len() {
        let mut changed = false;
        for &(caller, callee) in &pairs {
            let floor = hypotheses[caller].confidence + CALLEE_MARGIN;
            if hypotheses[callee].confidence < floor && floor <= MAX_CONFIDENCE {
                hypotheses[callee].confidence = floor;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use faultmaven_model::{
        AttachmentId, FindingKind, HypothesisId, HypothesisStatus, Severity, Suspect,
    };

    fn finding(id: u32, title: &str, excerpt: &str) -> Finding {
        Finding {
            id: FindingId::new(id),
            kind: FindingKind::ErrorTemplate,
            severity: Severity::High,
            title: title.to_owned(),
            detail: String::new(),
            score: 0.8,
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

    fn hypothesis(
        category: HypothesisCategory,
        lead: &str,
        confidence: f64,
        findings: &[u32],
    ) -> Hypothesis {
        Hypothesis {
            id: HypothesisId::new(0),
            title: format!("{lead} is failing"),
            category,
            confidence,
            rationale: String::new(),
            finding_ids: findings.iter().map(|&id| FindingId::new(id)).collect(),
            suspects: vec![Suspect {
                kind: SuspectKind::Service,
                name: lead.to_owned(),
            }],
            next_steps: Vec::new(),
            runbook: None,
            status: HypothesisStatus::Open,
        }
    }

    #[test]
    fn the_dependency_a_caller_names_ranks_above_the_caller() {
        let findings = [
            finding(
                1,
                "web GET /cart: p95 2.1 s",
                "calling billing-api.Charge took 2.0 s",
            ),
            finding(
                2,
                "billing-api Charge: p95 2.0 s",
                "UPDATE invoices SET ...",
            ),
            finding(
                3,
                "gateway POST /pay: p95 2.2 s",
                "upstream web responded slowly",
            ),
        ];
        let mut hypotheses = vec![
            hypothesis(HypothesisCategory::Performance, "gateway", 0.8, &[3]),
            hypothesis(HypothesisCategory::Performance, "web", 0.75, &[1]),
            hypothesis(HypothesisCategory::Performance, "billing-api", 0.6, &[2]),
        ];
        weigh_against_each_other(&mut hypotheses, &findings);
        let confidence = |lead: &str| {
            hypotheses
                .iter()
                .find(|h| h.suspects[0].name == lead)
                .unwrap()
                .confidence
        };
        assert!(confidence("billing-api") > confidence("web"));
        assert!(confidence("web") > confidence("gateway"));
    }

    #[test]
    fn mutual_mentions_and_longer_names_change_nothing() {
        let findings = [
            finding(1, "orders-1 lagging", "replica orders-1 behind orders"),
            finding(2, "orders failing", "orders: lost connection to orders-1"),
            finding(3, "reorders slow", "reorders job"),
        ];
        let mut hypotheses = vec![
            hypothesis(HypothesisCategory::Performance, "orders-1", 0.7, &[1]),
            hypothesis(HypothesisCategory::DependencyFailure, "orders", 0.6, &[2]),
            hypothesis(HypothesisCategory::Performance, "reorders", 0.5, &[3]),
        ];
        weigh_against_each_other(&mut hypotheses, &findings);
        let confidences: Vec<f64> = hypotheses.iter().map(|h| h.confidence).collect();
        assert_eq!(confidences, [0.7, 0.6, 0.5]);
    }

    #[test]
    fn unplaced_errors_of_a_blamed_entity_yield() {
        let findings = [finding(1, "disk full on db-1", "No space left on device")];
        let mut hypotheses = vec![
            hypothesis(HypothesisCategory::Unknown, "db-1", 0.6, &[1]),
            hypothesis(HypothesisCategory::Storage, "db-1", 0.58, &[1]),
        ];
        weigh_against_each_other(&mut hypotheses, &findings);
        assert!(hypotheses[0].confidence < hypotheses[1].confidence);
    }

    #[test]
    fn shared_findings_and_other_families_are_no_call() {
        let findings = [
            finding(1, "cpu_web-1 moved from 0.3 to 0.95", "web-1 cpu"),
            finding(2, "orders-api config key deprecated", "deprecated key"),
            finding(
                3,
                "slow query in orders-api.jsonl",
                "SELECT ... from orders-api",
            ),
        ];
        let mut hypotheses = vec![
            // Both cite F1: one observation, not a call.
            hypothesis(HypothesisCategory::Performance, "web", 0.7, &[1]),
            hypothesis(HypothesisCategory::ResourceExhaustion, "web-1", 0.6, &[1]),
            // A configuration warning is not what a slow caller waits on.
            hypothesis(HypothesisCategory::Configuration, "orders-api", 0.4, &[2]),
            hypothesis(HypothesisCategory::Performance, "orders-db", 0.65, &[3]),
        ];
        weigh_against_each_other(&mut hypotheses, &findings);
        let confidences: Vec<f64> = hypotheses.iter().map(|h| h.confidence).collect();
        assert_eq!(confidences, [0.7, 0.6, 0.4, 0.65]);
    }

    #[test]
    fn memory_that_ran_out_explains_the_gc_pauses_of_the_same_service() {
        let findings = [
            finding(
                1,
                "long GC pauses in billing (max 4.2 s)",
                "[gc] Pause Full (Allocation Failure) 1990M->1985M(2048M) 4210.5ms",
            ),
            finding(
                2,
                "java.lang.OutOfMemoryError in billing",
                "java.lang.OutOfMemoryError: Java heap space",
            ),
            finding(3, "ledger p95 latency up", "ledger GET /balance 900 ms"),
        ];
        let mut hypotheses = vec![
            hypothesis(HypothesisCategory::Performance, "billing", 0.72, &[1]),
            hypothesis(
                HypothesisCategory::ResourceExhaustion,
                "billing",
                0.64,
                &[2],
            ),
            hypothesis(HypothesisCategory::Performance, "ledger", 0.9, &[3]),
        ];
        weigh_against_each_other(&mut hypotheses, &findings);
        assert!(hypotheses[1].confidence > hypotheses[0].confidence);
        // Another service's slowness is not explained by billing's memory.
        assert_eq!(hypotheses[2].confidence, 0.9);
    }

    #[test]
    fn high_memory_that_did_not_run_out_changes_nothing() {
        let findings = [
            finding(1, "long GC pauses in billing", "[gc] Pause Young 900.1ms"),
            finding(
                2,
                "memory of billing up 40 %",
                "jvm_memory_used_bytes 1.6e9",
            ),
        ];
        let mut hypotheses = vec![
            hypothesis(HypothesisCategory::Performance, "billing", 0.72, &[1]),
            hypothesis(
                HypothesisCategory::ResourceExhaustion,
                "billing",
                0.64,
                &[2],
            ),
        ];
        weigh_against_each_other(&mut hypotheses, &findings);
        let confidences: Vec<f64> = hypotheses.iter().map(|h| h.confidence).collect();
        assert_eq!(confidences, [0.72, 0.64]);
    }

    #[test]
    fn a_dependencys_own_slowness_explains_its_callers_timeouts() {
        let findings = [
            finding(
                1,
                "reserve failed",
                "context deadline exceeded db=stock-db:5432",
            ),
            finding(
                2,
                "long lock wait",
                "still waiting for ShareLock on transaction 77",
            ),
            finding(3, "cache warm-up slow", "warm-up took 900 ms"),
        ];
        let peer = |category, name: &str, confidence, ids: &[u32]| {
            let mut h = hypothesis(category, name, confidence, ids);
            h.suspects[0].kind = SuspectKind::Dependency;
            h
        };
        let mut hypotheses = vec![
            peer(HypothesisCategory::Network, "stock-db", 0.7, &[1]),
            hypothesis(HypothesisCategory::Performance, "stock-db", 0.3, &[2]),
            // Another entity's slowness is no explanation.
            hypothesis(HypothesisCategory::Performance, "cache", 0.2, &[3]),
        ];
        weigh_against_each_other(&mut hypotheses, &findings);
        assert!(hypotheses[1].confidence > hypotheses[0].confidence);
        assert_eq!(hypotheses[2].confidence, 0.2);
        // A breaker that opened (a dependency failure, not a timeout) keeps its own rank.
        let mut breaker = vec![
            peer(HypothesisCategory::DependencyFailure, "stock-db", 0.7, &[1]),
            hypothesis(
                HypothesisCategory::ResourceExhaustion,
                "stock-db",
                0.3,
                &[2],
            ),
        ];
        weigh_against_each_other(&mut breaker, &findings);
        assert_eq!(breaker[1].confidence, 0.3);
    }

    #[test]
    fn names_are_whole() {
        assert!(names("checkout inventory.reserve: p95", "inventory"));
        assert!(names("dial redis-master:6379", "redis-master"));
        assert!(!names("partition orders-1", "orders"));
        assert!(!names("reorders", "orders"));
    }
}
