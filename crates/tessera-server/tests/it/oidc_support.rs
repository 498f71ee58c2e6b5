//! The harness for sign-in tests: a real OpenID provider (panva's
//! `oidc-provider`, run by `tests/oidc-provider/provider.mjs` under Node.js)
//! on 127.0.0.1, and a browser-like HTTP client that walks its login pages.
//!
//! ```ignore
//! let client = OidcClient::new("tessera", "client-secret", CALLBACK);
//! let Some(provider) = OidcProvider::start(ProviderOptions::new().client(client)).await else {
//!     return; // no node on this machine (a failure under TESSERA_REQUIRE_NODE=1)
//! };
//! let mut browser = Browser::new();
//! let page = browser.sign_in(&authorization_url, "ada", PROVIDER_PASSWORD, Some(CALLBACK)).await;
//! let callback = page.location().unwrap(); // …/callback?code=…&state=…&iss=…
//! ```
//!
//! The provider's packages come from the committed `package-lock.json`
//! (`npm ci`, once per test run and only when `node_modules` is missing or
//! older than the lockfile). Without `node` the tests skip, unless
//! `TESSERA_REQUIRE_NODE=1` (set by `.ci/run`) makes that a failure.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime};

use axum::body::Bytes;
use axum::http::{Method, Request, header};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};

/// Every test account's password at the provider.
pub const PROVIDER_PASSWORD: &str = "provider-test-password";

/// How long the provider may take to say `READY` (npm ci not included).
const READY_TIMEOUT: Duration = Duration::from_secs(30);

/// How long any one request of the test client may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// A user the provider knows; they sign in with [`PROVIDER_PASSWORD`].
#[derive(Debug, Clone, Copy)]
pub struct TestAccount {
    pub username: &'static str,
    /// The stable subject the provider gives them (not their username, so a
    /// test can tell the two apart).
    pub sub: &'static str,
    pub email: &'static str,
    pub email_verified: bool,
    pub name: &'static str,
}

/// The provider's accounts: two with verified e-mail, one without.
pub const ACCOUNTS: &[TestAccount] = &[
    TestAccount {
        username: "ada",
        sub: "248289761001",
        email: "ada@example.com",
        email_verified: true,
        name: "Ada Lovelace",
    },
    TestAccount {
        username: "grace",
        sub: "248289761002",
        email: "grace@example.com",
        email_verified: true,
        name: "Grace Hopper",
    },
    TestAccount {
        username: "mallory",
        sub: "248289761003",
        email: "mallory@example.com",
        email_verified: false,
        name: "Mallory Unverified",
    },
];

/// The account called `username`.
#[track_caller]
pub fn account(username: &str) -> &'static TestAccount {
    ACCOUNTS
        .iter()
        .find(|account| account.username == username)
        .unwrap_or_else(|| panic!("no provider account {username:?}"))
}

/// A relying party registered at the provider.
#[derive(Debug, Clone)]
pub struct OidcClient {
    pub client_id: String,
    pub client_secret: String,
    pub redirect_uris: Vec<String>,
    /// The id_token algorithm the provider signs this client's tokens with.
    pub id_token_alg: String,
    /// How it authenticates at the token endpoint (`client_secret_basic`,
    /// `client_secret_post`).
    pub auth_method: String,
}

impl OidcClient {
    /// A client with ES256 id_tokens and HTTP Basic authentication.
    pub fn new(client_id: &str, client_secret: &str, redirect_uri: &str) -> OidcClient {
        OidcClient {
            client_id: client_id.to_owned(),
            client_secret: client_secret.to_owned(),
            redirect_uris: vec![redirect_uri.to_owned()],
            id_token_alg: "ES256".to_owned(),
            auth_method: "client_secret_basic".to_owned(),
        }
    }

    pub fn id_token_alg(mut self, alg: &str) -> OidcClient {
        self.id_token_alg = alg.to_owned();
        self
    }

    pub fn auth_method(mut self, method: &str) -> OidcClient {
        self.auth_method = method.to_owned();
        self
    }

    fn metadata(&self) -> Value {
        json!({
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "redirect_uris": self.redirect_uris,
            "id_token_signed_response_alg": self.id_token_alg,
            "token_endpoint_auth_method": self.auth_method,
        })
    }
}

