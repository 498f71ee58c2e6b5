//! A browser-like client for the portal's HTTP tests: keeps cookies,
//! reads each page's CSRF token, and posts forms the way Chromium does
//! under `Referrer-Policy: no-referrer` (`Origin: null`,
//! `Sec-Fetch-Site: same-origin`).

use std::collections::BTreeMap;

use crate::http_support::{Reply, Server};

/// One browser: its cookies and the last page's CSRF token.
pub struct Browser<'a> {
    server: &'a Server,
    pub cookies: BTreeMap<String, String>,
    pub csrf: String,
}

impl<'a> Browser<'a> {
    pub fn new(server: &'a Server) -> Browser<'a> {
        Browser {
            server,
            cookies: BTreeMap::new(),
            csrf: String::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// Takes the reply's cookies (an empty value or `Max-Age=0` removes
    /// one) and its form token.
    fn absorb(&mut self, reply: &Reply) {
        for set in reply.set_cookies() {
            let pair = set.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            if value.is_empty() || set.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
        if let Some(token) = csrf_field(&String::from_utf8_lossy(&reply.body)) {
            self.csrf = token;
        }
    }

    pub async fn get(&mut self, path: &str) -> Reply {
        let reply = self
            .server
            .get(path)
            .header("cookie", &self.cookie_header())
            .header("sec-fetch-site", "same-origin")
            .send()
            .await;
        self.absorb(&reply);
        reply
    }

    /// Posts `fields` plus this browser's CSRF token, as Chromium does.
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Reply {
        let csrf = self.csrf.clone();
        let mut all = fields.to_vec();
        all.push(("csrf_token", csrf.as_str()));
        self.post_with(
            path,
            &all,
            &[("origin", "null"), ("sec-fetch-site", "same-origin")],
        )
        .await
    }

    /// Posts exactly `fields` with exactly `headers` (and the cookies).
    pub async fn post_with(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> Reply {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        let mut call = self
            .server
            .post(path)
            .header("cookie", &self.cookie_header())
            .body("application/x-www-form-urlencoded", body);
        for (name, value) in headers {
            call = call.header(name, value);
        }
        let reply = call.send().await;
        self.absorb(&reply);
        reply
    }

    /// Opens `/login` and signs in.
    pub async fn sign_in(&mut self, username: &str, password: &str) -> Reply {
        self.get("/login").await;
        self.post("/login", &[("username", username), ("password", password)])
            .await
    }

    pub fn has(&self, cookie: &str) -> bool {
        self.cookies.contains_key(cookie)
    }
}

/// The value of the page's `csrf_token` field.
pub fn csrf_field(html: &str) -> Option<String> {
    let marker = "name=\"csrf_token\" value=\"";
    let start = html.find(marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_owned())
}

/// The text of the element with `id` (its first text, up to the next tag).
pub fn element_text(html: &str, id: &str) -> Option<String> {
    let marker = format!("id=\"{id}\"");
    let at = html.find(&marker)?;
    let start = html[at..].find('>')? + at + 1;
    let end = html[start..].find('<')? + start;
    Some(html[start..end].trim().to_owned())
}

/// `assert_eq!` on a page's status, showing the page when it differs.
pub trait ExpectStatus {
    fn expect_status(&self, status: u16) -> &Self;
}

impl ExpectStatus for Reply {
    #[track_caller]
    fn expect_status(&self, status: u16) -> &Self {
        assert_eq!(self.status.as_u16(), status, "{self}");
        self
    }
}
