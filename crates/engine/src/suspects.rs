//! Naming the entities a hypothesis blames. Findings carry the subjects their parser found
//! (service, pod, host fields), but much real data names the entity only in the text
//! (`pod/checkout-7d9f8b6c5-x2kqp` in a Kubernetes event) or only in the file name (an
//! `orders.log` of unlabelled Java lines): those are used too, in that order of trust.

use faultmaven_model::{AttachmentSummary, Evidence, Finding, Suspect, SuspectKind};

/// Most suspects a hypothesis lists.
const MAX_SUSPECTS: usize = 5;

/// Words that parsers sometimes take for a component but that name a log level, a
/// Kubernetes event type or a PostgreSQL message class (`LOG:`, `STATEMENT:`), never an entity.
const NOT_ENTITIES: &[&str] = &[
    "warning",
    "normal",
    "info",
    "error",
    "debug",
    "warn",
    "fatal",
    "critical",
    "notice",
    "trace",
    "err",
    "crit",
    "alert",
    "emerg",
    "log",
    "statement",
    "detail",
    "hint",
];

/// Parts of a file name that say what kind of data it holds, not whose data it is.
const DATA_WORDS: &[&str] = &[
    "access",
    "alerts",
    "app",
    "application",
    "cadvisor",
    "combined",
    "cronjob",
    "current",
    "deployment",
    "dump",
    "error",
    "errors",
    "event",
    "events",
    "export",
    "exporter",
    "gc",
    "good",
    "incident",
    "jaeger",
    "journal",
    "known",
    "last",
    "latest",
    "log",
    "logs",
    "messages",
    "metric",
    "metrics",
    "netpol",
    "node",
    "nodes",
    "otlp",
    "output",
    "pod",
    "pods",
    "postgresql",
    "previous",
    "prom",
    "prometheus",
    "slow",
    "span",
    "spans",
    "stderr",
    "stdout",
    "syslog",
    "threaddump",
    "trace",
    "traces",
    "yesterday",
    "zipkin",
    "baseline",
    "config",
    "values",
];

/// Kubernetes object kinds that name a workload or a place in `kind/name` references.
const OBJECT_KINDS: &[(&str, SuspectKind)] = &[
    ("pod/", SuspectKind::Pod),
    ("node/", SuspectKind::Host),
    ("deployment/", SuspectKind::Service),
    ("statefulset/", SuspectKind::Service),
    ("daemonset/", SuspectKind::Service),
    ("job/", SuspectKind::Service),
    ("cronjob/", SuspectKind::Service),
    ("horizontalpodautoscaler/", SuspectKind::Service),
    ("service/", SuspectKind::Service),
];

/// Whether a subject names an entity (not a level word a parser took for one).
pub(crate) fn is_entity(suspect: &Suspect) -> bool {
    !NOT_ENTITIES
        .iter()
        .any(|word| suspect.name.eq_ignore_ascii_case(word))
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_')
}

/// `kind/name` object references in a line, as Kubernetes events and kubectl print them.
fn object_references(text: &str) -> Vec<Suspect> {
    let mut found = Vec::new();
    for (prefix, kind) in OBJECT_KINDS {
        for (start, _) in text.match_indices(prefix) {
            let boundary = text[..start]
                .chars()
                .next_back()
                .is_none_or(|c| c.is_whitespace() || matches!(c, '"' | '\'' | '(' | '[' | ','));
            let name: String = text[start + prefix.len()..]
                .chars()
                .take_while(|&c| is_name_char(c))
                .collect();
            let name = name.trim_end_matches(['.', '-', '_']);
            if boundary && name.len() >= 2 && name.bytes().any(|b| b.is_ascii_alphabetic()) {
                found.push(Suspect {
                    kind: *kind,
                    name: name.to_owned(),
                });
            }
        }
    }
    found
}

