//! The Redis tests' harness: the machine's Redis (`TESSERA_TEST_REDIS_URL`,
//! a fresh key prefix per test so parallel tests never meet), and a
//! private `redis-server` on its own free port that a test may kill and
//! restart. `TESSERA_REQUIRE_REDIS=1` turns a missing or unreachable
//! machine Redis into failures instead of skips. [`PrivateTlsRedis`] is a
//! private server that speaks only TLS, with a throw-away CA made at test
//! time.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Long enough for any healthy machine; waits end as soon as they hold.
pub const PATIENCE: Duration = Duration::from_secs(15);

/// The private server's binary (Debian's `redis-server` package).
const REDIS_SERVER: &str = "/usr/bin/redis-server";

/// A key prefix no other test (or earlier run) uses.
pub fn unique_prefix() -> String {
    format!("tessera-it:{}:", uuid::Uuid::new_v4().simple())
}

/// Whether Redis at `url` answers a `PING` within two seconds.
pub async fn answers(url: &str) -> bool {
    let Ok(client) = redis::Client::open(url) else {
        return false;
    };
    let ping = async {
        let mut conn = client.get_multiplexed_async_connection().await?;
        redis::cmd("PING").query_async::<String>(&mut conn).await
    };
    matches!(
        tokio::time::timeout(Duration::from_secs(2), ping).await,
        Ok(Ok(_))
    )
}

/// The machine's Redis to test against; `None` means skip. Panics (fails
/// the test) when Redis is required but not configured or not answering.
pub async fn machine_redis_url() -> Option<String> {
    let url = std::env::var("TESSERA_TEST_REDIS_URL")
        .ok()
        .filter(|url| !url.trim().is_empty());
    let required = std::env::var("TESSERA_REQUIRE_REDIS").is_ok_and(|value| value.trim() == "1");
    match (url, required) {
        (Some(url), required) => {
            if answers(&url).await {
                Some(url)
            } else if required {
                panic!(
                    "TESSERA_REQUIRE_REDIS=1 but Redis at TESSERA_TEST_REDIS_URL does not answer"
                )
            } else {
                eprintln!("skipped: Redis at TESSERA_TEST_REDIS_URL does not answer");
                None
            }
        }
        (None, true) => panic!("TESSERA_REQUIRE_REDIS=1 but TESSERA_TEST_REDIS_URL is not set"),
        (None, false) => {
            eprintln!("skipped: set TESSERA_TEST_REDIS_URL to run the Redis tests");
            None
        }
    }
}

/// A `redis-server` of the test's own, nothing saved to disk, stopped
/// when dropped.
pub struct PrivateRedis {
    port: u16,
    child: Option<Child>,
}

impl PrivateRedis {
    /// Starts one on a free port and waits until it answers.
    pub async fn start() -> PrivateRedis {
        let port = {
            let probe = TcpListener::bind("127.0.0.1:0").unwrap();
            probe.local_addr().unwrap().port()
        };
        let mut redis = PrivateRedis { port, child: None };
        redis.restart().await;
        redis
    }

