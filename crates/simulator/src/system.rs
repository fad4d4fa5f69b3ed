//! The simulated system: services, databases, the request types (call trees) that flow
//! through them, and the faults that can be injected.

/// One node of the system: a service with spans, or a database seen only through its callers.
#[derive(Debug, Clone)]
pub struct Node {
    /// Service or database name.
    pub name: &'static str,
    /// True for databases and caches (no spans of their own).
    pub database: bool,
    /// Median own work per request, milliseconds (for databases: per query).
    pub work_ms: f64,
    /// CPU share at idle and per request per second.
    pub cpu_idle: f64,
    /// Memory at rest, MB.
    pub memory_mb: f64,
    /// True when the service writes JSON logs (else text logs).
    pub json_logs: bool,
}

const fn service(name: &'static str, work_ms: f64, memory_mb: f64, json_logs: bool) -> Node {
    Node {
        name,
        database: false,
        work_ms,
        cpu_idle: 0.05,
        memory_mb,
        json_logs,
    }
}

const fn database(name: &'static str, work_ms: f64, memory_mb: f64) -> Node {
    Node {
        name,
        database: true,
        work_ms,
        cpu_idle: 0.08,
        memory_mb,
        json_logs: false,
    }
}

/// The nodes, services first. Indices are used by [`REQUESTS`].
pub const NODES: &[Node] = &[
    service("ts-frontend", 3.0, 256.0, true),         // 0
    service("ts-gateway-service", 2.0, 384.0, false), // 1
    service("ts-auth-service", 6.0, 512.0, false),    // 2
    service("ts-user-service", 5.0, 512.0, true),     // 3
    service("ts-catalog-service", 8.0, 768.0, false), // 4
    service("ts-search-service", 12.0, 1024.0, true), // 5
    service("ts-cart-service", 4.0, 384.0, true),     // 6
    service("ts-order-service", 9.0, 768.0, false),   // 7
    service("ts-payment-service", 7.0, 512.0, false), // 8
    service("ts-shipping-service", 6.0, 384.0, true), // 9
    service("ts-recommendation-service", 10.0, 1024.0, true), // 10
    service("ts-notification-service", 3.0, 256.0, true), // 11
    service("ts-currency-service", 2.0, 256.0, true), // 12
    service("ts-inventory-service", 5.0, 512.0, false), // 13
    service("ts-review-service", 6.0, 512.0, true),   // 14
    database("ts-user-mysql", 3.0, 2048.0),           // 15
    database("ts-catalog-mysql", 4.0, 2048.0),        // 16
    database("ts-order-mysql", 4.0, 2048.0),          // 17
    database("ts-payment-mysql", 3.0, 2048.0),        // 18
    database("redis-cart", 0.8, 512.0),               // 19
    database("redis-session", 0.6, 512.0),            // 20
    database("ts-review-mongo", 3.5, 1536.0),         // 21
];

/// A call in a request's tree: the callee, the operation, and the calls it makes.
#[derive(Debug, Clone, Copy)]
pub struct Call {
    /// Callee node.
    pub node: usize,
    /// Operation name.
    pub operation: &'static str,
    /// Calls made by the callee, in order.
    pub children: &'static [Call],
}

const fn call(node: usize, operation: &'static str, children: &'static [Call]) -> Call {
    Call {
        node,
        operation,
        children,
    }
}

