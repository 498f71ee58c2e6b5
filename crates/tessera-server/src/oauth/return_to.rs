//! Where a sign-in may send the browser back to (`return_to`): only to the
//! configured origins or URL prefixes, so the flow is never an open
//! redirect (RFC 9700 §4.11).

use axum::http::Uri;

use super::config::SocialConfigError;

/// The allowed `return_to` targets (`TESSERA_RETURN_TO`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnToAllowlist {
    entries: Vec<Entry>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Entry {
    /// Any URL of this origin (`scheme://host:port`, port made explicit).
    Origin(String),
    /// URLs of this origin whose path starts with `path` (ending in `/`,
    /// or followed by `/`, `?` or the end).
    Prefix { origin: String, path: String },
}

impl ReturnToAllowlist {
    /// Reads a comma-separated list of origins (`https://app.example.com`)
    /// and absolute URL prefixes (`https://example.com/account/`);
    /// `variable` names where it came from, for the error.
    pub fn parse(variable: &str, list: &str) -> Result<Self, SocialConfigError> {
        let mut entries = Vec::new();
        for item in list
            .split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
        {
            let (origin, path) = split(item).ok_or_else(|| {
                SocialConfigError::new(
                    variable,
                    format!("{item:?} must be an absolute http(s) URL or origin, without query or fragment"),
                )
            })?;
            if item.contains('?') {
                return Err(SocialConfigError::new(
                    variable,
                    format!("{item:?} must not have a query"),
                ));
            }
            entries.push(if path == "/" || path.is_empty() {
                Entry::Origin(origin)
            } else {
                Entry::Prefix { origin, path }
            });
        }
        if entries.is_empty() {
            return Err(SocialConfigError::new(variable, "lists no URL"));
        }
        Ok(ReturnToAllowlist { entries })
    }

    /// The origins the list allows (`scheme://host:port`), each once: what
    /// a page's `Content-Security-Policy: form-action` must also name, since
    /// browsers apply it to the redirect that follows a form.
    pub fn origins(&self) -> Vec<&str> {
        let mut origins: Vec<&str> = Vec::new();
        for entry in &self.entries {
            let origin = match entry {
                Entry::Origin(origin) | Entry::Prefix { origin, .. } => origin.as_str(),
            };
            if !origins.contains(&origin) {
                origins.push(origin);
            }
        }
        origins
    }

    /// Whether the browser may be sent to `url`.
    pub fn allows(&self, url: &str) -> bool {
        let Some((origin, path)) = split(url) else {
            return false;
        };
        self.entries.iter().any(|entry| match entry {
            Entry::Origin(allowed) => *allowed == origin,
            Entry::Prefix {
                origin: allowed,
                path: prefix,
            } => {
                *allowed == origin
                    && path.starts_with(prefix.as_str())
                    && (prefix.ends_with('/')
                        || matches!(path[prefix.len()..].chars().next(), None | Some('/' | '?')))
            }
        })
    }
}

/// The origin (lowercase, explicit port) and the path-and-query of an
/// absolute http(s) URL; `None` for anything else, for URLs with a
/// fragment, credentials, backslashes, spaces or control characters, and
/// for paths with dot segments (which could climb out of a prefix).
fn split(url: &str) -> Option<(String, String)> {
    if url.len() > 2048
        || url
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || matches!(c, '\\' | '#'))
    {
        return None;
    }
    let uri: Uri = url.parse().ok()?;
    let scheme = uri.scheme_str()?.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "https" => 443,
        "http" => 80,
        _ => return None,
    };
    let authority = uri.authority()?;
    let host = authority.host();
    if authority.as_str().contains('@') || host.is_empty() {
        return None;
    }
    let path = uri.path_and_query().map_or("", |pq| pq.as_str());
    let path_only = path.split('?').next().unwrap_or("");
    let lowered = path_only.to_ascii_lowercase();
    if path_only
        .split('/')
        .any(|segment| segment == "." || segment == "..")
        || lowered.contains("%2e")
        || lowered.contains("%2f")
        || lowered.contains("%5c")
    {
        return None;
    }
    let origin = format!(
        "{scheme}://{}:{}",
        host.to_ascii_lowercase(),
        authority.port_u16().unwrap_or(default_port)
    );
    Some((origin, path.to_owned()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::ReturnToAllowlist;

    #[test]
    fn origins_allow_any_path_of_exactly_that_origin() {
        let list = ReturnToAllowlist::parse("V", "https://app.example.com").unwrap();
        assert!(list.allows("https://app.example.com"));
        assert!(list.allows("https://APP.example.com:443/x?y=1"));
        for url in [
            "https://app.example.com.evil.example/",
            "https://evil.example/?https://app.example.com",
            "http://app.example.com/",
            "https://app.example.com:8443/",
            "https://user@app.example.com/",
            "//app.example.com/",
            "/relative",
            "javascript:alert(1)",
            "https://app.example.com/#frag",
            "https://app.example.com\\@evil.example/",
        ] {
            assert!(!list.allows(url), "{url}");
        }
    }

    #[test]
    fn prefixes_stop_at_path_boundaries_and_refuse_dot_segments() {
        let list = ReturnToAllowlist::parse("V", "https://example.com/account").unwrap();
        assert!(list.allows("https://example.com/account"));
        assert!(list.allows("https://example.com/account/settings?tab=1"));
        assert!(!list.allows("https://example.com/accounts"));
        assert!(!list.allows("https://example.com/account/../admin"));
        assert!(!list.allows("https://example.com/account/%2e%2e/admin"));
    }
}