/// How to start the provider.
#[derive(Debug, Clone)]
pub struct ProviderOptions {
    clients: Vec<OidcClient>,
    algs: Vec<String>,
    consent_page: bool,
}

impl Default for ProviderOptions {
    fn default() -> Self {
        ProviderOptions::new()
    }
}

impl ProviderOptions {
    /// No clients; ES256 and RS256 keys; consent granted without a page.
    pub fn new() -> ProviderOptions {
        ProviderOptions {
            clients: Vec::new(),
            algs: vec!["ES256".to_owned(), "RS256".to_owned()],
            consent_page: false,
        }
    }

    pub fn client(mut self, client: OidcClient) -> ProviderOptions {
        self.clients.push(client);
        self
    }

    /// The id_token algorithms the provider holds a key for and advertises
    /// (`ES256`, `ES384`, `RS256`, `PS256`, `EdDSA`, …).
    pub fn algs(mut self, algs: &[&str]) -> ProviderOptions {
        self.algs = algs.iter().map(|alg| (*alg).to_owned()).collect();
        self
    }

    /// Shows a consent page (Allow / Deny forms) after the login.
    pub fn consent_page(mut self) -> ProviderOptions {
        self.consent_page = true;
        self
    }

    fn config(&self) -> Value {
        json!({
            "port": 0,
            "algs": self.algs,
            "password": PROVIDER_PASSWORD,
            "accounts": ACCOUNTS.iter().map(|account| json!({
                "username": account.username,
                "sub": account.sub,
                "email": account.email,
                "email_verified": account.email_verified,
                "name": account.name,
            })).collect::<Vec<_>>(),
            "clients": self.clients.iter().map(OidcClient::metadata).collect::<Vec<_>>(),
            "consent_page": self.consent_page,
        })
    }
}

/// A running provider; killed when dropped (and it exits by itself when
/// this process dies: it watches its stdin).
pub struct OidcProvider {
    child: Child,
    // Held open: the provider exits when it closes.
    _stdin: ChildStdin,
    issuer: String,
    log: Arc<Mutex<String>>,
}

