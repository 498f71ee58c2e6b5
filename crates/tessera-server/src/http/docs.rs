//! `/openapi.json` and `/docs`: the API description and a page rendered from
//! it on the server, so it works offline (no CDN, no script).

use std::fmt::Write as _;
use std::sync::LazyLock;

use axum::http::header;
use axum::response::{Html, IntoResponse};
use serde_json::Value;

/// The OpenAPI 3.1 document describing every endpoint.
pub const OPENAPI_JSON: &str = include_str!("openapi.json");

static OPENAPI: LazyLock<Value> =
    LazyLock::new(|| serde_json::from_str(OPENAPI_JSON).unwrap_or(Value::Null));

static DOCS_HTML: LazyLock<String> = LazyLock::new(|| render(&OPENAPI));

/// `GET /openapi.json`.
pub async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI_JSON)
}

/// `GET /docs`.
pub async fn docs() -> Html<&'static str> {
    Html(DOCS_HTML.as_str())
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
    let mut html = String::from(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Tessera API</title>\
         <style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}\
         code,.path{font-family:ui-monospace,monospace}.op{border:1px solid #ddd;border-radius:6px;padding:.6rem 1rem;margin:.8rem 0}\
         .m{display:inline-block;min-width:4.5rem;font-weight:700}.get{color:#0a6}.post{color:#06c}.put{color:#a60}.delete{color:#c22}\
         table{border-collapse:collapse}td{padding:.1rem .6rem;vertical-align:top}</style></head><body>",
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
    html.push_str("</body></html>");
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