/// The workload a pod belongs to, from Kubernetes' naming: `<deployment>-<replicaset
/// hash>-<5 chars>` or `<statefulset>-<ordinal>`.
pub(crate) fn workload_of_pod(pod: &str) -> Option<&str> {
    let parts: Vec<&str> = pod.split('-').collect();
    let is_hash = |part: &str, lengths: std::ops::RangeInclusive<usize>| {
        lengths.contains(&part.len())
            && part
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    };
    let n = parts.len();
    if n >= 3 && is_hash(parts[n - 1], 5..=5) && is_hash(parts[n - 2], 6..=10) {
        let cut = parts[n - 1].len() + parts[n - 2].len() + 2;
        return Some(&pod[..pod.len() - cut]);
    }
    if n >= 2 && parts[n - 1].bytes().all(|b| b.is_ascii_digit()) && parts[n - 1].len() <= 3 {
        return Some(&pod[..pod.len() - parts[n - 1].len() - 1]);
    }
    None
}

/// The service a file is named after (`orders.log`, `ledger-gc.log`, `edge-1-syslog`), when
/// its name says whose data it is rather than only what kind of data.
pub(crate) fn service_of_file(file_name: &str) -> Option<String> {
    let parts: Vec<&str> = file_name
        .split(['.', '-', '_'])
        .filter(|part| !part.is_empty())
        .collect();
    let is_data_word = |part: &&str| {
        DATA_WORDS.contains(&part.to_ascii_lowercase().as_str())
            || matches!(
                part.to_ascii_lowercase().as_str(),
                "txt"
                    | "json"
                    | "jsonl"
                    | "ndjson"
                    | "logfmt"
                    | "csv"
                    | "tsv"
                    | "yaml"
                    | "yml"
                    | "env"
                    | "conf"
                    | "toml"
                    | "ini"
                    | "gz"
                    | "out"
                    | "java"
                    | "py"
                    | "go"
                    | "js"
            )
    };
    let first = parts.iter().position(|part| !is_data_word(part))?;
    let last = parts.iter().rposition(|part| !is_data_word(part))?;
    if parts[first..=last].iter().any(is_data_word) {
        return None;
    }
    // Rebuild from the original text so separators are kept as written.
    let start = file_name.find(parts[first])?;
    let end = file_name[start..].find(parts[last])? + start + parts[last].len();
    let name = &file_name[start..end];
    (name.len() >= 2 && name.bytes().any(|b| b.is_ascii_alphabetic())).then(|| name.to_owned())
}

/// Peers a line talks to: host names followed by a port (`redis-master:6379`,
/// `ledger.internal:8443`) or after a URL scheme (`https://api.sendgrid.com/v3`). IP addresses
/// are left out: they name no entity an engineer would recognise.
fn peer_addresses(text: &str) -> Vec<String> {
    let mut peers = Vec::new();
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut index = 0;
    while index < chars.len() {
        let (start, c) = chars[index];
        let boundary = index == 0
            || !is_name_char(chars[index - 1].1) && chars[index - 1].1 != '/'
            || text[..start].ends_with("://");
        if !(c.is_ascii_alphabetic() && boundary) {
            index += 1;
            continue;
        }
        let length = text[start..]
            .chars()
            .take_while(|&c| is_name_char(c))
            .count();
        let host = text[start..start + length].trim_end_matches(['.', '-', '_']);
        let after = &text[start + host.len()..];
        let has_port = after
            .strip_prefix(':')
            .is_some_and(|rest| rest.bytes().next().is_some_and(|b| b.is_ascii_digit()));
        let after_scheme = text[..start].ends_with("://");
        let is_ip = host.bytes().all(|b| b.is_ascii_digit() || b == b'.');
        if (has_port || after_scheme)
            && !is_ip
            && host.len() >= 3
            && host != "localhost"
            && !peers.iter().any(|p| p == host)
        {
            peers.push(host.to_owned());
        }
        index += length.max(1);
    }
    peers
}

/// Parts of an attribute key that say its value is the other end of a call
/// (`provider=api.sendgrid.com`, `read_replica=pg-replica-2`, `upstream_host=...`).
const PEER_KEY_PARTS: &[&str] = &[
    "provider",
    "upstream",
    "peer",
    "remote",
    "dependency",
    "downstream",
    "callee",
    "replica",
    "primary",
    "broker",
    "backend",
    "endpoint",
    "destination",
    "dest",
];