impl OidcProvider {
    /// Starts a provider on a free 127.0.0.1 port and waits until it
    /// serves. `None` when `node`/`npm` are missing and
    /// `TESSERA_REQUIRE_NODE=1` is not set; panics when they are missing and
    /// it is, or when the provider fails to start.
    pub async fn start(options: ProviderOptions) -> Option<OidcProvider> {
        if !node_available() {
            assert!(
                !node_required(),
                "TESSERA_REQUIRE_NODE=1 but `node` and `npm` are not both on PATH: \
                 install Node.js (18 or later) to run the OpenID provider tests"
            );
            eprintln!("skipping: `node`/`npm` not found (the OpenID provider tests need Node.js)");
            return None;
        }
        tokio::task::spawn_blocking(install_packages)
            .await
            .unwrap()
            .as_ref()
            .unwrap_or_else(|err| panic!("{err}"));

        let mut child = Command::new("node")
            .arg("provider.mjs")
            .current_dir(fixture_dir())
            .env("OIDC_FIXTURE_CONFIG", options.config().to_string())
            .env("NODE_ENV", "test")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("node starts");
        let stdin = child.stdin.take().unwrap();
        let log = Arc::new(Mutex::new(String::new()));
        let stderr = child.stderr.take().unwrap();
        let stderr_log = Arc::clone(&log);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let mut log = stderr_log.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        let (ready, issuer) = tokio::sync::oneshot::channel();
        let stdout = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            let mut ready = Some(ready);
            // Read to the end so the provider never blocks on a full pipe.
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(issuer) = line.strip_prefix("READY ")
                    && let Some(ready) = ready.take()
                {
                    let _ = ready.send(issuer.trim().to_owned());
                }
            }
        });
        let issuer = match tokio::time::timeout(READY_TIMEOUT, issuer).await {
            Ok(Ok(issuer)) => issuer,
            outcome => {
                let _ = child.kill();
                let status = child.wait().ok();
                // Give the stderr reader a moment to take the last lines.
                tokio::time::sleep(Duration::from_millis(100)).await;
                panic!(
                    "the OpenID provider did not start ({}; exit: {status:?}); its stderr:\n{}",
                    if outcome.is_err() {
                        "timed out"
                    } else {
                        "no READY line"
                    },
                    log.lock().unwrap()
                );
            }
        };
        Some(OidcProvider {
            child,
            _stdin: stdin,
            issuer,
            log,
        })
    }

    /// `http://127.0.0.1:PORT`, exactly as the provider writes it in `iss`.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// An absolute URL at the provider.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.issuer)
    }

    /// What the provider wrote on stderr so far (warnings, stack traces).
    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// Its discovery document (`/.well-known/openid-configuration`).
    pub async fn discovery(&self) -> Value {
        let page = fetch(
            Method::GET,
            &self.url("/.well-known/openid-configuration"),
            &[],
            Vec::new(),
        )
        .await;
        page.expect_json(200)
    }

    /// Its current JWKS.
    pub async fn jwks(&self) -> Value {
        let uri = self.discovery().await["jwks_uri"]
            .as_str()
            .unwrap()
            .to_owned();
        fetch(Method::GET, &uri, &[], Vec::new())
            .await
            .expect_json(200)
    }

    /// New signing keys (new `kid`s) for every algorithm; the provider signs
    /// with them from now on. The old keys leave the JWKS unless `keep_old`.
    /// Returns the new kid per algorithm (`"ES256" → kid`).
    pub async fn rotate_key(&self, keep_old: bool) -> BTreeMap<String, String> {
        let query = if keep_old { "?keep_old=1" } else { "" };
        let body = fetch(
            Method::POST,
            &self.url(&format!("/_test/rotate{query}")),
            &[],
            Vec::new(),
        )
        .await
        .expect_json(200);
        serde_json::from_value(body["kids"].clone()).unwrap()
    }

    /// Makes the provider misbehave (replacing any earlier misbehaviour;
    /// `json!({})` ends it). The keys, all optional:
    /// - `"responses": {"/token": {"status": 500, "body": "text or JSON",
    ///   "content_type": "…"}}`: answer these paths so, without running them
    ///   (`/token`, `/me` (userinfo), `/jwks`, `/.well-known/openid-configuration`, `/auth`);
    /// - `"delays": {"/token": 3000}`: wait so many milliseconds first;
    /// - `"userinfo_claims": {"sub": "someone-else"}`: merged into userinfo;
    /// - `"id_token_claims": {"nonce": "x", "aud": "y", "exp": 1, "email": null}`:
    ///   merged into issued id_tokens (`null` removes a claim);
    /// - `"id_token_header": {"alg": "none" | "HS256" | "RS256", "kid": "…"}`:
    ///   merged into their header;
    /// - `"id_token_foreign_key": true`: signed with a key not in the JWKS
    ///   (under the published `kid`).
    ///
    /// Any `id_token_*` entry re-signs the token: `none` leaves it unsigned,
    /// `HS*` signs with the client's secret, others with the provider's
    /// current key for that algorithm (and its `kid`, unless given).
    pub async fn misbehave(&self, behaviour: Value) {
        fetch(
            Method::PUT,
            &self.url("/_test/behaviour"),
            &[("content-type", "application/json")],
            behaviour.to_string().into_bytes(),
        )
        .await
        .expect_json(200);
    }
}

impl Drop for OidcProvider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oidc-provider")
}

fn node_required() -> bool {
    std::env::var("TESSERA_REQUIRE_NODE").is_ok_and(|value| value.trim() == "1")
}

fn node_available() -> bool {
    ["node", "npm"].iter().all(|tool| {
        Command::new(tool)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    })
}

/// Runs `npm ci` when `node_modules` was not installed from the current
/// lockfile; once per test process (the result is shared by every test),
/// and under a lock directory so two test processes do not install at once.
fn install_packages() -> &'static Result<(), String> {
    static INSTALLED: OnceLock<Result<(), String>> = OnceLock::new();
    INSTALLED.get_or_init(|| npm_ci(&fixture_dir()))
}

