//! Turns the flagged entities of each kind and family into one finding that lists every
//! flagged entity with its score and cites example lines.

use super::score::{EntityFamily, FamilyReport};
use super::EntityTracker;
use faultmaven_model::{EntityScore, Evidence, Finding, FindingId, FindingKind, Severity};

/// Evidence lines per finding (the highest-scored entities' lines).
const EVIDENCE_ENTITIES: usize = 5;
/// Entities named in the detail text (all are in `entities`).
const DETAIL_ENTITIES: usize = 5;

/// One finding per report.
pub(crate) fn entity_findings(tracker: &EntityTracker, reports: &[FamilyReport]) -> Vec<Finding> {
    reports
        .iter()
        .filter_map(|report| family_finding(tracker, report))
        .collect()
}

fn family_finding(tracker: &EntityTracker, report: &FamilyReport) -> Option<Finding> {
    let kind = tracker.kinds().get(report.kind)?;
    let entities = tracker.entities();
    let flagged = report.flagged.len();
    let population = report.population;
    let (what, base, severity) = match report.family {
        EntityFamily::Failing => ("hit failing lines", 0.7, Severity::Medium),
        EntityFamily::Sequence => ("follow an unusual event sequence", 0.65, Severity::Medium),
        EntityFamily::Invariant => (
            "break a count invariant (a missing or extra step)",
            0.65,
            Severity::Medium,
        ),
        EntityFamily::Volume => (
            "have far more events or a far longer life than usual",
            0.55,
            Severity::Low,
        ),
    };
    let title = format!("{flagged} of {population} {kind} ids {what}");
    let reference = if report.reference_is_baseline {
        format!("the {} {kind} ids of the baseline", report.reference)
    } else {
        format!("the other {kind} ids of the incident data")
    };
    let method = match report.family {
        EntityFamily::Failing => {
            "Lines at error level, or of error templates, grouped by id.".to_owned()
        }
        EntityFamily::Sequence => format!(
            "Each id's templates and transitions (start and end included) were compared with \
             {reference}; flagged ids have one that at most {:.0}% of them show.",
            100.0 * tracker.config().rare_share
        ),
        EntityFamily::Invariant => format!(
            "Pairs of templates whose counts are equal in at least {:.0}% of {reference} are \
             invariants; flagged ids break one.",
            100.0 * tracker.config().invariant_support
        ),
        EntityFamily::Volume => format!(
            "Counts per template, lines and lifetime were compared with {reference} (robust \
             z-score above {}, Poisson floor).",
            tracker.config().volume_z_threshold
        ),
    };
    let examples: Vec<String> = report
        .flagged
        .iter()
        .take(DETAIL_ENTITIES)
        .filter_map(|f| {
            let entity = entities.get(f.entity)?;
            Some(format!("{} ({})", entity.id, f.reason))
        })
        .collect();
    let mut detail = format!("{method} Highest: {}.", examples.join("; "));
    if flagged > DETAIL_ENTITIES {
        detail.push_str(&format!(
            " All {flagged} flagged ids and their scores are listed with the finding."
        ));
    }
    if tracker.sampling_rate() > 1 {
        detail.push_str(&format!(
            " The upload names more than {} ids, so a uniform sample of 1 in {} ids was \
             examined; {} lines naming the others were not grouped.",
            tracker.config().max_entities,
            tracker.sampling_rate(),
            tracker.untracked_lines()
        ));
    }
    let scores: Vec<EntityScore> = report
        .flagged
        .iter()
        .filter_map(|f| {
            let entity = entities.get(f.entity)?;
            Some(EntityScore {
                kind: kind.clone(),
                id: entity.id.to_string(),
                score: (f.score.clamp(0.0, 1.0) * 1000.0).round() / 1000.0,
                reason: f.reason.clone(),
                attachment: f.attachment,
                line: f.line,
            })
        })
        .collect();
    let evidence: Vec<Evidence> = report
        .flagged
        .iter()
        .take(EVIDENCE_ENTITIES)
        .filter(|f| f.line > 0)
        .map(|f| Evidence::LogLines {
            attachment: f.attachment,
            first_line: f.line,
            last_line: f.line,
            excerpt: None,
        })
        .collect();
    let times = report
        .flagged
        .iter()
        .filter_map(|f| entities.get(f.entity))
        .flat_map(|e| [e.first_time, e.last_time])
        .flatten();
    let (first_seen, last_seen) = times.fold(
        (None, None),
        |(low, high): (Option<i64>, Option<i64>), t| {
            (
                Some(low.map_or(t, |l| l.min(t))),
                Some(high.map_or(t, |h| h.max(t))),
            )
        },
    );
    // A handful of odd ids among many is a sharper signal than a third of them.
    let share = flagged as f64 / population.max(1) as f64;
    let top = report.flagged.first().map_or(0.5, |f| f.score);
    Some(Finding {
        id: FindingId::new(0),
        kind: FindingKind::EntityAnomaly,
        severity,
        title,
        detail,
        score: base * (0.6 + 0.3 * top + 0.1 * (1.0 - share)),
        first_seen: first_seen.map(faultmaven_model::Timestamp::from_unix_nanos),
        last_seen: last_seen.map(faultmaven_model::Timestamp::from_unix_nanos),
        subjects: Vec::new(),
        template_id: None,
        evidence,
        entities: scores,
    })
}
