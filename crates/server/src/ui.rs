//! The web UI: static files compiled into the binary, so one file is the whole product.

use crate::api::AppState;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

const INDEX_HTML: &str = include_str!("../../../web/index.html");
const APP_JS: &str = include_str!("../../../web/app.js");
const QUESTIONS_JS: &str = include_str!("../../../web/questions.js");
const STYLE_CSS: &str = include_str!("../../../web/style.css");
const PLOTS_JS: &str = include_str!("../../../web/plots.js");
const PLOTS_CSS: &str = include_str!("../../../web/plots.css");

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
    Router::new()
        .route(
            "/",
            get(|| async { page("text/html; charset=utf-8", INDEX_HTML) }),
        )
        .route(
            "/app.js",
            get(|| async { page("text/javascript; charset=utf-8", APP_JS) }),
        )
        .route(
            "/questions.js",
            get(|| async { page("text/javascript; charset=utf-8", QUESTIONS_JS) }),
        )
        .route(
            "/style.css",
            get(|| async { page("text/css; charset=utf-8", STYLE_CSS) }),
        )
        .route(
            "/plots.js",
            get(|| async { page("text/javascript; charset=utf-8", PLOTS_JS) }),
        )
        .route(
            "/plots.css",
            get(|| async { page("text/css; charset=utf-8", PLOTS_CSS) }),
        )
}