/// Parts of an attribute key that say its value is this side of the call, whatever else the
/// key says (`client_ip`, `source_host`).
const OWN_SIDE_KEY_PARTS: &[&str] = &["client", "source", "src", "origin", "caller", "local"];

/// Top-level and cluster-internal domains that end a fully qualified host name. A dotted name
/// ending in one (`api.sendgrid.com`, `orders.prod.svc`) is a host; Java packages and loggers
/// (`c.s.checkout.web.CheckoutController`) and file names (`tasks.py`) are not.
const HOST_SUFFIXES: &[&str] = &[
    "com", "net", "org", "io", "dev", "cloud", "app", "co", "internal", "local", "svc", "lan",
    "corp", "us", "eu", "de", "uk",
];

/// First labels of dotted names that are code, not hosts (`java.io`, `org.apache...`).
const CODE_NAMESPACES: &[&str] = &["java", "javax", "jdk", "sun", "kotlin", "scala", "android"];

/// Words after a breaker's name that say it opened or refused a call.
const BREAKER_WORDS: &[&str] = &[
    "circuitbreaker",
    "circuit breaker",
    "circuit-breaker",
    "breaker",
];

/// A name as written: letters, digits, `-`, `.`, `_`, with at least one letter, trimmed of
/// trailing punctuation.
fn leading_name(text: &str) -> Option<&str> {
    let length: usize = text
        .chars()
        .take_while(|&c| is_name_char(c))
        .map(char::len_utf8)
        .sum();
    let name = text[..length].trim_end_matches(['.', '-', '_']);
    let starts_alphanumeric = name
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphanumeric());
    (starts_alphanumeric && name.len() >= 2 && name.bytes().any(|b| b.is_ascii_alphabetic()))
        .then_some(name)
}

/// Whether a dotted name is a fully qualified host name (see `HOST_SUFFIXES`).
fn is_qualified_host(name: &str) -> bool {
    let labels: Vec<&str> = name.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|label| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        })
        && labels
            .last()
            .is_some_and(|last| HOST_SUFFIXES.contains(last))
        && !CODE_NAMESPACES.contains(&labels[0])
        && labels[0].bytes().any(|b| b.is_ascii_alphabetic())
}