/// `npm ci` in `dir` unless its `node_modules` was installed from the
/// current lockfile (a stamp says which), under a lock directory so two
/// test processes do not install at once. Shared by the Node fixtures.
pub fn npm_ci(dir: &Path) -> Result<(), String> {
    let lockfile = std::fs::read(dir.join("package-lock.json")).map_err(|err| {
        format!(
            "cannot read {}: {err}",
            dir.join("package-lock.json").display()
        )
    })?;
    // A stamp written after a successful `npm ci`: the lockfile it installed.
    let stamp = dir.join("node_modules/.tessera-installed-lock");
    let current = || std::fs::read(&stamp).is_ok_and(|installed| installed == lockfile);
    if current() {
        return Ok(());
    }
    let _guard = InstallLock::acquire(&dir.join(".npm-ci.lock"))?;
    if current() {
        return Ok(());
    }
    let output = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .map_err(|err| format!("cannot run npm ci: {err}"))?;
    if !output.status.success() {
        return Err(format!(
            "npm ci in {} failed ({}):\n{}{}",
            dir.display(),
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    std::fs::write(&stamp, &lockfile).map_err(|err| format!("cannot write the stamp: {err}"))
}

/// A lock held as a directory (creating one is atomic); one left behind by
/// a killed run is taken over after a few minutes.
struct InstallLock(PathBuf);

impl InstallLock {
    fn acquire(path: &Path) -> Result<InstallLock, String> {
        let deadline = Instant::now() + Duration::from_secs(300);
        loop {
            match std::fs::create_dir(path) {
                Ok(()) => return Ok(InstallLock(path.to_owned())),
                Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {
                    let age = std::fs::metadata(path)
                        .and_then(|meta| meta.modified())
                        .ok()
                        .and_then(|modified| SystemTime::now().duration_since(modified).ok());
                    if age.is_some_and(|age| age > Duration::from_secs(300)) {
                        let _ = std::fs::remove_dir(path);
                    } else if Instant::now() > deadline {
                        return Err(format!("timed out waiting for {}", path.display()));
                    } else {
                        std::thread::sleep(Duration::from_millis(200));
                    }
                }
                Err(err) => return Err(format!("cannot create {}: {err}", path.display())),
            }
        }
    }
}

impl Drop for InstallLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir(&self.0);
    }
}

// ------------------------------------------------------------------ HTTP

/// An HTTP answer, with the URL it came from.
#[derive(Debug, Clone)]
pub struct Page {
    pub url: String,
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Page {
    /// The first value of header `name`.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.header_values(name).into_iter().next()
    }

    /// Every value of header `name` (e.g. all `set-cookie` lines).
    pub fn header_values(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
            .collect()
    }

    pub fn is_redirect(&self) -> bool {
        (300..400).contains(&self.status) && self.header("location").is_some()
    }

    /// Where a redirect points, made absolute.
    pub fn location(&self) -> Option<String> {
        self.header("location")
            .map(|location| resolve(&self.url, location))
    }

    /// The body as JSON, after checking the status.
    #[track_caller]
    pub fn expect_json(&self, status: u16) -> Value {
        assert_eq!(self.status, status, "{self:#?}");
        serde_json::from_str(&self.body).unwrap_or_else(|err| panic!("{err}: {self:#?}"))
    }

    /// The page's HTML forms.
    pub fn forms(&self) -> Vec<Form> {
        parse_forms(&self.url, &self.body)
    }

    /// The form called `name` (`login`, `consent`, `abort` at the provider).
    pub fn form(&self, name: &str) -> Option<Form> {
        self.forms().into_iter().find(|form| form.name == name)
    }
}

/// An HTML form: where it goes and what it sends as it stands.
#[derive(Debug, Clone)]
pub struct Form {
    pub name: String,
    /// Absolute.
    pub action: String,
    pub method: String,
    pub fields: Vec<(String, String)>,
}

/// One request on a fresh connection, no cookies, no redirects followed.
/// Plain HTTP only: the fixture lives on loopback.
pub async fn fetch(method: Method, url: &str, headers: &[(&str, &str)], body: Vec<u8>) -> Page {
    let (authority, path) = split_url(url);
    let exchange = async {
        let stream = tokio::net::TcpStream::connect(authority.as_str())
            .await
            .unwrap_or_else(|err| panic!("cannot connect to {url}: {err}"));
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .unwrap();
        tokio::spawn(connection);
        let mut request = Request::builder()
            .method(method.clone())
            .uri(path)
            .header(header::HOST, authority.as_str());
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = sender
            .send_request(request.body(Full::new(Bytes::from(body))).unwrap())
            .await
            .unwrap_or_else(|err| panic!("{method} {url}: {err}"));
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_owned(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        Page {
            url: url.to_owned(),
            status,
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        }
    };
    tokio::time::timeout(REQUEST_TIMEOUT, exchange)
        .await
        .unwrap_or_else(|_| panic!("{method} {url} took over {REQUEST_TIMEOUT:?}"))
}

/// `http://host:port/path?query` → (`host:port`, `/path?query`).
#[track_caller]
fn split_url(url: &str) -> (String, String) {
    let rest = url
        .strip_prefix("http://")
        .unwrap_or_else(|| panic!("the test client speaks plain http only: {url}"));
    let (authority, path) = rest.find('/').map_or((rest, "/"), |at| rest.split_at(at));
    let authority = if authority.contains(':') {
        authority.to_owned()
    } else {
        format!("{authority}:80")
    };
    (authority, path.to_owned())
}

/// `target` (absolute, or absolute-path) against `base`.
fn resolve(base: &str, target: &str) -> String {
    if target.contains("://") {
        return target.to_owned();
    }
    let scheme_end = base.find("://").map_or(0, |at| at + 3);
    let origin_end = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |at| scheme_end + at);
    if target.starts_with('/') {
        format!("{}{target}", &base[..origin_end])
    } else {
        let path = &base[origin_end..];
        let path = path.split(['?', '#']).next().unwrap_or("");
        let directory = path.rfind('/').map_or("/", |at| &path[..=at]);
        format!("{}{directory}{target}", &base[..origin_end])
    }
}

/// The decoded value of query parameter `name` in `url`.
pub fn query_param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    let query = query.split('#').next().unwrap_or(query);
    form_urlencoded::parse(query.as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// `application/x-www-form-urlencoded` text of `fields`.
pub fn form_body(fields: &[(&str, &str)]) -> Vec<u8> {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish()
        .into_bytes()
}

// ------------------------------------------------------------------ HTML

fn html_unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let Some(end) = rest.find(';') else { break };
        let entity = &rest[1..end];
        let decoded = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => entity
                .strip_prefix("#x")
                .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|dec| dec.parse().ok()))
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The attributes of the tag starting at `tag` (`<input a="b" …>`).
fn attributes(tag: &str) -> BTreeMap<String, String> {
    let end = tag.find('>').unwrap_or(tag.len());
    let mut rest = &tag[..end];
    // Skip the tag name.
    rest = rest.trim_start_matches('<');
    rest = rest.trim_start_matches(|c: char| c.is_ascii_alphanumeric());
    let mut found = BTreeMap::new();
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == '/');
        let name_end = rest
            .find(|c: char| c == '=' || c.is_whitespace() || c == '/')
            .unwrap_or(rest.len());
        if name_end == 0 {
            break;
        }
        let name = rest[..name_end].to_ascii_lowercase();
        rest = rest[name_end..].trim_start();
        let value = if let Some(after) = rest.strip_prefix('=') {
            let after = after.trim_start();
            let (value, remaining) = match after.chars().next() {
                Some(quote @ ('"' | '\'')) => {
                    let inner = &after[1..];
                    let close = inner.find(quote).unwrap_or(inner.len());
                    (&inner[..close], inner.get(close + 1..).unwrap_or(""))
                }
                _ => {
                    let close = after.find(char::is_whitespace).unwrap_or(after.len());
                    after.split_at(close)
                }
            };
            rest = remaining;
            html_unescape(value)
        } else {
            String::new()
        };
        found.insert(name, value);
    }
    found
}

