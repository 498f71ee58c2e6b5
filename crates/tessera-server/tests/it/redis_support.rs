//! The Redis tests' harness: the machine's Redis (`TESSERA_TEST_REDIS_URL`,
//! a fresh key prefix per test so parallel tests never meet), and a
//! private `redis-server` on its own free port that a test may kill and
//! restart. `TESSERA_REQUIRE_REDIS=1` turns a missing or unreachable
//! machine Redis into failures instead of skips.

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
