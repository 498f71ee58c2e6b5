//! Who is calling: user agent and IP, for sessions, audit and rate limits.

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header;
use axum::http::request::Parts;

use super::state::AppState;
use crate::domain::ClientInfo;

/// Longest user agent kept; the rest is cut (at a character boundary).
const MAX_USER_AGENT: usize = 256;

/// The caller's user agent and IP address.
#[derive(Debug, Clone)]
pub struct Client(pub ClientInfo);

impl Client {
    /// The rate-limit key of the caller's address: an IPv4 address as it
    /// is (also when it arrives IPv4-mapped, as on a dual-stack listener),
    /// an IPv6 address as its /64 network — one host usually holds a whole
    /// /64, so a per-address limit would be free to step around — or
    /// `unknown`.
    pub fn ip_key(&self) -> String {
        match self.0.ip.as_deref().map(str::parse::<IpAddr>) {
            Some(Ok(IpAddr::V6(v6))) => match v6.to_ipv4_mapped() {
                Some(v4) => v4.to_string(),
                None => {
                    let [a, b, c, d, ..] = v6.segments();
                    format!("{a:x}:{b:x}:{c:x}:{d:x}::/64")
                }
            },
            Some(Ok(ip)) => ip.to_string(),
            Some(Err(_)) | None => "unknown".to_owned(),
        }
    }
}

impl FromRequestParts<AppState> for Client {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Infallible> {
        let user_agent = parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|value| value.to_str().ok())
            .map(|agent| truncate(agent, MAX_USER_AGENT));
        // The last address is the one the trusted proxy appended (the peer
        // it saw); anything before it came from the client, which can write
        // whatever it likes there (nginx's `$proxy_add_x_forwarded_for`,
        // Traefik and others append to the header they received).
        let forwarded = state
            .trust_forwarded
            .then(|| {
                parts
                    .headers
                    .get_all("x-forwarded-for")
                    .iter()
                    .next_back()
                    .and_then(|value| value.to_str().ok())
                    .and_then(|list| list.rsplit(',').next())
                    .map(str::trim)
                    .and_then(|ip| ip.parse::<IpAddr>().ok())
            })
            .flatten();
        let ip = forwarded
            .or_else(|| {
                parts
                    .extensions
                    .get::<ConnectInfo<SocketAddr>>()
                    .map(|info| info.0.ip())
            })
            .map(|ip| ip.to_string());
        Ok(Client(ClientInfo { user_agent, ip }))
    }
}

fn truncate(text: &str, max: usize) -> String {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}
