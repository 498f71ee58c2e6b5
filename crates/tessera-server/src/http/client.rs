//! Who is calling: user agent and IP, for sessions, audit and rate limits.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};

use super::error::ApiError;
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
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let user_agent = parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|value| value.to_str().ok())
            .map(|agent| truncate(agent, MAX_USER_AGENT));
        let forwarded = if state.trust_forwarded {
            forwarded_client(&parts.headers)?
        } else {
            None
        };
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

/// The client address the trusted proxy appended to `X-Forwarded-For`, if
/// the header is present.
///
/// The last address is the one the proxy appended (the peer it saw);
/// anything before it came from the client, which can write whatever it
/// likes there (nginx's `$proxy_add_x_forwarded_for`, Traefik and others
/// append to the header they received). A last entry that cannot be read
/// is refused: falling back to the proxy's own address would put every
/// client behind it into one rate-limit bucket, so one of them could lock
/// login and registration for all.
fn forwarded_client(headers: &HeaderMap) -> Result<Option<IpAddr>, ApiError> {
    let Some(value) = headers.get_all("x-forwarded-for").iter().next_back() else {
        return Ok(None);
    };
    value
        .to_str()
        .ok()
        .and_then(|list| list.rsplit(',').next())
        .and_then(forwarded_address)
        .map(Some)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "the last X-Forwarded-For entry is not an IP address (ip, ip:port, [ipv6] or \
                 [ipv6]:port); with TESSERA_TRUST_FORWARDED it names the client",
            )
        })
}

/// One `X-Forwarded-For` entry: an IP address, bare or with the port some
/// load balancers add (`ip:port`, `[ipv6]:port`), or a bracketed IPv6.
fn forwarded_address(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    entry
        .parse::<IpAddr>()
        .ok()
        .or_else(|| entry.parse::<SocketAddr>().ok().map(|addr| addr.ip()))
        .or_else(|| {
            entry
                .strip_prefix('[')?
                .strip_suffix(']')?
                .parse::<Ipv6Addr>()
                .ok()
                .map(IpAddr::V6)
        })
}

fn truncate(text: &str, max: usize) -> String {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_entries_are_read_with_or_without_a_port() {
        for (entry, ip) in [
            ("203.0.113.9", "203.0.113.9"),
            (" 203.0.113.9:4711 ", "203.0.113.9"),
            ("2001:db8::1", "2001:db8::1"),
            ("[2001:db8::1]", "2001:db8::1"),
            ("[2001:db8::1]:443", "2001:db8::1"),
        ] {
            assert_eq!(
                forwarded_address(entry).map(|ip| ip.to_string()).as_deref(),
                Some(ip),
                "{entry:?}"
            );
        }
    }

    #[test]
    fn unreadable_forwarded_entries_are_none() {
        for entry in [
            "",
            "unknown",
            "203.0.113.9:http",
            "[203.0.113.9]",
            "[2001:db8::1",
            "2001:db8::1]:443",
        ] {
            assert_eq!(forwarded_address(entry), None, "{entry:?}");
        }
    }
}
