//! The web UI: static files compiled into the binary, so one file is the whole product.

use crate::api::AppState;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

const JAVASCRIPT: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

/// Every file of the page: its path, content type and contents. `app.js` is the entry module;
/// it imports the other modules by these paths, so a module missing here fails to load.
const ASSETS: &[(&str, &str, &str)] = &[
    (
        "/",
        "text/html; charset=utf-8",
        include_str!("../../../web/index.html"),
    ),
    ("/app.js", JAVASCRIPT, include_str!("../../../web/app.js")),
    ("/api.js", JAVASCRIPT, include_str!("../../../web/api.js")),
    ("/dom.js", JAVASCRIPT, include_str!("../../../web/dom.js")),
    (
        "/files.js",
        JAVASCRIPT,
        include_str!("../../../web/files.js"),
    ),
    (
        "/findings.js",
        JAVASCRIPT,
        include_str!("../../../web/findings.js"),
    ),
    (
        "/hypotheses.js",
        JAVASCRIPT,
        include_str!("../../../web/hypotheses.js"),
    ),
    (
        "/markdown.js",
        JAVASCRIPT,
        include_str!("../../../web/markdown.js"),
    ),
    (
        "/results.js",
        JAVASCRIPT,
        include_str!("../../../web/results.js"),
    ),
    (
        "/state.js",
        JAVASCRIPT,
        include_str!("../../../web/state.js"),
    ),
    (
        "/stream.js",
        JAVASCRIPT,
        include_str!("../../../web/stream.js"),
    ),
    (
        "/templates.js",
        JAVASCRIPT,
        include_str!("../../../web/templates.js"),
    ),
    (
        "/questions.js",
        JAVASCRIPT,
        include_str!("../../../web/questions.js"),
    ),
    (
        "/plots.js",
        JAVASCRIPT,
        include_str!("../../../web/plots.js"),
    ),
    ("/style.css", CSS, include_str!("../../../web/style.css")),
    ("/plots.css", CSS, include_str!("../../../web/plots.css")),
];

/// A strict policy: the page loads only its own script and style and talks only to this origin,
/// so text from uploads can never pull in or run anything else.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

fn page(content_type: &'static str, body: &'static str) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
}

/// Routes of the UI.
pub fn routes() -> Router<AppState> {
    ASSETS
        .iter()
        .fold(Router::new(), |router, &(path, content_type, body)| {
            router.route(path, get(move || async move { page(content_type, body) }))
        })
}
