//! One span per request and one log line when it is answered, through
//! tower-http's [`TraceLayer`]; and the request-duration histogram.
//!
//! The span carries the request id, the method, the route *template*
//! (`/admin/users/{id}`, never the path with its ids) and, once known, the
//! user id; every line logged while the request is handled is inside it, so
//! each carries them (with `TESSERA_LOG_FORMAT=json`, under `"span"`). The
//! line written when the response head leaves adds the status and the
//! latency in milliseconds. Nothing else from the request is logged: no
//! query string, no header, no body, so no token, password or cookie.
//!
//! The span and the line are at `INFO`: `TESSERA_LOG=warn` turns both off,
//! and then cost next to nothing (a disabled span is not built).

use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::Response;
use axum::middleware::Next;
use tower_http::classify::{ServerErrorsAsFailures, SharedClassifier};
use tower_http::trace::{MakeSpan, OnResponse, TraceLayer};
use tracing::{Span, field};

use super::metrics::{RequestLabels, UNMATCHED_ROUTE};
use super::request_id::X_REQUEST_ID;
use super::state::AppState;

/// The trace layer as the router uses it: [`RequestSpan`] and
/// [`AnsweredLine`], nothing logged when a request starts, per body chunk
/// or as a failure (a 5xx is already in the answered line, and a store
/// outage is logged once by the store, not once per request).
pub type RequestTrace =
    TraceLayer<SharedClassifier<ServerErrorsAsFailures>, RequestSpan, (), AnsweredLine, (), (), ()>;

/// The router's [`RequestTrace`].
pub fn trace_layer() -> RequestTrace {
    TraceLayer::new_for_http()
        .make_span_with(RequestSpan)
        .on_request(())
        .on_response(AnsweredLine)
        .on_body_chunk(())
        .on_eos(())
        .on_failure(())
}

/// The route template a request matched, or [`UNMATCHED_ROUTE`].
fn route<B>(request: &Request<B>) -> &str {
    request
        .extensions()
        .get::<MatchedPath>()
        .map_or(UNMATCHED_ROUTE, MatchedPath::as_str)
}

/// Makes the `request` span (see the module docs).
#[derive(Debug, Clone, Copy)]
pub struct RequestSpan;

impl<B> MakeSpan<B> for RequestSpan {
    fn make_span(&mut self, request: &Request<B>) -> Span {
        // The id layer in front has set a visible-ASCII id by now.
        let id = request
            .headers()
            .get(&X_REQUEST_ID)
            .and_then(|id| id.to_str().ok())
            .unwrap_or("");
        tracing::info_span!(
            "request",
            request_id = id,
            method = %request.method(),
            route = route(request),
            user_id = field::Empty,
        )
    }
}

/// Logs `answered` with the status and latency.
#[derive(Debug, Clone, Copy)]
pub struct AnsweredLine;

impl<B> OnResponse<B> for AnsweredLine {
    fn on_response(self, response: &Response<B>, latency: Duration, _span: &Span) {
        tracing::info!(
            status = response.status().as_u16(),
            latency_ms = latency.as_secs_f64() * 1000.0,
            "answered"
        );
    }
}

/// Names the user the current request acts for (the `sub` of its verified
/// token, or the user a login signed in), for its log lines. Outside a
/// request, or with request logging off, it does nothing.
pub fn note_user(user_id: &str) {
    Span::current().record("user_id", user_id);
}

/// Middleware: records each request in
/// `tessera_http_request_duration_seconds`, by method, route template and
/// status.
pub async fn observe_duration(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> axum::response::Response {
    let started = Instant::now();
    let method = request.method().clone();
    let matched = request.extensions().get::<MatchedPath>().cloned();
    let response = next.run(request).await;
    let labels = RequestLabels::new(
        &method,
        matched.as_ref().map(MatchedPath::as_str),
        response.status().as_u16(),
    );
    state.metrics.observe_request(&labels, started.elapsed());
    response
}