/// The forms of `html`, actions resolved against `url`. Enough HTML for the
/// provider's pages (and most login pages): `<form>` and its `<input>`s.
fn parse_forms(url: &str, html: &str) -> Vec<Form> {
    let lower = html.to_ascii_lowercase();
    let mut forms = Vec::new();
    let mut from = 0;
    while let Some(start) = lower[from..].find("<form").map(|at| from + at) {
        let end = lower[start..]
            .find("</form")
            .map_or(html.len(), |at| start + at);
        let form = attributes(&html[start..]);
        let mut fields = Vec::new();
        let mut cursor = start + 1;
        while let Some(input) = lower[cursor..end].find("<input").map(|at| cursor + at) {
            let input_attributes = attributes(&html[input..end]);
            let kind = input_attributes.get("type").map(String::as_str);
            if let Some(name) = input_attributes.get("name")
                && !matches!(kind, Some("submit" | "button" | "image" | "reset"))
            {
                fields.push((
                    name.clone(),
                    input_attributes.get("value").cloned().unwrap_or_default(),
                ));
            }
            cursor = input + 1;
        }
        forms.push(Form {
            name: form.get("name").cloned().unwrap_or_default(),
            action: resolve(url, form.get("action").map_or(url, String::as_str)),
            method: form
                .get("method")
                .map_or("get".to_owned(), |method| method.to_ascii_lowercase()),
            fields,
        });
        from = end;
    }
    forms
}