/// Dependencies a caller's line names in words rather than as an address with a port or a
/// scheme (those are `peer_addresses`):
/// - the breaker guarding calls to it: `CircuitBreaker 'inventory' is OPEN`, `circuit breaker
///   for inventory opened`: a breaker that fails fast is the caller's view of the callee it
///   is named after;
/// - attribute fields that name the other end: `provider=api.sendgrid.com`,
///   `read_replica=pg-replica-2`, `upstream=ledger` (never `client_*`, `source_*`);
/// - the service an error says is unavailable upstream: `upstream warehouse-db unavailable`;
/// - fully qualified host names: `api.sendgrid.com`, `ledger.payments.svc`.
fn named_dependencies(text: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    let mut push = |name: &str| {
        if name != "localhost" && !found.iter().any(|f| f == name) {
            found.push(name.to_owned());
        }
    };
    // ASCII lowercasing keeps byte offsets, so they index `text` too.
    let lower = text.to_ascii_lowercase();
    // Breakers: `CircuitBreaker 'name'`, `circuit breaker "name"`, `circuit breaker for name`,
    // `breaker name is open`.
    for word in BREAKER_WORDS {
        for (start, _) in lower.match_indices(word) {
            let before = lower[..start].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '.') {
                continue;
            }
            let rest = text[start + word.len()..].trim_start_matches([' ', ':']);
            let (rest, introduced) = match rest.strip_prefix("for ") {
                Some(after) => (after, true),
                None => (rest, false),
            };
            let quoted = rest.strip_prefix(['\'', '"', '[']);
            let Some(name) = leading_name(quoted.unwrap_or(rest)) else {
                continue;
            };
            let lower_name = name.to_ascii_lowercase();
            if lower_name.contains("breaker") || lower_name.contains("circuit") {
                continue;
            }
            let after = quoted.unwrap_or(rest)[name.len()..]
                .trim_start()
                .to_ascii_lowercase();
            let stated = ["is ", "opened", "open", "tripped", "changed", "state"]
                .iter()
                .any(|verb| after.starts_with(verb));
            let stop_word = matches!(
                lower_name.as_str(),
                "is" | "was"
                    | "has"
                    | "open"
                    | "opened"
                    | "closed"
                    | "state"
                    | "changed"
                    | "tripped"
                    | "the"
                    | "a"
                    | "an"
                    | "of"
                    | "on"
                    | "to"
            );
            if quoted.is_some() || (!stop_word && (introduced || stated)) {
                push(name);
            }
        }
    }
    // `upstream NAME unavailable|down|unreachable|failed|refused|timed out|error`.
    for (start, _) in lower.match_indices("upstream ") {
        if lower[..start]
            .chars()
            .next_back()
            .is_some_and(char::is_alphanumeric)
        {
            continue;
        }
        let rest = &text[start + "upstream ".len()..];
        let Some(name) = leading_name(rest) else {
            continue;
        };
        let after = rest[name.len()..].trim_start().to_lowercase();
        let named_as_failing = [
            "unavailable",
            "down",
            "unreachable",
            "failed",
            "refused",
            "timed out",
            "error",
            "is unavailable",
            "is down",
        ]
        .iter()
        .any(|word| after.starts_with(word));
        if named_as_failing
            && (name.contains(['-', '.', '_']) || name.bytes().any(|b| b.is_ascii_digit()))
        {
            push(name);
        }
    }
    // `key=value` fields whose key names the other end.
    for (start, _) in text.match_indices('=') {
        let key: String = text[..start]
            .chars()
            .rev()
            .take_while(|&c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
            .collect::<Vec<char>>()
            .into_iter()
            .rev()
            .collect();
        let parts: Vec<String> = key
            .to_lowercase()
            .split(['_', '.', '-'])
            .map(str::to_owned)
            .collect();
        let names_peer = parts.iter().any(|p| PEER_KEY_PARTS.contains(&p.as_str()))
            && !parts
                .iter()
                .any(|p| OWN_SIDE_KEY_PARTS.contains(&p.as_str()));
        if !names_peer {
            continue;
        }
        let value = text[start + 1..].trim_start_matches(['"', '\'']);
        let value = value
            .split_once("://")
            .map_or(value, |(_, after_scheme)| after_scheme);
        if let Some(name) = leading_name(value) {
            let is_ip = name.bytes().all(|b| b.is_ascii_digit() || b == b'.');
            if !is_ip {
                push(name);
            }
        }
    }
    // Fully qualified host names anywhere in the line.
    let mut rest = text;
    while let Some(offset) = rest.find(|c: char| c.is_ascii_alphanumeric()) {
        let candidate = &rest[offset..];
        let boundary = offset == 0 || {
            let before = rest[..offset].chars().next_back();
            before.is_some_and(|c| !is_name_char(c) && c != '/' && c != '@')
        };
        let length: usize = candidate
            .chars()
            .take_while(|&c| is_name_char(c))
            .map(char::len_utf8)
            .sum();
        let name = candidate[..length].trim_end_matches(['.', '-', '_']);
        if boundary && is_qualified_host(name) {
            push(name);
        }
        rest = &candidate[length.max(1)..];
    }
    found
}

/// Words that say a request was refused for who made it: the account such a line names is
/// the one whose permissions are wrong.
const DENIAL_WORDS: &[&str] = &[
    "forbidden",
    "denied",
    "not authorized",
    "unauthorized",
    "cannot",
    "not allowed",
    "permission",
];

fn is_account_char(c: char) -> bool {
    is_name_char(c) || matches!(c, ':' | '@' | '/')
}

