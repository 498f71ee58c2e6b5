//! The harness for many-instance tests: real `tessera serve` processes on
//! one database, and a small HTTP client that reports connection failures
//! instead of panicking (an instance may be killed mid-request).
//!
//! ```ignore
//! let db = ClusterDb::postgres().await?;            // a fresh database
//! let a = Instance::start(&db, &[]);                 // `tessera serve` on a free port
//! let reply = a.post("/auth/register", json!({…})).await.unwrap();
//! db.usernames().await;                              // what the store holds
//! db.drop().await;
//! ```
//!
//! Every instance signs with [`SECRET`] (written into its own `.env`), names
//! [`PUBLIC_URL`] as its issuer (the cluster's one address), binds
//! 127.0.0.1 port 0 and is found by its "listening on" log line; the
//! per-IP limit is lifted, since every request of a test comes from
//! 127.0.0.1. Instances are killed when dropped.

use std::future::Future;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{Method, Request, header};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use sqlx::{Connection, Executor, Row};

use crate::http_support::{PUBLIC_URL, SECRET};

/// How long one request may take (argon2 at full cost, a loaded machine).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// How long an instance may take to say it is listening.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// The database every instance of a test shares.
pub enum ClusterDb {
    /// A fresh PostgreSQL database (`admin_url` reaches the server's
    /// default one, to drop it afterwards).
    Postgres {
        url: String,
        admin_url: String,
        name: String,
    },
    /// An SQLite file in a temporary directory.
    Sqlite { dir: tempfile::TempDir },
}

impl ClusterDb {
    /// A fresh database on the test PostgreSQL server; `None` (skip) when
    /// none is configured, a failure when `TESSERA_REQUIRE_POSTGRES=1`.
    pub async fn postgres() -> Option<ClusterDb> {
        let admin_url = crate::store_support::postgres_url()?;
        let name = format!("tessera_cluster_{}", uuid::Uuid::new_v4().simple());
        sqlx::any::install_default_drivers();
        let mut conn = sqlx::AnyConnection::connect(&admin_url)
            .await
            .unwrap_or_else(|err| panic!("cannot reach PostgreSQL at {admin_url}: {err}"));
        conn.execute(format!("CREATE DATABASE \"{name}\"").as_str())
            .await
            .unwrap();
        conn.close().await.unwrap();
        let base = admin_url.split('?').next().unwrap();
        let (server, _) = base.rsplit_once('/').unwrap();
        Some(ClusterDb::Postgres {
            url: format!("{server}/{name}"),
            admin_url,
            name,
        })
    }