// ------------------------------------------------------------------ browser

/// A cookie as a browser keeps it: per host (any port, as browsers do) and
/// path.
#[derive(Debug, Clone)]
struct StoredCookie {
    host: String,
    path: String,
    name: String,
    value: String,
}

/// What the user does on the provider's consent page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Consent {
    Allow,
    Deny,
}

/// A browser for tests: a cookie jar shared across hosts and ports, that
/// follows redirects and fills in the provider's login and consent forms.
#[derive(Debug, Default)]
pub struct Browser {
    cookies: Vec<StoredCookie>,
}

/// The most redirects and form posts one navigation may take.
const MAX_STEPS: usize = 20;

impl Browser {
    pub fn new() -> Browser {
        Browser::default()
    }

    /// GET `url` with the jar's cookies; keeps the answer's cookies; does not
    /// follow a redirect.
    pub async fn get(&mut self, url: &str) -> Page {
        self.send(Method::GET, url, Vec::new()).await
    }

    /// POSTs `fields` as a form to `url`, with the jar's cookies.
    pub async fn post_form(&mut self, url: &str, fields: &[(&str, &str)]) -> Page {
        self.send(Method::POST, url, form_body(fields)).await
    }

    /// Submits `form` with its fields, `values` replacing or adding some.
    pub async fn submit(&mut self, form: &Form, values: &[(&str, &str)]) -> Page {
        let mut fields: Vec<(String, String)> = form.fields.clone();
        for (name, value) in values {
            match fields.iter_mut().find(|(key, _)| key == name) {
                Some(field) => field.1 = (*value).to_owned(),
                None => fields.push(((*name).to_owned(), (*value).to_owned())),
            }
        }
        let pairs: Vec<(&str, &str)> = fields
            .iter()
            .map(|(key, value)| (key.as_str(), value.as_str()))
            .collect();
        if form.method == "post" {
            self.post_form(&form.action, &pairs).await
        } else {
            let separator = if form.action.contains('?') { '&' } else { '?' };
            let query = String::from_utf8(form_body(&pairs)).unwrap();
            self.get(&format!("{}{separator}{query}", form.action))
                .await
        }
    }

    /// Follows `page`'s redirects (as GETs) until a page that is not one,
    /// or a redirect to a URL starting with `stop_at`, which is returned
    /// unfollowed (its `location()` is where it points).
    pub async fn follow(&mut self, mut page: Page, stop_at: Option<&str>) -> Page {
        for _ in 0..MAX_STEPS {
            let Some(next) = page.location().filter(|_| page.is_redirect()) else {
                return page;
            };
            if stop_at.is_some_and(|prefix| next.starts_with(prefix)) {
                return page;
            }
            page = self.get(&next).await;
        }
        panic!("more than {MAX_STEPS} redirects, last: {page:#?}");
    }

    /// Opens `url` and follows its redirects (see [`Browser::follow`]).
    pub async fn visit(&mut self, url: &str, stop_at: Option<&str>) -> Page {
        let page = self.get(url).await;
        self.follow(page, stop_at).await
    }

