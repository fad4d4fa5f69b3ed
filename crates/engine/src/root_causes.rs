//! Hypotheses from root-cause ranking: each ranked suspect becomes a hypothesis naming the
//! entity and the mechanism, with its cross-signal evidence as the rationale and the findings
//! it cites, ranked among the other hypotheses by the suspect's score and rank.

use faultmaven_model::{
    Hypothesis, HypothesisId, HypothesisStatus, Mechanism, NextStep, RootCause, SuspectKind,
};

/// How much each further rank lowers a suspect's confidence.
const RANK_DECAY: f64 = 0.8;

/// Next steps that check a mechanism on an entity.
fn steps(cause: &RootCause) -> Vec<NextStep> {
    let name = &cause.entity.name;
    let pod = cause
        .related
        .iter()
        .find(|s| s.kind == SuspectKind::Pod)
        .map_or(name.as_str(), |s| s.name.as_str());
    let step = |description: String, command: Option<String>| NextStep {
        description,
        command,
    };
    match cause.mechanism {
        Mechanism::NetworkLatency => vec![
            step(format!("Measure round-trip time to and from {name}; look for retransmits or a tc/netem rule on its pod."), Some(format!("kubectl exec {pod} -- ss -ti"))),
            step(format!("Compare caller client-span and {name} server-span durations in the cited traces: the difference is time on the wire."), None),
        ],
        Mechanism::CpuSaturation => vec![
            step(format!("Check CPU usage and throttling of {pod}."), Some(format!("kubectl top pod {pod}"))),
            step(format!("Look for a co-located noisy neighbour or a busy loop in {name}; consider scaling it out."), None),
        ],
        Mechanism::Memory => vec![
            step(format!("Watch the memory of {pod} grow and check for OOM kills."), Some(format!("kubectl describe pod {pod}"))),
            step(format!("Take a heap profile of {name} to find what keeps growing."), None),
        ],
        Mechanism::Errors => vec![
            step(format!("Read the exceptions {name} throws from the onset; check the last deployment."), Some(format!("kubectl logs {pod} --since=1h"))),
        ],
        Mechanism::Configuration => vec![
            step(format!("Diff {name}'s configuration against the last known-good version and roll back the change."), Some(format!("kubectl rollout history deployment/{name}"))),
        ],
        Mechanism::DependencyOutage => vec![
            step(format!("Check that {name} is up and accepts connections."), Some(format!("kubectl get pods -l app={name}"))),
            step("Check its callers' connection pools and timeouts.".to_owned(), None),
        ],
        Mechanism::Latency => vec![
            step(format!("Profile {name}'s slow spans from the onset (the cited span ids)."), None),
        ],
    }
}

/// One hypothesis per ranked suspect.
pub(crate) fn root_cause_hypotheses(root_causes: &[RootCause]) -> Vec<Hypothesis> {
    root_causes
        .iter()
        .map(|cause| {
            let rank_weight = RANK_DECAY.powi(cause.rank.saturating_sub(1) as i32);
            let confidence = ((0.45 + 0.5 * cause.score) * rank_weight).clamp(0.05, 0.95);
            let mut suspects = vec![cause.entity.clone()];
            suspects.extend(cause.related.iter().cloned());
            let mut finding_ids: Vec<_> =
                cause.evidence.iter().filter_map(|e| e.finding_id).collect();
            finding_ids.dedup();
            let rationale = cause
                .evidence
                .iter()
                .take(4)
                .map(|e| e.description.clone())
                .collect::<Vec<_>>()
                .join("; ");
            Hypothesis {
                id: HypothesisId::new(0),
                title: format!(
                    "{} is the root cause: {}",
                    cause.entity.name,
                    cause.mechanism.describe()
                ),
                category: cause.mechanism.category(),
                confidence,
                rationale: format!(
                    "Ranked #{} by root-cause analysis: {rationale}.",
                    cause.rank
                ),
                finding_ids,
                suspects,
                next_steps: steps(cause),
                runbook: None,
                status: HypothesisStatus::Open,
            }
        })
        .collect()
}
