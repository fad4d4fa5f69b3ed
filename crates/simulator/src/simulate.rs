//! Generates one window of the system's life (traces, logs, per-pod metrics) with optional
//! faults and unrelated background events, and writes it as files a user would upload.

use crate::rng::Rng;
use crate::system::{Call, FaultKind, NODES, REQUESTS};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

/// Nanoseconds per millisecond / minute.
const MS: i64 = 1_000_000;
const MINUTE: i64 = 60_000 * MS;
/// Metric sampling interval.
const METRIC_STEP: i64 = 15_000 * MS;

/// A fault active from `onset` to the end of the window.
#[derive(Debug, Clone, Copy)]
pub struct ActiveFault {
    /// What.
    pub kind: FaultKind,
    /// Which node.
    pub target: usize,
    /// When it starts, ns since the epoch.
    pub onset: i64,
    /// Size: delay in ms, slowdown factor, error probability, leak MB/min.
    pub magnitude: f64,
}

/// An unrelated event: it shows in the data but causes nothing.
#[derive(Debug, Clone, Copy)]
pub enum Background {
    /// A short CPU spike (a batch job) on a pod: CPU high, own work a bit slower.
    CpuSpike {
        /// The node.
        node: usize,
        /// Start, ns since the epoch.
        start: i64,
        /// End, ns since the epoch.
        end: i64,
    },
    /// A burst of error log lines that touch no request.
    LogBurst {
        /// The node.
        node: usize,
        /// Start, ns since the epoch.
        start: i64,
    },
    /// A harmless configuration reload.
    ConfigReload {
        /// The node.
        node: usize,
        /// When, ns since the epoch.
        at: i64,
    },
    /// A service whose own work is always slow (in every window).
    ChronicSlow {
        /// The node.
        node: usize,
    },
    /// A service with a steady small share of failing requests (in every window).
    ChronicErrors {
        /// The node.
        node: usize,
    },
}

/// One window to generate.
#[derive(Debug, Clone)]
pub struct Window {
    /// Start, ns since the epoch.
    pub start: i64,
    /// Length in minutes.
    pub minutes: i64,
    /// Requests per minute at the daily mean.
    pub requests_per_minute: f64,
    /// The fault, if any.
    pub fault: Option<ActiveFault>,
    /// Background events.
    pub background: Vec<Background>,
    /// Pod names per node.
    pub pods: Vec<String>,
    /// Write traces as OTLP JSON (else a CSV span table).
    pub otlp: bool,
}

#[derive(Debug, Clone)]
struct SpanOut {
    trace: String,
    id: String,
    parent: Option<String>,
    node: usize,
    operation: &'static str,
    client: bool,
    peer: Option<usize>,
    start: i64,
    end: i64,
    error: bool,
    message: Option<String>,
}

#[derive(Debug, Clone, Default)]
struct PodInterval {
    requests: f64,
    duration_ms: f64,
    work_ms: f64,
    errors: f64,
}

struct Generator<'a> {
    rng: Rng,
    window: &'a Window,
    spans: Vec<SpanOut>,
    /// (time, node, level, message)
    logs: Vec<(i64, usize, &'static str, String)>,
    intervals: Vec<Vec<PodInterval>>,
}

/// Daily load: 1 ± 0.45, peaking mid-afternoon (UTC), so a window has a slope.
fn daily_load(time: i64) -> f64 {
    let day_fraction = (time.rem_euclid(86_400_000 * MS)) as f64 / (86_400_000 * MS) as f64;
    1.0 + 0.45 * (2.0 * std::f64::consts::PI * (day_fraction - 0.375)).sin()
}