/// Accounts a refused request ran as: Kubernetes service accounts
/// (`system:serviceaccount:ci:deployer`), the quoted user of `User "alice" cannot ...`
/// (Kubernetes RBAC) or `user 'app'@'10.0.0.1'` (MySQL), and AWS roles
/// (`assumed-role/deployer/...`, `role/deployer`). Only in lines that say it was refused.
fn denied_accounts(text: &str) -> Vec<String> {
    let lower = text.to_lowercase();
    if !DENIAL_WORDS.iter().any(|word| lower.contains(word)) {
        return Vec::new();
    }
    let mut accounts: Vec<String> = Vec::new();
    let mut push = |name: &str| {
        let name = name.trim_end_matches(['.', ':', '/', '-', '_']);
        if name.len() >= 2
            && name.bytes().any(|b| b.is_ascii_alphabetic())
            && !accounts.iter().any(|a| a == name)
        {
            accounts.push(name.to_owned());
        }
    };
    for (start, _) in lower.match_indices("system:serviceaccount:") {
        let name: String = text[start..]
            .chars()
            .take_while(|&c| is_account_char(c) && c != '/' && c != '@')
            .collect();
        // `system:serviceaccount:<namespace>:<name>` and nothing after it.
        if name.split(':').count() == 4 {
            push(&name);
        }
    }
    for prefix in ["user \"", "user '", "user: \"", "user=\""] {
        for (start, _) in lower.match_indices(prefix) {
            let rest = &text[start + prefix.len()..];
            let quote = prefix.chars().next_back().unwrap_or('"');
            if let Some(end) = rest.find(quote) {
                let name = &rest[..end];
                if name.chars().all(is_account_char) && !name.starts_with("system:serviceaccount:")
                {
                    push(name);
                }
            }
        }
    }
    for prefix in ["assumed-role/", ":role/"] {
        for (start, _) in lower.match_indices(prefix) {
            let name: String = text[start + prefix.len()..]
                .chars()
                .take_while(|&c| is_name_char(c))
                .collect();
            push(&name);
        }
    }
    accounts
}

/// The excerpts of a finding's log-line evidence.
fn excerpts(finding: &Finding) -> impl Iterator<Item = &str> {
    finding
        .evidence
        .iter()
        .filter_map(|evidence| match evidence {
            Evidence::LogLines {
                excerpt: Some(excerpt),
                ..
            } => Some(excerpt.as_str()),
            _ => None,
        })
}

/// The peers a finding's lines talk to: addresses (`redis-master:6379`) and dependencies
/// named in words (`CircuitBreaker 'inventory'`, `provider=api.sendgrid.com`).
pub(crate) fn finding_peers(finding: &Finding) -> Vec<String> {
    let mut peers: Vec<String> = Vec::new();
    for excerpt in excerpts(finding) {
        for peer in peer_addresses(excerpt)
            .into_iter()
            .chain(named_dependencies(excerpt))
        {
            if !peers.contains(&peer) {
                peers.push(peer);
            }
        }
    }
    peers
}

fn add(counted: &mut Vec<(Suspect, usize)>, suspect: Suspect, weight: usize) {
    match counted.iter_mut().find(|(s, _)| *s == suspect) {
        Some(entry) => entry.1 += weight,
        None => counted.push((suspect, weight)),
    }
}