    /// `redis://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Kills the server at once (as a crash would) and waits for its end.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port (empty: nothing was
    /// saved) and waits until it answers.
    pub async fn restart(&mut self) {
        self.kill();
        let child = Command::new(REDIS_SERVER)
            .args(["--bind", "127.0.0.1", "--port"])
            .arg(self.port.to_string())
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|err| panic!("cannot start {REDIS_SERVER}: {err}"));
        self.child = Some(child);
        let deadline = tokio::time::Instant::now() + PATIENCE;
        while !answers(&self.url()).await {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the private redis-server on port {} did not answer",
                self.port
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// How many connections are subscribed to `channel` (`PUBSUB NUMSUB`).
    pub async fn subscribers(&self, channel: &str) -> i64 {
        let client = redis::Client::open(self.url()).unwrap();
        let mut conn = client.get_multiplexed_async_connection().await.unwrap();
        let (_, count): (String, i64) = redis::cmd("PUBSUB")
            .arg("NUMSUB")
            .arg(channel)
            .query_async(&mut conn)
            .await
            .unwrap();
        count
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A private `redis-server` that only speaks TLS (`--port 0`), under a
/// certificate for `localhost` and 127.0.0.1 issued by a CA made for this
/// test alone with the `openssl` CLI in a temporary directory (test
/// fixtures: generated per run, never committed). Stopped when dropped.
pub struct PrivateTlsRedis {
    port: u16,
    child: Child,
    dir: tempfile::TempDir,
}

impl PrivateTlsRedis {
    /// Makes the CA and the server certificate, starts the server on a free
    /// port and waits until it answers over TLS (trusting the CA).
    pub async fn start() -> PrivateTlsRedis {
        let dir = tempfile::tempdir().unwrap();
        make_ca(dir.path(), "ca");
        let path = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
        openssl(
            dir.path(),
            &[
                "req",
                "-new",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
                "-keyout",
                "server.key",
                "-out",
                "server.csr",
                "-subj",
                "/CN=localhost",
            ],
        );
        std::fs::write(
            dir.path().join("server.ext"),
            "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n\
             extendedKeyUsage=serverAuth\n",
        )
        .unwrap();
        openssl(
            dir.path(),
            &[
                "x509",
                "-req",
                "-in",
                "server.csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-days",
                "1",
                "-extfile",
                "server.ext",
                "-out",
                "server.pem",
            ],
        );
        let port = {
            let probe = TcpListener::bind("127.0.0.1:0").unwrap();
            probe.local_addr().unwrap().port()
        };
        let child = Command::new(REDIS_SERVER)
            .args(["--bind", "127.0.0.1", "--port", "0", "--tls-port"])
            .arg(port.to_string())
            .args(["--tls-cert-file", &path("server.pem")])
            .args(["--tls-key-file", &path("server.key")])
            .args(["--tls-ca-cert-file", &path("ca.pem")])
            .args([
                "--tls-auth-clients",
                "no",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|err| panic!("cannot start {REDIS_SERVER}: {err}"));
        let redis = PrivateTlsRedis { port, child, dir };
        let deadline = tokio::time::Instant::now() + PATIENCE;
        while redis.connection().await.is_err() {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the private TLS redis-server on port {port} did not answer"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        redis
    }

    /// `rediss://localhost:PORT` (the name its certificate carries).
    pub fn url(&self) -> String {
        format!("rediss://localhost:{}", self.port)
    }

    /// The PEM file of the CA that issued the server's certificate.
    pub fn ca_file(&self) -> String {
        self.dir.path().join("ca.pem").to_str().unwrap().to_owned()
    }

    /// The PEM file of another CA, which issued nothing this server
    /// presents (made on first call).
    pub fn other_ca_file(&self) -> String {
        let file = self.dir.path().join("other.pem");
        if !file.exists() {
            make_ca(self.dir.path(), "other");
        }
        file.to_str().unwrap().to_owned()
    }

    /// A connection over TLS that trusts the test CA.
    pub async fn connection(&self) -> redis::RedisResult<redis::aio::MultiplexedConnection> {
        let certificates = redis::TlsCertificates {
            client_tls: None,
            root_cert: Some(std::fs::read(self.ca_file()).unwrap()),
        };
        let client = redis::Client::build_with_tls(self.url(), certificates)?;
        let connect = client.get_multiplexed_async_connection();
        match tokio::time::timeout(Duration::from_secs(2), connect).await {
            Ok(result) => result,
            Err(_) => Err(redis::RedisError::from(std::io::Error::from(
                std::io::ErrorKind::TimedOut,
            ))),
        }
    }

    /// The keys under `prefix` (`KEYS prefix*`; a test server is small).
    pub async fn keys(&self, prefix: &str) -> Vec<String> {
        let mut conn = self.connection().await.unwrap();
        redis::cmd("KEYS")
            .arg(format!("{prefix}*"))
            .query_async(&mut conn)
            .await
            .unwrap()
    }
}

impl Drop for PrivateTlsRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A self-signed CA `NAME.pem` / `NAME.key` in `dir`.
fn make_ca(dir: &std::path::Path, name: &str) {
    let (key, pem) = (format!("{name}.key"), format!("{name}.pem"));
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            &key,
            "-out",
            &pem,
            "-days",
            "1",
            "-subj",
            "/CN=tessera test CA",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ],
    );
}

/// Runs the `openssl` CLI in `dir`; fails the test when it fails.
fn openssl(dir: &std::path::Path, args: &[&str]) {
    let output = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|err| panic!("cannot run openssl: {err}"));
    assert!(
        output.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Polls `check` every 50 ms until it holds; fails after [`PATIENCE`].
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !check().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "gave up waiting: {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