const USER_LOOKUP: &[Call] = &[call(15, "SELECT users", &[])];
const AUTH: &[Call] = &[
    call(3, "UserService/GetUser", USER_LOOKUP),
    call(20, "GET session", &[]),
];
const INVENTORY: &[Call] = &[call(16, "SELECT stock", &[])];
const CATALOG: &[Call] = &[
    call(16, "SELECT products", &[]),
    call(13, "InventoryService/Check", INVENTORY),
];
const SEARCH: &[Call] = &[call(4, "CatalogService/List", CATALOG)];
const RECOMMEND: &[Call] = &[call(4, "CatalogService/Get", CATALOG)];
const CART: &[Call] = &[
    call(19, "HGETALL cart", &[]),
    call(13, "InventoryService/Check", INVENTORY),
];
const CURRENCY: &[Call] = &[call(12, "CurrencyService/Convert", &[])];
const PAYMENT: &[Call] = &[
    call(12, "CurrencyService/Convert", &[]),
    call(18, "INSERT payments", &[]),
];
const ORDER: &[Call] = &[
    call(13, "InventoryService/Reserve", INVENTORY),
    call(8, "PaymentService/Charge", PAYMENT),
    call(9, "ShippingService/Quote", CURRENCY),
    call(17, "INSERT orders", &[]),
    call(11, "NotificationService/Send", &[]),
];
const REVIEWS: &[Call] = &[call(21, "find reviews", &[])];

/// Request types entering at the frontend, with their weights.
pub const REQUESTS: &[(f64, Call)] = &[
    (
        0.25,
        call(
            0,
            "GET /products",
            &[call(
                1,
                "GET /api/products",
                &[
                    call(4, "CatalogService/List", CATALOG),
                    call(10, "RecommendationService/List", RECOMMEND),
                ],
            )],
        ),
    ),
    (
        0.15,
        call(
            0,
            "GET /search",
            &[call(
                1,
                "GET /api/search",
                &[call(5, "SearchService/Query", SEARCH)],
            )],
        ),
    ),
    (
        0.15,
        call(
            0,
            "POST /login",
            &[call(
                1,
                "POST /api/login",
                &[call(2, "AuthService/Login", AUTH)],
            )],
        ),
    ),
    (
        0.15,
        call(
            0,
            "GET /cart",
            &[call(
                1,
                "GET /api/cart",
                &[
                    call(2, "AuthService/Verify", &[call(20, "GET session", &[])]),
                    call(6, "CartService/Get", CART),
                ],
            )],
        ),
    ),
    (
        0.15,
        call(
            0,
            "POST /checkout",
            &[call(
                1,
                "POST /api/orders",
                &[
                    call(2, "AuthService/Verify", &[call(20, "GET session", &[])]),
                    call(7, "OrderService/Place", ORDER),
                ],
            )],
        ),
    ),
    (
        0.15,
        call(
            0,
            "GET /reviews",
            &[call(
                1,
                "GET /api/reviews",
                &[call(14, "ReviewService/List", REVIEWS)],
            )],
        ),
    ),
];

/// The faults the simulator injects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    /// Packets to and from the target's pod are delayed.
    NetworkDelay,
    /// The target's pod competes for CPU: its own work slows, its CPU saturates.
    CpuContention,
    /// The target's memory grows steadily.
    MemoryLeak,
    /// The target's handlers throw and return errors.
    ErrorReturns,
    /// A configuration change shrinks the target's pool: requests queue inside it.
    BadConfig,
    /// A database stops accepting connections.
    DatabaseOutage,
}

impl FaultKind {
    /// Every kind, in case order.
    pub const ALL: [FaultKind; 6] = [
        Self::NetworkDelay,
        Self::CpuContention,
        Self::MemoryLeak,
        Self::ErrorReturns,
        Self::BadConfig,
        Self::DatabaseOutage,
    ];

    /// The mechanism name the product should report for it.
    pub fn mechanism(self) -> &'static str {
        match self {
            Self::NetworkDelay => "network_latency",
            Self::CpuContention => "cpu_saturation",
            Self::MemoryLeak => "memory",
            Self::ErrorReturns => "errors",
            Self::BadConfig => "configuration",
            Self::DatabaseOutage => "dependency_outage",
        }
    }

    /// Short name for file names and tables.
    pub fn name(self) -> &'static str {
        match self {
            Self::NetworkDelay => "network-delay",
            Self::CpuContention => "cpu-contention",
            Self::MemoryLeak => "memory-leak",
            Self::ErrorReturns => "error-returns",
            Self::BadConfig => "bad-config",
            Self::DatabaseOutage => "database-outage",
        }
    }
}
