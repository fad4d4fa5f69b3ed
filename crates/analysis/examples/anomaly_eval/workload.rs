//! A deterministic generator of request-flow logs with injected faulty flows, labelled.
//!
//! Flows of several services share one log, interleaved in time, each line carrying its
//! request id (`request_id=req-…` at the gateway, a bare `req-…` elsewhere). Normal flows come
//! in three variants (checkout with an optional coupon step, browse, add to cart). Faulty
//! flows are checkouts with a missing step, an extra error step, two steps swapped, or a
//! storm of retries. A fixed-seed linear congruential generator makes every run identical.

/// What went wrong in a flow, if anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Fault {
    MissingStep,
    ErrorStep,
    Reordered,
    RetryStorm,
}

impl Fault {
    pub const ALL: [Fault; 4] = [
        Fault::MissingStep,
        Fault::ErrorStep,
        Fault::Reordered,
        Fault::RetryStorm,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Fault::MissingStep => "missing step",
            Fault::ErrorStep => "extra error step",
            Fault::Reordered => "reordered steps",
            Fault::RetryStorm => "retry storm",
        }
    }
}

/// A generated log and, per request id, its fault (if any).
pub struct Workload {
    pub text: String,
    pub flows: Vec<(String, Option<Fault>)>,
}

struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound.max(1)
    }

    fn chance(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }
}

/// `flows` flows, each faulty with probability `fault_per_mille`/1000 (fault type uniform).
pub fn generate(flows: usize, fault_per_mille: u64, seed: u64) -> Workload {
    let mut random = Random(seed);
    let start_ms: i64 = 1_714_572_000_000; // 2024-05-01T14:00:00Z
    let mut lines: Vec<(i64, usize, String)> = Vec::new();
    let mut labels = Vec::with_capacity(flows);
    for flow in 0..flows {
        let id = format!("req-{:08x}", random.next() ^ (flow as u64) << 20);
        let user = 1000 + random.below(400);
        let fault = if random.chance(fault_per_mille) {
            Some(Fault::ALL[random.below(4) as usize])
        } else {
            None
        };
        let variant = if fault.is_some() { 0 } else { random.below(10) };
        let mut steps: Vec<(&str, &str, String)> = Vec::new();
        match variant {
            // Checkout (half of the normal flows, and every faulty one).
            0..=4 => {
                let items = 1 + random.below(5);
                let order = 50_000 + random.below(50_000);
                steps.push((
                    "INFO",
                    "gateway",
                    format!("received POST /api/checkout request_id={id}"),
                ));
                steps.push((
                    "INFO",
                    "auth",
                    format!("token validated for {id} user_id={user}"),
                ));
                steps.push((
                    "INFO",
                    "cart",
                    format!("loaded cart of {items} items for {id}"),
                ));
                if random.chance(300) {
                    steps.push((
                        "INFO",
                        "cart",
                        format!("applied coupon SAVE{} for {id}", random.below(50)),
                    ));
                }
                steps.push((
                    "INFO",
                    "inventory",
                    format!("reserved {items} items for {id}"),
                ));
                steps.push((
                    "INFO",
                    "payment",
                    format!(
                        "charged order {order} amount={}.{:02} for {id}",
                        random.below(500),
                        random.below(100)
                    ),
                ));
                steps.push((
                    "INFO",
                    "shipping",
                    format!("scheduled shipment for order {order} {id}"),
                ));
                steps.push((
                    "INFO",
                    "gateway",
                    format!(
                        "completed request_id={id} status=200 in {}ms",
                        80 + random.below(200)
                    ),
                ));
            }
            5..=7 => {
                steps.push((
                    "INFO",
                    "gateway",
                    format!("received GET /api/products request_id={id}"),
                ));
                steps.push((
                    "INFO",
                    "auth",
                    format!("token validated for {id} user_id={user}"),
                ));
                steps.push((
                    "INFO",
                    "catalog",
                    format!("served {} products for {id}", 10 + random.below(40)),
                ));
                steps.push((
                    "INFO",
                    "gateway",
                    format!(
                        "completed request_id={id} status=200 in {}ms",
                        20 + random.below(60)
                    ),
                ));
            }
            _ => {
                steps.push((
                    "INFO",
                    "gateway",
                    format!("received POST /api/cart request_id={id}"),
                ));
                steps.push((
                    "INFO",
                    "auth",
                    format!("token validated for {id} user_id={user}"),
                ));
                steps.push((
                    "INFO",
                    "cart",
                    format!("added item sku-{} to cart for {id}", random.below(900)),
                ));
                steps.push((
                    "INFO",
                    "gateway",
                    format!(
                        "completed request_id={id} status=200 in {}ms",
                        30 + random.below(90)
                    ),
                ));
            }
        }
        match fault {
            Some(Fault::MissingStep) => {
                // Drop one required middle step (never the first, never the optional coupon:
                // a checkout without a coupon is a normal flow, not a faulty one).
                let required: Vec<usize> = (2..steps.len() - 1)
                    .filter(|&i| !steps[i].2.starts_with("applied coupon"))
                    .collect();
                let victim = required[random.below(required.len() as u64) as usize];
                steps.remove(victim);
            }
            Some(Fault::ErrorStep) => {
                let last = steps.len() - 1;
                steps[last] = (
                    "INFO",
                    "gateway",
                    format!(
                        "completed request_id={id} status=502 in {}ms",
                        900 + random.below(2000)
                    ),
                );
                let at = steps.iter().position(|s| s.1 == "payment").unwrap_or(last);
                steps.insert(
                    at,
                    (
                        "ERROR",
                        "payment",
                        format!("payment provider timeout for {id} after 3000ms"),
                    ),
                );
            }
            Some(Fault::Reordered) => {
                let inventory = steps.iter().position(|s| s.1 == "inventory").unwrap_or(2);
                let payment = steps.iter().position(|s| s.1 == "payment").unwrap_or(3);
                steps.swap(inventory, payment);
            }
            Some(Fault::RetryStorm) => {
                let retries = 8 + random.below(8);
                for attempt in 1..=retries {
                    steps.insert(
                        2,
                        (
                            "WARN",
                            "auth",
                            format!("token service slow, retrying for {id} attempt={attempt}"),
                        ),
                    );
                }
            }
            None => {}
        }
        let mut time = start_ms + flow as i64 * 40 + random.below(40) as i64;
        for (order, (level, service, message)) in steps.into_iter().enumerate() {
            time += 2 + random.below(25) as i64;
            lines.push((
                time,
                flow * 64 + order,
                format!("{level} [{service}] {message}"),
            ));
        }
        labels.push((id, fault));
    }
    lines.sort();
    let mut text = String::new();
    for (time, _, line) in lines {
        let seconds = time.div_euclid(1000);
        let millis = time.rem_euclid(1000);
        let (hour, minute, second) = ((seconds / 3600) % 24, (seconds / 60) % 60, seconds % 60);
        text.push_str(&format!(
            "2024-05-01T{hour:02}:{minute:02}:{second:02}.{millis:03}Z {line}\n"
        ));
    }
    Workload {
        text,
        flows: labels,
    }
}