    /// Opens an authorization URL and goes through the provider as a user
    /// would: signs in as `username` with `password` when asked, allows the
    /// consent page if shown, and follows the redirects. Returns the redirect
    /// to `stop_at` (unfollowed), or the last page: the client's own when
    /// `stop_at` is `None`, or the login page again (with an error) when the
    /// credentials were refused.
    pub async fn sign_in(
        &mut self,
        url: &str,
        username: &str,
        password: &str,
        stop_at: Option<&str>,
    ) -> Page {
        self.authorize(url, username, password, Consent::Allow, stop_at)
            .await
    }

    /// As [`Browser::sign_in`], but presses Deny on the consent page (the
    /// provider must show one: [`ProviderOptions::consent_page`]); the
    /// provider answers the client with `error=access_denied`.
    pub async fn sign_in_and_deny(
        &mut self,
        url: &str,
        username: &str,
        password: &str,
        stop_at: Option<&str>,
    ) -> Page {
        self.authorize(url, username, password, Consent::Deny, stop_at)
            .await
    }

    /// Opens an authorization URL and presses Cancel on the login page; the
    /// provider answers the client with `error=access_denied`.
    pub async fn cancel_login(&mut self, url: &str, stop_at: Option<&str>) -> Page {
        let page = self.visit(url, stop_at).await;
        let cancel = page
            .form("abort")
            .unwrap_or_else(|| panic!("no Cancel form on {page:#?}"));
        let page = self.submit(&cancel, &[]).await;
        self.follow(page, stop_at).await
    }

    async fn authorize(
        &mut self,
        url: &str,
        username: &str,
        password: &str,
        consent: Consent,
        stop_at: Option<&str>,
    ) -> Page {
        let mut page = self.visit(url, stop_at).await;
        let mut signed_in = false;
        for _ in 0..MAX_STEPS {
            if page.is_redirect() {
                return page;
            }
            let forms = page.forms();
            let named = |name: &str| forms.iter().find(|form| form.name == name);
            page = if let Some(login) = named("login") {
                if signed_in {
                    return page; // refused: the login page again
                }
                signed_in = true;
                self.submit(login, &[("login", username), ("password", password)])
                    .await
            } else if let Some(allow) = named("consent").filter(|_| consent == Consent::Allow) {
                self.submit(allow, &[]).await
            } else if let Some(deny) = named("abort").filter(|_| consent == Consent::Deny) {
                self.submit(deny, &[]).await
            } else {
                return page;
            };
            page = self.follow(page, stop_at).await;
        }
        panic!("no end to the provider's pages, last: {page:#?}");
    }

    /// The `Cookie` header the jar sends to `url`.
    pub fn cookie_header(&self, url: &str) -> Option<String> {
        let (authority, path) = split_url(url);
        let host = host_of(&authority);
        let path = path.split('?').next().unwrap_or("/");
        let pairs: Vec<String> = self
            .cookies
            .iter()
            .filter(|cookie| cookie.host == host && path_matches(&cookie.path, path))
            .map(|cookie| format!("{}={}", cookie.name, cookie.value))
            .collect();
        (!pairs.is_empty()).then(|| pairs.join("; "))
    }

    /// Keeps the `Set-Cookie` lines of an answer from `url` (e.g. one the
    /// test got from the in-process Tessera router).
    pub fn store_cookies<'a>(&mut self, url: &str, set_cookies: impl IntoIterator<Item = &'a str>) {
        let (authority, request_path) = split_url(url);
        let host = host_of(&authority).to_owned();
        for line in set_cookies {
            let mut parts = line.split(';');
            let Some((name, value)) = parts.next().and_then(|pair| pair.split_once('=')) else {
                continue;
            };
            let mut path = request_path
                .split('?')
                .next()
                .and_then(|path| path.rfind('/').map(|at| path[..at.max(1)].to_owned()))
                .unwrap_or_else(|| "/".to_owned());
            let mut expired = false;
            for attribute in parts {
                let (key, val) = attribute.split_once('=').unwrap_or((attribute, ""));
                match key.trim().to_ascii_lowercase().as_str() {
                    "path" if val.trim().starts_with('/') => path = val.trim().to_owned(),
                    "max-age" => expired |= val.trim().parse::<i64>().is_ok_and(|age| age <= 0),
                    // Deletions are dated 1970; no test cookie lives that long.
                    "expires" => expired |= val.contains("1970"),
                    _ => {}
                }
            }
            let (name, value) = (name.trim().to_owned(), value.trim().to_owned());
            self.cookies.retain(|cookie| {
                !(cookie.host == host && cookie.path == path && cookie.name == name)
            });
            if !expired {
                self.cookies.push(StoredCookie {
                    host: host.clone(),
                    path,
                    name,
                    value,
                });
            }
        }
    }

    async fn send(&mut self, method: Method, url: &str, body: Vec<u8>) -> Page {
        let cookie = self.cookie_header(url);
        let mut headers = Vec::new();
        if let Some(cookie) = &cookie {
            headers.push(("cookie", cookie.as_str()));
        }
        if method == Method::POST {
            headers.push(("content-type", "application/x-www-form-urlencoded"));
        }
        let page = fetch(method, url, &headers, body).await;
        let set_cookies: Vec<String> = page
            .header_values("set-cookie")
            .into_iter()
            .map(str::to_owned)
            .collect();
        self.store_cookies(url, set_cookies.iter().map(String::as_str));
        page
    }
}

