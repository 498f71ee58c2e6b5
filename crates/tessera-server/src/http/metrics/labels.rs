//! The label sets of Tessera's metric families.

use axum::http::Method;
use prometheus_client::encoding::{EncodeLabel, EncodeLabelSet, LabelSetEncoder};

/// `{result="ok"}` and the like.
pub(super) type ResultLabel = [(&'static str, &'static str); 1];

/// `{result=value}`.
pub(super) fn result(value: &'static str) -> ResultLabel {
    [("result", value)]
}

/// `{state="current"}` and the like (`tessera_signing_keys`).
pub(super) type KeyStateLabel = [(&'static str, String); 1];

/// `{state=value}`.
pub(super) fn key_state(value: &str) -> KeyStateLabel {
    [("state", value.to_owned())]
}

/// `{operation="user_by_id"}` and the like (store latency).
pub(super) type OperationLabel = [(&'static str, &'static str); 1];

/// The route label of a request no route matched (a 404): one value for
/// all of them, so that scanners probing random paths cannot create a
/// series per path.
pub const UNMATCHED_ROUTE: &str = "unmatched";

/// `{method, route, status}` of `tessera_http_request_duration_seconds`.
///
/// Every value comes from a bounded set: the method is one of the standard
/// nine or `other`, the route is a template from the router (or
/// [`UNMATCHED_ROUTE`]), the status a number below 1000. A client cannot
/// make the family grow without bound.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RequestLabels {
    method: &'static str,
    route: String,
    status: u16,
}

impl RequestLabels {
    /// The labels of a request for `route` (a matched template, or `None`
    /// when nothing matched) answered with `status`.
    pub fn new(method: &Method, route: Option<&str>, status: u16) -> Self {
        RequestLabels {
            method: method_label(method),
            route: route.unwrap_or(UNMATCHED_ROUTE).to_owned(),
            status,
        }
    }
}

/// The standard methods by name; any extension method as `other`.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::CONNECT => "CONNECT",
        Method::TRACE => "TRACE",
        _ => "other",
    }
}

impl EncodeLabelSet for RequestLabels {
    fn encode(&self, encoder: &mut LabelSetEncoder<'_>) -> Result<(), std::fmt::Error> {
        ("method", self.method).encode(encoder.encode_label())?;
        ("route", self.route.as_str()).encode(encoder.encode_label())?;
        ("status", self.status).encode(encoder.encode_label())
    }
}