/// Up to five entities the supporting findings blame, most often named first: the findings'
/// own subjects and the objects their evidence names (with each pod's workload); when neither
/// names anything, the service the evidence's files are named after.
///
/// With `peers_first` (dependency, network and security causes: the fault is at the other end
/// of the connection) the peers the evidence connects to come before anything else.
pub(crate) fn suspects_of(
    findings: &[&Finding],
    attachments: &[AttachmentSummary],
    peers_first: bool,
) -> Vec<Suspect> {
    let mut counted: Vec<(Suspect, usize)> = Vec::new();
    // The account a refused request ran as is what the fix changes (its role binding, its
    // policy), so it comes before the peer that refused it and the caller.
    for finding in findings {
        for account in excerpts(finding).flat_map(denied_accounts) {
            let suspect = Suspect {
                kind: SuspectKind::Account,
                name: account,
            };
            add(&mut counted, suspect, 2 * findings.len() + 2);
        }
    }
    if peers_first {
        for finding in findings {
            for peer in finding_peers(finding) {
                let suspect = Suspect {
                    kind: SuspectKind::Dependency,
                    name: peer,
                };
                // Ahead of the callers, which every finding names once.
                add(&mut counted, suspect, findings.len() + 1);
            }
        }
    }
    let peers_found = counted.len();
    for finding in findings {
        let mut named: Vec<Suspect> = finding
            .subjects
            .iter()
            .filter(|s| is_entity(s))
            .cloned()
            .collect();
        named.extend(excerpts(finding).flat_map(object_references));
        let workloads: Vec<Suspect> = named
            .iter()
            .filter(|s| s.kind == SuspectKind::Pod)
            .filter_map(|s| workload_of_pod(&s.name))
            .map(|name| Suspect {
                kind: SuspectKind::Service,
                name: name.to_owned(),
            })
            .collect();
        // A workload counts as much as its pods together, so it comes before any one pod.
        for suspect in named.into_iter().chain(workloads) {
            add(&mut counted, suspect, 1);
        }
    }
    // Loggers and modules (`o.e.a.b.TransportShardBulkAction`, `plugin/errors`) live inside a
    // process; when nothing else names the entity, the service the file is named after comes
    // before them (`coredns.log`).
    let only_components = counted[peers_found..]
        .iter()
        .all(|(suspect, _)| suspect.kind == SuspectKind::Component);
    let component_weight = counted[peers_found..]
        .iter()
        .map(|(_, weight)| *weight)
        .max()
        .unwrap_or(0);
    if only_components {
        for finding in findings {
            for evidence in &finding.evidence {
                let Some(file) = attachments.iter().find(|a| a.id == evidence.attachment()) else {
                    continue;
                };
                if let Some(service) = service_of_file(&file.name) {
                    let suspect = Suspect {
                        kind: SuspectKind::Service,
                        name: service,
                    };
                    let weight = if counted.iter().any(|(s, _)| *s == suspect) {
                        1
                    } else {
                        component_weight + 1
                    };
                    add(&mut counted, suspect, weight);
                }
            }
        }
    }
    counted.sort_by_key(|entry| std::cmp::Reverse(entry.1));
    counted
        .into_iter()
        .take(MAX_SUSPECTS)
        .map(|(s, _)| s)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pods_belong_to_their_workload() {
        assert_eq!(
            workload_of_pod("checkout-7d9f8b6c5-x2kqp"),
            Some("checkout")
        );
        assert_eq!(
            workload_of_pod("session-store-6dnj9wq28-qzv68"),
            Some("session-store")
        );
        assert_eq!(workload_of_pod("redis-master-0"), Some("redis-master"));
        assert_eq!(workload_of_pod("worker"), None);
    }

    #[test]
    fn files_named_after_a_service() {
        assert_eq!(service_of_file("orders.log").as_deref(), Some("orders"));
        assert_eq!(service_of_file("ledger-gc.log").as_deref(), Some("ledger"));
        assert_eq!(service_of_file("edge-1-syslog").as_deref(), Some("edge-1"));
        assert_eq!(
            service_of_file("inventory-db-postgresql.log").as_deref(),
            Some("inventory-db")
        );
        assert_eq!(service_of_file("events.txt"), None);
        assert_eq!(service_of_file("traces-otlp.json"), None);
        assert_eq!(service_of_file("node-exporter.prom"), None);
    }

    #[test]
    fn peers_are_hosts_with_a_port_or_a_scheme() {
        assert_eq!(
            peer_addresses(
                "dial tcp 10.42.6.14:6379: connect: connection refused redis=redis-master:6379"
            ),
            ["redis-master"]
        );
        assert_eq!(
            peer_addresses("Post \"https://ledger.internal:8443/v2/entries\": x509"),
            ["ledger.internal"]
        );
        assert!(peer_addresses("at 14:03:22 took 1500ms").is_empty());
    }

    #[test]
    fn the_file_service_comes_before_loggers_inside_it() {
        use faultmaven_model::{
            AttachmentId, AttachmentRole, DataKind, FindingId, FindingKind, Severity,
        };
        let attachment = AttachmentSummary {
            id: AttachmentId::new(1),
            name: "resolver.log".to_owned(),
            role: AttachmentRole::Incident,
            kind: DataKind::Log,
            format: "text".to_owned(),
            bytes: 10,
            lines: 1,
            records: 1,
            issues: Vec::new(),
            issues_truncated: false,
        };
        let finding = Finding {
            id: FindingId::new(1),
            kind: FindingKind::ErrorTemplate,
            severity: Severity::High,
            title: "ERROR template E1".to_owned(),
            detail: String::new(),
            score: 0.8,
            first_seen: None,
            last_seen: None,
            subjects: vec![Suspect {
                kind: SuspectKind::Component,
                name: "plugin/forward".to_owned(),
            }],
            template_id: None,
            entities: Vec::new(),
            evidence: vec![Evidence::LogLines {
                attachment: AttachmentId::new(1),
                first_line: 1,
                last_line: 1,
                excerpt: Some("no healthy upstreams".to_owned()),
            }],
        };
        let names: Vec<String> = suspects_of(&[&finding], &[attachment], false)
            .into_iter()
            .map(|s| s.name)
            .collect();
        assert_eq!(names, ["resolver", "plugin/forward"]);
    }

    #[test]
    fn dependencies_named_in_words() {
        // A breaker is named after the callee it guards.
        assert_eq!(
            named_dependencies(
                "i.g.r.circuitbreaker.CircuitBreaker : CircuitBreaker 'billing' changed state from CLOSED to OPEN"
            ),
            ["billing"]
        );
        assert_eq!(
            named_dependencies("circuit breaker for ledger-api opened after 50% failures"),
            ["ledger-api"]
        );
        assert_eq!(
            named_dependencies("io.github.resilience4j.circuitbreaker.CallNotPermittedException"),
            Vec::<String>::new()
        );
        assert!(named_dependencies("the circuit breaker is open").is_empty());
        // Fields that name the other end; never the caller's own side.
        assert_eq!(
            named_dependencies("send failed error=quota provider=mail.example.io status=429"),
            ["mail.example.io"]
        );
        assert_eq!(
            named_dependencies("stale read read_replica=db-replica-3 attempt=2"),
            ["db-replica-3"]
        );
        assert!(named_dependencies("request client_ip=10.1.2.3 source_host=web-1").is_empty());
        // The service an error says is unavailable upstream.
        assert_eq!(
            named_dependencies("reserve failed error=upstream stock-db unavailable"),
            ["stock-db"]
        );
        // Qualified host names, not packages, loggers or files.
        assert_eq!(
            named_dependencies(
                "POST to hooks.partner.net failed; at java.io.FileInputStream in tasks.py"
            ),
            ["hooks.partner.net"]
        );
        assert!(
            named_dependencies("c.s.checkout.web.CheckoutController : checkout failed").is_empty()
        );
    }

    #[test]
    fn accounts_of_refused_requests() {
        assert_eq!(
            denied_accounts(
                "secrets is forbidden: User \"system:serviceaccount:build:image-pusher\" cannot get resource \"secrets\""
            ),
            ["system:serviceaccount:build:image-pusher"]
        );
        assert_eq!(
            denied_accounts(
                "pods is forbidden: User \"jane@example.org\" cannot list resource \"pods\""
            ),
            ["jane@example.org"]
        );
        assert_eq!(
            denied_accounts(
                "User: arn:aws:sts::123456789012:assumed-role/etl-runner/i-0abc is not authorized to perform: s3:PutObject"
            ),
            ["etl-runner"]
        );
        assert_eq!(
            denied_accounts("Access denied for user 'report'@'10.1.2.3' (using password: YES)"),
            ["report"]
        );
        // Named, but nothing was refused.
        assert!(denied_accounts("token issued for system:serviceaccount:ci:deployer").is_empty());
    }

    #[test]
    fn object_references_in_event_lines() {
        let found = object_references("BackOff  pod/recommendation-6dnj9wq28-qzv68  Back-off restarting; node/ip-10-0-4-21.ec2.internal.");
        let names: Vec<&str> = found.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "recommendation-6dnj9wq28-qzv68",
                "ip-10-0-4-21.ec2.internal"
            ]
        );
        assert!(object_references("GET /api/pod/xyz").is_empty());
    }
}