fn host_of(authority: &str) -> &str {
    authority
        .rsplit_once(':')
        .map_or(authority, |(host, _)| host)
}

/// RFC 6265 §5.1.4 path-match.
fn path_matches(cookie_path: &str, request_path: &str) -> bool {
    request_path == cookie_path
        || (request_path.starts_with(cookie_path)
            && (cookie_path.ends_with('/') || request_path[cookie_path.len()..].starts_with('/')))
}

// ------------------------------------------------------------------ OAuth bits

/// A PKCE pair (RFC 7636, S256).
#[derive(Debug, Clone)]
pub struct Pkce {
    pub verifier: String,
    pub challenge: String,
}

impl Pkce {
    pub fn new() -> Pkce {
        let verifier = format!(
            "{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, verifier.as_bytes());
        Pkce {
            challenge: tessera::b64::encode(digest.as_ref()),
            verifier,
        }
    }
}

/// The header and claims of a compact JWS, unverified.
#[track_caller]
pub fn jws_parts(token: &str) -> (Value, Value) {
    let mut parts = token.split('.');
    let mut decode = || -> Value {
        let part = parts.next().unwrap_or_else(|| panic!("not a JWS: {token}"));
        serde_json::from_slice(&tessera::b64::decode(part).unwrap()).unwrap()
    };
    (decode(), decode())
}

/// An id_token for `client` from `provider`, as a native SDK gets one:
/// `user` signs in through the code flow (PKCE, scope `openid email
/// profile`, `nonce` when given) and the code is exchanged with the
/// client's secret (HTTP Basic).
pub async fn sdk_id_token(
    provider: &OidcProvider,
    browser: &mut Browser,
    client: &OidcClient,
    user: &str,
    nonce: Option<&str>,
) -> String {
    let discovery = provider.discovery().await;
    let pkce = Pkce::new();
    let redirect_uri = client.redirect_uris[0].as_str();
    let mut fields = vec![
        ("response_type", "code"),
        ("client_id", client.client_id.as_str()),
        ("redirect_uri", redirect_uri),
        ("scope", "openid email profile"),
        ("state", "sdk-state"),
        ("code_challenge", pkce.challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    if let Some(nonce) = nonce {
        fields.push(("nonce", nonce));
    }
    let url = format!(
        "{}?{}",
        discovery["authorization_endpoint"].as_str().unwrap(),
        String::from_utf8(form_body(&fields)).unwrap()
    );
    let page = browser
        .sign_in(&url, user, PROVIDER_PASSWORD, Some(redirect_uri))
        .await;
    let location = page.location().unwrap_or_else(|| panic!("{page:#?}"));
    let code = query_param(&location, "code").unwrap_or_else(|| panic!("{location}"));
    let basic = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        format!("{}:{}", client.client_id, client.client_secret),
    );
    let answer = fetch(
        Method::POST,
        discovery["token_endpoint"].as_str().unwrap(),
        &[
            ("authorization", &format!("Basic {basic}")),
            ("content-type", "application/x-www-form-urlencoded"),
        ],
        form_body(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", redirect_uri),
            ("code_verifier", &pkce.verifier),
        ]),
    )
    .await
    .expect_json(200);
    answer["id_token"].as_str().unwrap().to_owned()
}