impl Generator<'_> {
    fn fault_on(&self, kind: FaultKind, node: usize, time: i64) -> Option<f64> {
        self.window
            .fault
            .filter(|f| f.kind == kind && f.target == node && time >= f.onset)
            .map(|f| f.magnitude)
    }

    fn cpu_spike(&self, node: usize, time: i64) -> bool {
        self.window.background.iter().any(|b| {
            matches!(b, Background::CpuSpike { node: n, start, end } if *n == node && time >= *start && time < *end)
        })
    }

    fn chronic(&self, node: usize, errors: bool) -> bool {
        self.window.background.iter().any(|b| match b {
            Background::ChronicSlow { node: n } => !errors && *n == node,
            Background::ChronicErrors { node: n } => errors && *n == node,
            _ => false,
        })
    }

    fn interval(&mut self, node: usize, time: i64) -> &mut PodInterval {
        let index = ((time - self.window.start) / METRIC_STEP).max(0) as usize;
        let row = &mut self.intervals[node];
        if row.len() <= index {
            row.resize(index + 1, PodInterval::default());
        }
        &mut row[index]
    }

    /// One network leg's latency between two nodes, with a delay fault on either end.
    fn network(&mut self, from: usize, to: usize, time: i64) -> i64 {
        let mut ms = self.rng.lognormal(0.4, 0.3);
        for node in [from, to] {
            if let Some(delay) = self.fault_on(FaultKind::NetworkDelay, node, time) {
                ms += delay / 2.0 * self.rng.range(0.8, 1.2);
            }
        }
        (ms * MS as f64) as i64
    }

    /// Generates the server side of `call` starting at `start`; returns its end and error.
    fn serve(
        &mut self,
        call: &Call,
        trace: &str,
        parent: Option<String>,
        start: i64,
    ) -> (i64, bool) {
        let node = call.node;
        let spec = &NODES[node];
        let id = self.rng.hex(16);
        let mut work = self.rng.lognormal(spec.work_ms, 0.3);
        if self.chronic(node, false) {
            work *= 3.0;
        }
        if let Some(factor) = self.fault_on(FaultKind::CpuContention, node, start) {
            work *= factor * self.rng.range(0.8, 1.3);
        }
        if self.cpu_spike(node, start) {
            work *= 1.5;
        }
        if let Some(queue_ms) = self.fault_on(FaultKind::BadConfig, node, start) {
            // Requests wait for one of the few pooled connections/workers left.
            work += self.rng.lognormal(queue_ms, 0.4);
        }
        if let Some(leak) = self
            .window
            .fault
            .filter(|f| f.kind == FaultKind::MemoryLeak && f.target == node && start >= f.onset)
        {
            // Garbage collection works harder as the heap fills.
            let minutes = (start - leak.onset) as f64 / MINUTE as f64;
            work *= 1.0 + 0.02 * minutes;
        }
        let mut cursor = start + (work * 0.4 * MS as f64) as i64;
        let mut error = false;
        let mut message = None;
        let own_error_probability = self
            .fault_on(FaultKind::ErrorReturns, node, start)
            .unwrap_or(0.0)
            + if self.chronic(node, true) { 0.02 } else { 0.0 };
        if own_error_probability > 0.0 && self.rng.chance(own_error_probability) {
            error = true;
            let text = format!(
                "java.lang.IllegalStateException: {} failed validating request",
                call.operation
            );
            self.logs.push((cursor, node, "ERROR", text.clone()));
            message = Some(text);
        } else {
            for child in call.children {
                let client_id = self.rng.hex(16);
                let client_start = cursor;
                let (client_end, child_error, child_message) = if NODES[child.node].database {
                    let outage = self
                        .fault_on(FaultKind::DatabaseOutage, child.node, client_start)
                        .is_some();
                    let out = self.network(node, child.node, client_start);
                    if outage {
                        let wait = (self.rng.lognormal(3.0, 0.3) * MS as f64) as i64;
                        (
                            client_start + out + wait,
                            true,
                            Some(format!(
                                "Connection refused: {}:3306",
                                NODES[child.node].name
                            )),
                        )
                    } else {
                        let query =
                            (self.rng.lognormal(NODES[child.node].work_ms, 0.3) * MS as f64) as i64;
                        let back = self.network(child.node, node, client_start);
                        (client_start + out + query + back, false, None)
                    }
                } else {
                    let out = self.network(node, child.node, client_start);
                    let (server_end, failed) =
                        self.serve(child, trace, Some(client_id.clone()), client_start + out);
                    let back = self.network(child.node, node, server_end);
                    (
                        server_end + back,
                        failed,
                        failed.then(|| format!("{} returned 500", NODES[child.node].name)),
                    )
                };
                self.spans.push(SpanOut {
                    trace: trace.to_owned(),
                    id: client_id,
                    parent: Some(id.clone()),
                    node,
                    operation: child.operation,
                    client: true,
                    peer: Some(child.node),
                    start: client_start,
                    end: client_end,
                    error: child_error,
                    message: child_message.clone(),
                });
                cursor = client_end;
                if child_error {
                    if NODES[child.node].database {
                        self.logs.push((
                            cursor,
                            node,
                            "ERROR",
                            format!(
                                "Could not get JDBC connection for {}: {}",
                                child.operation,
                                child_message.unwrap_or_default()
                            ),
                        ));
                    } else {
                        self.logs.push((
                            cursor,
                            node,
                            "ERROR",
                            format!(
                                "Call {} to {} failed: HTTP 500",
                                child.operation, NODES[child.node].name
                            ),
                        ));
                    }
                    error = true;
                    message = Some(format!("downstream {} failed", NODES[child.node].name));
                    break;
                }
            }
        }
        let end = cursor + (work * 0.6 * MS as f64) as i64;
        if !error && self.rng.chance(0.08) {
            let ms = (end - start) as f64 / MS as f64;
            self.logs.push((
                end,
                node,
                "INFO",
                format!("{} completed in {ms:.0} ms", call.operation),
            ));
        }
        self.spans.push(SpanOut {
            trace: trace.to_owned(),
            id,
            parent,
            node,
            operation: call.operation,
            client: false,
            peer: None,
            start,
            end,
            error,
            message,
        });
        let interval = self.interval(node, start);
        interval.requests += 1.0;
        interval.duration_ms += (end - start) as f64 / MS as f64;
        interval.work_ms += work;
        interval.errors += f64::from(u8::from(error));
        (end, error)
    }

    fn run(&mut self) {
        let window = self.window;
        let total: f64 = REQUESTS.iter().map(|(w, _)| w).sum();
        for minute in 0..window.minutes {
            let minute_start = window.start + minute * MINUTE;
            let expected = window.requests_per_minute * daily_load(minute_start);
            let count = (expected + expected.sqrt() * self.rng.normal()).max(1.0) as usize;
            for _ in 0..count {
                let start = minute_start + (self.rng.unit() * MINUTE as f64) as i64;
                let mut pick = self.rng.unit() * total;
                let mut chosen = &REQUESTS[0].1;
                for (weight, request) in REQUESTS {
                    if pick < *weight {
                        chosen = request;
                        break;
                    }
                    pick -= weight;
                }
                let trace = self.rng.hex(32);
                self.serve(chosen, &trace, None, start);
            }
            // Database queries are counted on the database's pod.
        }
        for span in self.spans.clone() {
            if let Some(peer) = span.peer.filter(|p| NODES[*p].database) {
                let interval = self.interval(peer, span.start);
                interval.requests += 1.0;
                interval.duration_ms += (span.end - span.start) as f64 / MS as f64;
                interval.work_ms += NODES[peer].work_ms;
            }
        }
        for event in &window.background {
            match *event {
                Background::LogBurst { node, start } => {
                    for i in 0..(20 + self.rng.index(30)) {
                        let at = start + (self.rng.unit() * MINUTE as f64) as i64;
                        let key = self.rng.hex(8);
                        self.logs.push((at, node, "ERROR", format!("Failed to refresh cache entry {key}: timeout after 500 ms (attempt {})", i % 3 + 1)));
                    }
                }
                Background::ConfigReload { node, at } => {
                    self.logs.push((
                        at,
                        node,
                        "INFO",
                        "Configuration reloaded: feature flag recommendations.v2 updated"
                            .to_owned(),
                    ));
                }
                _ => {}
            }
        }
        if let Some(fault) = window.fault.filter(|f| f.kind == FaultKind::BadConfig) {
            self.logs.push((
                fault.onset,
                fault.target,
                "INFO",
                "Configuration reloaded: property db.pool.max-size changed from 50 to 2".to_owned(),
            ));
        }
    }
}

