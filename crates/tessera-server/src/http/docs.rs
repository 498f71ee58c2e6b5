//! `/openapi.json` and `/docs`: the API description and a page rendered from
//! it on the server, so it works offline (no CDN, no script). The page is
//! served with the portal pages' security headers.

use std::fmt::Write as _;
use std::sync::LazyLock;

use axum::extract::State;
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use serde_json::Value;

use super::pages::headers::PageHeaders;
use super::state::AppState;

/// The OpenAPI 3.1 document describing every endpoint.
pub const OPENAPI_JSON: &str = include_str!("openapi.json");

static OPENAPI: LazyLock<Value> =
    LazyLock::new(|| serde_json::from_str(OPENAPI_JSON).unwrap_or(Value::Null));

static DOCS_HTML: LazyLock<String> = LazyLock::new(|| render(&OPENAPI));

/// `GET /openapi.json`.
pub async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI_JSON)
}

/// `GET /docs`, with the portal pages' security headers.
pub async fn docs(State(state): State<AppState>) -> Response {
    PageHeaders::new(&state).apply(Html(DOCS_HTML.as_str()).into_response())
}

/// The paths the document describes, as `(METHOD, path)` pairs.
pub fn documented_routes() -> Vec<(String, String)> {
    let mut routes = Vec::new();
    if let Some(paths) = OPENAPI.get("paths").and_then(Value::as_object) {
        for (path, item) in paths {
            for method in item.as_object().into_iter().flat_map(|item| item.keys()) {
                routes.push((method.to_ascii_uppercase(), path.clone()));
            }
        }
    }
    routes
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn render(spec: &Value) -> String {
    let text = |value: Option<&Value>| escape(value.and_then(Value::as_str).unwrap_or(""));
    // No inline style or script: the page is served with the portal's
    // Content-Security-Policy, so it takes the portal's stylesheet (light
    // and dark, colours checked for contrast) from this server.
    let mut html = String::from(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"color-scheme\" content=\"light dark\">\
         <title>Tessera API</title><link rel=\"stylesheet\" href=\"/static/portal.css\"></head>\
         <body class=\"docs\"><header class=\"top\"><a class=\"brand\" href=\"/login\">Tessera</a></header><main>",
    );
    let info = spec.get("info");
    let _ = write!(
        html,
        "<h1>{}</h1><p>{}</p><p>Machine-readable: <a href=\"/openapi.json\">/openapi.json</a></p>",
        text(info.and_then(|info| info.get("title"))),
        text(info.and_then(|info| info.get("description")))
    );
    for (path, item) in spec
        .get("paths")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        for (method, op) in item.as_object().into_iter().flatten() {
            let _ = write!(
                html,
                "<div class=\"op\"><span class=\"m {method}\">{}</span> <span class=\"path\">{}</span><br><b>{}</b>",
                method.to_ascii_uppercase(),
                escape(path),
                text(op.get("summary"))
            );
            if let Some(description) = op.get("description") {
                let _ = write!(html, "<p>{}</p>", text(Some(description)));
            }
            if op.get("security").is_some() {
                html.push_str(
                    "<p>Needs <code>Authorization: Bearer &lt;access token&gt;</code>.</p>",
                );
            }
            html.push_str("<table>");
            for (status, response) in op
                .get("responses")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                let _ = write!(
                    html,
                    "<tr><td><code>{}</code></td><td>{}</td></tr>",
                    escape(status),
                    text(response.get("description"))
                );
            }
            html.push_str("</table></div>");
        }
    }
    html.push_str("</main></body></html>");
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_parses_and_lists_the_auth_endpoints() {
        let routes = documented_routes();
        assert!(routes.contains(&("POST".to_owned(), "/auth/login".to_owned())));
        assert!(DOCS_HTML.contains("/auth/refresh"));
        assert!(!DOCS_HTML.contains("<script"));
    }
}
