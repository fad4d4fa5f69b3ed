//! The waterfall of one slow trace: the trace the top trace finding cites (or, without one,
//! the slowest incident trace), its spans in depth-first order with offsets from the trace's
//! start, the critical path flagged, capped with a note.

use crate::intern::FastMap;
use crate::traces::{Derived, TraceStore};
use faultmaven_model::{
    Evidence, Finding, FindingId, FindingKind, Timestamp, TraceWaterfall, WaterfallSpan,
};

/// Spans drawn at most; a bigger trace keeps its critical path, failing spans and longest
/// spans.
pub(crate) const MAX_WATERFALL_SPANS: usize = 300;
/// Parent links followed at most when looking for a span's root (bad data may hold a cycle).
const MAX_DEPTH: usize = 256;

/// The waterfall of the trace the findings point at, or of the slowest incident trace.
pub(crate) fn trace_waterfall(
    traces: &TraceStore,
    derived: &[Derived],
    findings: &[Finding],
) -> Option<TraceWaterfall> {
    let (root, finding_id) = match cited_root(traces, derived, findings) {
        Some((root, id)) => (root, Some(id)),
        None => (traces.slowest_incident_root(derived)?, None),
    };
    let reason = match finding_id {
        Some(id) => format!("the slowest trace cited by {id}, the top trace finding"),
        None => "the slowest trace of the incident data".to_owned(),
    };
    let trace = traces.spans[root].trace;
    let members: Vec<usize> = traces
        .spans
        .iter()
        .enumerate()
        .filter(|(_, span)| span.trace == trace && !span.baseline)
        .map(|(index, _)| index)
        .collect();
    let order = depth_first(traces, derived, &members);
    let critical: Vec<usize> = traces.critical_path(root, derived);

    let trace_start = members
        .iter()
        .map(|&index| traces.spans[index].start)
        .min()?;
    let trace_end = members
        .iter()
        .map(|&index| {
            let span = &traces.spans[index];
            span.start.saturating_add(span.duration.max(0))
        })
        .max()?;
    let kept = capped(traces, &order, &critical, MAX_WATERFALL_SPANS);
    let note = (kept.len() < order.len()).then(|| {
        format!(
            "{} of {} spans shown: the critical path, failing spans and the longest others",
            kept.len(),
            order.len()
        )
    });
    let spans = kept
        .into_iter()
        .map(|(index, depth)| {
            let span = &traces.spans[index];
            WaterfallSpan {
                span_id: span.span_id.to_string(),
                parent_span_id: span.parent.as_deref().map(str::to_owned),
                service: traces.name(span.service).to_owned(),
                operation: traces.name(span.operation).to_owned(),
                kind: span.kind,
                depth,
                start_offset_ns: nonnegative(span.start.saturating_sub(trace_start)),
                duration_ns: nonnegative(span.duration),
                self_time_ns: nonnegative(derived[index].self_time),
                is_error: span.is_error,
                critical: critical.contains(&index),
            }
        })
        .collect();
    Some(TraceWaterfall {
        attachment: traces.spans[root].attachment,
        trace_id: traces.trace_ids[trace as usize].to_string(),
        finding_id,
        reason,
        start: Timestamp::from_unix_nanos(trace_start),
        duration_ns: nonnegative(trace_end.saturating_sub(trace_start)),
        spans,
        total_spans: order.len(),
        note,
    })
}

fn nonnegative(nanos: i64) -> u64 {
    u64::try_from(nanos).unwrap_or(0)
}

/// The root of the slowest incident trace the first (most important) trace finding cites,
/// with that finding's id.
fn cited_root(
    traces: &TraceStore,
    derived: &[Derived],
    findings: &[Finding],
) -> Option<(usize, FindingId)> {
    findings
        .iter()
        .filter(|finding| finding.kind == FindingKind::TraceAnomaly)
        .find_map(|finding| {
            let root = finding
                .evidence
                .iter()
                .filter_map(|evidence| span_index(traces, evidence))
                .map(|index| root_of(derived, index))
                .max_by_key(|&root| (traces.spans[root].duration, std::cmp::Reverse(root)))?;
            Some((root, finding.id))
        })
}

/// The incident span a piece of evidence names.
fn span_index(traces: &TraceStore, evidence: &Evidence) -> Option<usize> {
    let Evidence::Span {
        attachment,
        trace_id,
        span_id,
    } = evidence
    else {
        return None;
    };
    traces.spans.iter().position(|span| {
        !span.baseline
            && span.attachment == *attachment
            && *span.span_id == **span_id
            && *traces.trace_ids[span.trace as usize] == **trace_id
    })
}

/// The topmost ancestor of a span present in the upload.
fn root_of(derived: &[Derived], mut index: usize) -> usize {
    for _ in 0..MAX_DEPTH {
        match derived[index].parent_index {
            Some(parent) => index = parent,
            None => break,
        }
    }
    index
}

/// The members in display order with their depth: roots (spans whose parent is not in the
/// trace) by start time, each followed by its children by start time, depth first. Members a
/// parent cycle hides from every root are laid out as roots afterwards, so none is lost.
fn depth_first(traces: &TraceStore, derived: &[Derived], members: &[usize]) -> Vec<(usize, u32)> {
    let position: FastMap<usize, usize> = members
        .iter()
        .enumerate()
        .map(|(local, &index)| (index, local))
        .collect();
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); members.len()];
    let mut roots: Vec<usize> = Vec::new();
    for &index in members {
        match derived[index]
            .parent_index
            .and_then(|parent| position.get(&parent))
        {
            Some(&parent) => children[parent].push(index),
            None => roots.push(index),
        }
    }
    let by_start = |a: &usize, b: &usize| {
        traces.spans[*a]
            .start
            .cmp(&traces.spans[*b].start)
            .then(a.cmp(b))
    };
    roots.sort_by(by_start);
    for list in &mut children {
        list.sort_by(by_start);
    }
    let mut visited = vec![false; members.len()];
    let mut order = Vec::with_capacity(members.len());
    let mut stack: Vec<(usize, u32)> = Vec::new();
    let leftovers: Vec<usize> = members.to_vec();
    for start in roots.iter().chain(leftovers.iter()) {
        stack.push((*start, 0));
        while let Some((index, depth)) = stack.pop() {
            let local = position[&index];
            if visited[local] {
                continue;
            }
            visited[local] = true;
            order.push((index, depth));
            // Reversed so the earliest child is popped first.
            for &child in children[local].iter().rev() {
                stack.push((child, depth.saturating_add(1)));
            }
        }
    }
    order
}

/// At most `cap` spans of `order`, still in display order: the critical path first, then
/// failing spans, then the longest.
fn capped(
    traces: &TraceStore,
    order: &[(usize, u32)],
    critical: &[usize],
    cap: usize,
) -> Vec<(usize, u32)> {
    if order.len() <= cap {
        return order.to_vec();
    }
    let mut ranked: Vec<usize> = (0..order.len()).collect();
    ranked.sort_by_key(|&position| {
        let index = order[position].0;
        let span = &traces.spans[index];
        (
            !critical.contains(&index),
            !span.is_error,
            std::cmp::Reverse(span.duration),
            position,
        )
    });
    let mut keep = vec![false; order.len()];
    for &position in ranked.iter().take(cap) {
        keep[position] = true;
    }
    order
        .iter()
        .zip(keep)
        .filter_map(|(entry, kept)| kept.then_some(*entry))
        .collect()
}