/// Writes one window's files into `dir`: traces, logs (JSON and text) and one metrics CSV
/// per pod.
pub fn write_window(dir: &Path, window: &Window, seed: u64) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut generator = Generator {
        rng: Rng::new(seed),
        window,
        spans: Vec::new(),
        logs: Vec::new(),
        intervals: vec![Vec::new(); NODES.len()],
    };
    generator.run();
    let Generator {
        mut rng,
        spans,
        mut logs,
        intervals,
        ..
    } = generator;
    write_traces(dir, window, &spans)?;
    logs.sort_by_key(|(time, node, ..)| (*time, *node));
    write_logs(dir, window, &logs)?;
    write_metrics(dir, window, &intervals, &mut rng)?;
    Ok(())
}

fn rfc3339(nanos: i64) -> String {
    chrono::DateTime::from_timestamp_nanos(nanos)
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

fn write_traces(dir: &Path, window: &Window, spans: &[SpanOut]) -> anyhow::Result<()> {
    if window.otlp {
        let mut resource_spans = Vec::new();
        for (node, spec) in NODES.iter().enumerate().filter(|(_, n)| !n.database) {
            let list: Vec<serde_json::Value> = spans
                .iter()
                .filter(|s| s.node == node)
                .map(|s| {
                    let mut attributes = Vec::new();
                    if let Some(peer) = s.peer {
                        attributes.push(serde_json::json!({"key": "peer.service", "value": {"stringValue": NODES[peer].name}}));
                        if NODES[peer].database {
                            attributes.push(serde_json::json!({"key": "db.system", "value": {"stringValue": if NODES[peer].name.starts_with("redis") { "redis" } else { "mysql" }}}));
                        }
                    }
                    serde_json::json!({
                        "traceId": s.trace,
                        "spanId": s.id,
                        "parentSpanId": s.parent.clone().unwrap_or_default(),
                        "name": s.operation,
                        "kind": if s.client { 3 } else { 2 },
                        "startTimeUnixNano": s.start.to_string(),
                        "endTimeUnixNano": s.end.to_string(),
                        "attributes": attributes,
                        "status": if s.error { serde_json::json!({"code": 2, "message": s.message.clone().unwrap_or_default()}) } else { serde_json::json!({}) },
                    })
                })
                .collect();
            resource_spans.push(serde_json::json!({
                "resource": {"attributes": [
                    {"key": "service.name", "value": {"stringValue": spec.name}},
                    {"key": "k8s.pod.name", "value": {"stringValue": window.pods[node]}},
                ]},
                "scopeSpans": [{"scope": {"name": "io.opentelemetry.java"}, "spans": list}],
            }));
        }
        let document = serde_json::json!({ "resourceSpans": resource_spans });
        std::fs::write(dir.join("traces.json"), serde_json::to_vec(&document)?)?;
    } else {
        let mut out = String::from("TraceID,SpanID,ParentID,PodName,OperationName,SpanKind,PeerService,StartTimeUnixNano,EndTimeUnixNano,StatusCode\n");
        for s in spans {
            let _ = writeln!(
                out,
                "{},{},{},{},{},{},{},{},{},{}",
                s.trace,
                s.id,
                s.parent.as_deref().unwrap_or(""),
                window.pods[s.node],
                s.operation,
                if s.client { "client" } else { "server" },
                s.peer.map_or("", |p| NODES[p].name),
                s.start,
                s.end,
                if s.error { 500 } else { 200 }
            );
        }
        std::fs::write(dir.join("traces.csv"), out)?;
    }
    Ok(())
}

fn write_logs(
    dir: &Path,
    window: &Window,
    logs: &[(i64, usize, &'static str, String)],
) -> anyhow::Result<()> {
    let mut json = std::io::BufWriter::new(std::fs::File::create(dir.join("services.jsonl"))?);
    let mut text = std::io::BufWriter::new(std::fs::File::create(dir.join("services.log"))?);
    for (time, node, level, message) in logs {
        let spec = &NODES[*node];
        if spec.json_logs {
            let line = serde_json::json!({"ts": rfc3339(*time), "level": level.to_ascii_lowercase(), "service": spec.name, "pod": window.pods[*node], "msg": message});
            writeln!(json, "{line}")?;
        } else {
            let stamp =
                chrono::DateTime::from_timestamp_nanos(*time).format("%Y-%m-%d %H:%M:%S,%3f");
            writeln!(
                text,
                "{stamp} {level} [http-nio-8080-exec-{}] {}: {message}",
                time % 16,
                spec.name
            )?;
        }
    }
    json.flush()?;
    text.flush()?;
    Ok(())
}

fn write_metrics(
    dir: &Path,
    window: &Window,
    intervals: &[Vec<PodInterval>],
    rng: &mut Rng,
) -> anyhow::Result<()> {
    let steps = (window.minutes * MINUTE / METRIC_STEP) as usize;
    let seconds = METRIC_STEP as f64 / 1e9;
    for (node, spec) in NODES.iter().enumerate() {
        let mut out = String::from("timestamp,cpu_usage,memory_usage_mb,latency_ms,request_rate,error_rate,network_tx_kbps\n");
        let mut last_latency = spec.work_ms * 2.0;
        // A JVM-like sawtooth: the heap grows a little and is collected every few minutes.
        let gc_period = 4 + rng.index(5);
        for step in 0..steps {
            let time = window.start + step as i64 * METRIC_STEP;
            let interval = intervals[node].get(step).cloned().unwrap_or_default();
            let outage = window.fault.is_some_and(|f| {
                f.kind == FaultKind::DatabaseOutage && f.target == node && time >= f.onset
            });
            let busy = interval.work_ms / 1000.0 / seconds;
            let mut cpu = spec.cpu_idle + 0.6 * busy + 0.01 * rng.normal();
            let contention = window.fault.is_some_and(|f| {
                f.kind == FaultKind::CpuContention && f.target == node && time >= f.onset
            });
            let spike = window.background.iter().any(|b| matches!(b, Background::CpuSpike { node: n, start, end } if *n == node && time >= *start && time < *end));
            if contention || spike {
                cpu = rng.range(0.88, 0.99);
            }
            if outage {
                cpu = 0.01 + 0.005 * rng.unit();
            }
            let minutes = (time - window.start) as f64 / MINUTE as f64;
            let sawtooth = (minutes % gc_period as f64) / gc_period as f64;
            let mut memory =
                spec.memory_mb * (0.7 + 0.08 * sawtooth) + spec.memory_mb * 0.01 * rng.normal();
            if let Some(leak) = window
                .fault
                .filter(|f| f.kind == FaultKind::MemoryLeak && f.target == node && time >= f.onset)
            {
                memory += leak.magnitude * (time - leak.onset) as f64 / MINUTE as f64;
            }
            if outage {
                memory = 40.0 + rng.unit();
            }
            if interval.requests > 0.0 {
                last_latency = interval.duration_ms / interval.requests;
            }
            let error_rate = if interval.requests > 0.0 {
                interval.errors / interval.requests
            } else {
                0.0
            };
            let _ = writeln!(
                out,
                "{},{:.4},{:.1},{:.2},{:.3},{:.4},{:.1}",
                rfc3339(time),
                cpu.clamp(0.0, 1.0),
                memory,
                last_latency,
                interval.requests / seconds,
                error_rate,
                interval.requests * 1.7 + rng.range(0.0, 2.0)
            );
        }
        std::fs::write(dir.join(format!("{}_metric.csv", window.pods[node])), out)?;
    }
    Ok(())
}