    /// An SQLite file no instance has opened yet.
    pub fn sqlite() -> ClusterDb {
        ClusterDb::Sqlite {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// The `DATABASE_URL` of every instance.
    pub fn url(&self) -> String {
        match self {
            ClusterDb::Postgres { url, .. } => url.clone(),
            ClusterDb::Sqlite { dir } => {
                format!("sqlite://{}", dir.path().join("tessera.db").display())
            }
        }
    }

    async fn connect(&self) -> sqlx::AnyConnection {
        sqlx::any::install_default_drivers();
        let url = match self {
            ClusterDb::Postgres { url, .. } => url.clone(),
            ClusterDb::Sqlite { dir } => {
                format!("sqlite://{}", dir.path().join("tessera.db").display())
            }
        };
        sqlx::AnyConnection::connect(&url).await.unwrap()
    }

    /// `tessera user add NAME --role ROLE… --password-stdin` on this
    /// database, with [`crate::http_support::PASSWORD`].
    pub fn add_user(&self, name: &str, roles: &[&str]) {
        let mut args = vec!["user", "add", name, "--password-stdin"];
        for role in roles {
            args.extend(["--role", role]);
        }
        let project = crate::support::Project::new();
        project
            .tessera(args)
            .env("DATABASE_URL", self.url())
            .stdin(format!("{}\n", crate::http_support::PASSWORD))
            .run()
            .success();
    }

    /// Every stored user as (id, username).
    pub async fn users(&self) -> Vec<(String, String)> {
        let mut conn = self.connect().await;
        let rows = sqlx::query("SELECT id, username FROM users")
            .fetch_all(&mut conn)
            .await
            .unwrap();
        conn.close().await.unwrap();
        rows.iter()
            .map(|row| (row.get::<String, _>(0), row.get::<String, _>(1)))
            .collect()
    }

    /// A session's (refresh_jti, previous_jti, revoked) as stored.
    pub async fn session(&self, sid: &str) -> (String, Option<String>, bool) {
        let mut conn = self.connect().await;
        let row = sqlx::query(
            "SELECT refresh_jti, previous_jti, revoked_at IS NOT NULL AS revoked \
             FROM sessions WHERE id = $1",
        )
        .bind(sid)
        .fetch_one(&mut conn)
        .await
        .unwrap();
        conn.close().await.unwrap();
        let revoked = row
            .try_get::<bool, _>(2)
            .or_else(|_| row.try_get::<i64, _>(2).map(|value| value != 0))
            .unwrap();
        (row.get(0), row.get(1), revoked)
    }

    /// Removes the database (PostgreSQL; the SQLite directory goes with
    /// `self`). Call after every instance is gone.
    pub async fn drop(self) {
        if let ClusterDb::Postgres {
            admin_url, name, ..
        } = &self
            && let Ok(mut conn) = sqlx::AnyConnection::connect(admin_url).await
        {
            let _ = conn
                .execute(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)").as_str())
                .await;
            let _ = conn.close().await;
        }
    }
}

/// A `tessera serve` process.
pub struct Instance {
    /// Where it listens (`127.0.0.1:PORT`).
    pub addr: String,
    child: Child,
    log: Arc<Mutex<String>>,
    _dir: tempfile::TempDir,
}

impl Instance {
    /// Starts `tessera serve` on `db` with `extra` variables on top of the
    /// defaults, and waits until it listens.
    pub fn start(db: &ClusterDb, extra: &[(String, String)]) -> Instance {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(".env"),
            format!("# test fixture\nJWT_SECRET_KEY={SECRET}\n"),
        )
        .unwrap();
        let mut command = Command::new(env!("CARGO_BIN_EXE_tessera"));
        command.arg("serve").current_dir(dir.path());
        for (name, _) in std::env::vars_os() {
            let text = name.to_string_lossy();
            if text.starts_with("JWT_") || text.starts_with("TESSERA_") || text == "DATABASE_URL" {
                command.env_remove(name);
            }
        }
        command
            .env("DATABASE_URL", db.url())
            .env("JWT_SECRET_KEY", SECRET)
            .env("TESSERA_BIND", "127.0.0.1:0")
            // One issuer for the whole cluster: the URL its clients use.
            .env("TESSERA_PUBLIC_URL", PUBLIC_URL)
            .env("TESSERA_LOG", "info")
            .env("TESSERA_IP_MAX_ATTEMPTS", "1000000");
        for (name, value) in extra {
            command.env(name, value);
        }
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let log = Arc::new(Mutex::new(String::new()));
        let (found, listening) = std::sync::mpsc::channel();
        let sink = log.clone();
        std::thread::spawn(move || {
            let mut found = Some(found);
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if let Some(rest) = line.split("listening on http://").nth(1)
                    && let Some(found) = found.take()
                {
                    let _ = found.send(rest.split_whitespace().next().unwrap().to_owned());
                }
                let mut log = sink.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        let Ok(addr) = listening.recv_timeout(START_TIMEOUT) else {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "tessera serve did not start: {}",
                log.lock().unwrap().as_str()
            );
        };
        Instance {
            addr,
            child,
            log,
            _dir: dir,
        }
    }

    /// What the instance has logged so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// `kill -9`: no shutdown, no flush, nothing.
    pub fn kill_9(&mut self) {
        let status = Command::new("kill")
            .args(["-KILL", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        self.child.wait().unwrap();
    }

    /// `METHOD path` with headers and a JSON body.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Result<Answer, String> {
        call(&self.addr, method, path, headers, body).await
    }

    /// `POST path` with a JSON body; panics when the connection fails.
    pub async fn post(&self, path: &str, bearer: Option<&str>, body: Option<&Value>) -> Answer {
        let auth = bearer.map(|token| format!("Bearer {token}"));
        let headers: Vec<(&str, &str)> = auth
            .iter()
            .map(|value| ("authorization", value.as_str()))
            .collect();
        self.call(Method::POST, path, &headers, body)
            .await
            .unwrap_or_else(|err| panic!("POST {path} on {}: {err}", self.addr))
    }

    /// `GET path` with a bearer token; panics when the connection fails.
    pub async fn get(&self, path: &str, bearer: &str) -> Answer {
        let auth = format!("Bearer {bearer}");
        self.call(Method::GET, path, &[("authorization", &auth)], None)
            .await
            .unwrap_or_else(|err| panic!("GET {path} on {}: {err}", self.addr))
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A response, read whole.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Answer {
    /// The body as JSON (`null` when it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }

    /// The first value of header `name`.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// Asserts the status; the JSON body.
    #[track_caller]
    pub fn expect(&self, status: u16) -> Value {
        assert_eq!(self.status, status, "unexpected answer: {self:?}");
        self.json()
    }
}

/// One request to `addr` (`host:port`) on a fresh connection; an error
/// when the connection fails or breaks (never a panic).
pub async fn call(
    addr: &str,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&Value>,
) -> Result<Answer, String> {
    let exchange = async {
        let stream = tokio::net::TcpStream::connect(addr)
            .await
            .map_err(|err| format!("connect: {err}"))?;
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|err| format!("handshake: {err}"))?;
        tokio::spawn(connection);
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, addr);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let bytes = match body {
            Some(body) => {
                request = request.header(header::CONTENT_TYPE, "application/json");
                serde_json::to_vec(body).unwrap()
            }
            None => Vec::new(),
        };
        let response = sender
            .send_request(request.body(Full::new(Bytes::from(bytes))).unwrap())
            .await
            .map_err(|err| format!("request: {err}"))?;
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
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|err| format!("body: {err}"))?
            .to_bytes();
        Ok(Answer {
            status,
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        })
    };
    tokio::time::timeout(REQUEST_TIMEOUT, exchange)
        .await
        .map_err(|_| format!("no answer within {REQUEST_TIMEOUT:?}"))?
}

/// Polls `check` every 10 ms until it holds or `patience` passes; whether
/// it held.
pub async fn eventually<F, Fut>(patience: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + patience;
    loop {
        if check().await {
            return true;
        }
        if tokio::time::Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
