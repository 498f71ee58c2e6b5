//! A database that goes away while the server runs: every endpoint that
//! needs it answers `503 store_unavailable` with `Retry-After` (never a
//! 500), the ones that do not keep answering, and everything works again
//! once the database is back. The outage is logged once, not per request.

use std::time::Duration;

use serde_json::{Value, json};
use sqlx::{Connection, Executor};
use tessera_server::http::docs::OPENAPI_JSON;
use tessera_server::store::OutageCounts;

use crate::http_support::{Call, PASSWORD, Reply, Server, Tokens, claims};
use crate::store_support::{TestDb, postgres_url};

/// Asserts the outage answer: 503, `store_unavailable`, a `Retry-After` of
/// a few seconds.
#[track_caller]
fn assert_store_unavailable(what: &str, reply: &Reply) {
    assert_eq!(reply.status.as_u16(), 503, "{what}: {reply}");
    reply.expect_error(503, "store_unavailable");
    let retry: u64 = reply
        .header("retry-after")
        .unwrap_or_else(|| panic!("{what}: no Retry-After: {reply}"))
        .parse()
        .unwrap_or_else(|_| panic!("{what}: Retry-After is not seconds: {reply}"));
    assert!((1..=60).contains(&retry), "{what}: Retry-After {retry}");
}

/// Every route that reads or writes the store, under its documented path,
/// as `user` (and `admin` for the admin routes), with a body where it needs
/// one.
fn store_calls(server: &Server, user: &Tokens, admin: &Tokens) -> Vec<(&'static str, Call)> {
    let id = claims(&user.access)["sub"].as_str().unwrap().to_owned();
    let sid = user.sid();
    let as_admin = |call: Call| call.bearer(&admin.access);
    let user_path = |tail: &str| format!("/admin/users/{id}{tail}");
    vec![
        (
            "/auth/register",
            server
                .post("/auth/register")
                .json(json!({ "username": "carol", "password": PASSWORD })),
        ),
        (
            "/auth/login",
            server
                .post("/auth/login")
                .json(json!({ "username": "ada", "password": PASSWORD })),
        ),
        (
            "/auth/refresh",
            server.post("/auth/refresh").bearer(&user.refresh),
        ),
        ("/auth/me", server.get("/auth/me").bearer(&user.access)),
        (
            "/auth/logout",
            server.post("/auth/logout").bearer(&user.access),
        ),
        (
            "/auth/sessions",
            server.get("/auth/sessions").bearer(&user.access),
        ),
        (
            "/auth/sessions/{id}",
            server
                .delete(&format!("/auth/sessions/{sid}"))
                .bearer(&user.access),
        ),
        (
            "/auth/password",
            server.post("/auth/password").bearer(&user.access).json(
                json!({ "current_password": PASSWORD, "new_password": "another-long-passphrase" }),
            ),
        ),
        ("/admin/users", as_admin(server.get("/admin/users"))),
        ("/admin/users/{id}", as_admin(server.get(&user_path("")))),
        (
            "/admin/users/{id}/roles",
            as_admin(
                server
                    .put(&user_path("/roles"))
                    .json(json!({ "roles": ["editor"] })),
            ),
        ),
        (
            "/admin/users/{id}/disable",
            as_admin(server.post(&user_path("/disable"))),
        ),
        (
            "/admin/users/{id}/enable",
            as_admin(server.post(&user_path("/enable"))),
        ),
        (
            "/admin/users/{id}/unlock",
            as_admin(server.post(&user_path("/unlock"))),
        ),
        (
            "/admin/users/{id}/sessions",
            as_admin(server.get(&user_path("/sessions"))),
        ),
        ("/admin/audit", as_admin(server.get("/admin/audit"))),
        ("/admin/users/{id}", as_admin(server.delete(&user_path("")))),
        ("/readyz", server.get("/readyz")),
    ]
}

/// Sends `call` and asserts the outage answer, and that `/openapi.json`
/// lists it for the operation.
async fn expect_store_unavailable(template: &str, call: Call) {
    let spec: Value = serde_json::from_str(OPENAPI_JSON).unwrap();
    let method = call.method().as_str().to_ascii_lowercase();
    let what = format!("{method} {template}");
    assert!(
        spec["paths"][template][method.as_str()]["responses"]
            .get("503")
            .is_some(),
        "{what}: 503 is not documented"
    );
    assert_store_unavailable(&what, &call.send().await);
}

/// A PostgreSQL database of its own (never the shared test database, which
/// other tests use meanwhile), dropped afterwards.
struct OwnDatabase {
    admin_url: String,
    name: String,
}

impl OwnDatabase {
    async fn create(admin_url: &str) -> OwnDatabase {
        let name = format!("tessera_outage_{}", uuid::Uuid::new_v4().simple());
        admin(admin_url, &format!("CREATE DATABASE \"{name}\"")).await;
        OwnDatabase {
            admin_url: admin_url.to_owned(),
            name,
        }
    }

    /// The URL of this database: the admin URL with its database replaced.
    fn url(&self) -> String {
        let (base, query) = match self.admin_url.split_once('?') {
            Some((base, query)) => (base, Some(query)),
            None => (self.admin_url.as_str(), None),
        };
        let (server, _) = base.rsplit_once('/').unwrap();
        match query {
            Some(query) => format!("{server}/{}?{query}", self.name),
            None => format!("{server}/{}", self.name),
        }
    }

    /// Refuses new connections and ends the open ones, as an outage would.
    async fn go_down(&self) {
        let name = &self.name;
        admin(
            &self.admin_url,
            &format!("ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS false"),
        )
        .await;
        admin(
            &self.admin_url,
            &format!(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                 WHERE datname = '{name}' AND pid <> pg_backend_pid()"
            ),
        )
        .await;
    }

    async fn come_back(&self) {
        admin(
            &self.admin_url,
            &format!("ALTER DATABASE \"{}\" ALLOW_CONNECTIONS true", self.name),
        )
        .await;
    }

    async fn drop(self) {
        let name = &self.name;
        admin(
            &self.admin_url,
            &format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
        )
        .await;
    }
}

/// Runs one statement on the admin connection.
async fn admin(url: &str, sql: &str) {
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(url)
        .await
        .unwrap_or_else(|err| panic!("PostgreSQL at {url} is unreachable: {err}"));
    conn.execute(sql)
        .await
        .unwrap_or_else(|err| panic!("{sql}: {err}"));
    conn.close().await.unwrap();
}

#[tokio::test]
async fn a_postgres_outage_answers_503_store_unavailable_and_recovers() {
    let Some(admin_url) = postgres_url() else {
        return;
    };
    let own = OwnDatabase::create(&admin_url).await;
    let db = TestDb::Postgres {
        url: own.url(),
        schema: "tessera_outage".to_owned(),
    };
    let outcome = tokio::spawn({
        let own = OwnDatabase {
            admin_url: own.admin_url.clone(),
            name: own.name.clone(),
        };
        async move { postgres_outage(db, own).await }
    })
    .await;
    own.drop().await;
    if let Err(err) = outcome {
        std::panic::resume_unwind(err.into_panic());
    }
}

async fn postgres_outage(db: TestDb, own: OwnDatabase) {
    let server = Server::start(&db).await;
    let root = server.admin("root").await;
    let ada = server.signed_up("ada").await;
    server.signed_up("bob").await;

    own.go_down().await;
    for (template, call) in store_calls(&server, &ada, &root) {
        expect_store_unavailable(template, call).await;
    }
    // What needs no database keeps answering.
    let verify = server.get("/auth/verify").bearer(&ada.access).send().await;
    verify.expect(200);
    assert_eq!(verify.header("x-auth-session"), Some(ada.sid().as_str()));
    server.get("/healthz").send().await.expect(200);
    server
        .get("/.well-known/jwks.json")
        .send()
        .await
        .expect(200);
    server
        .get("/.well-known/openid-configuration")
        .send()
        .await
        .expect(200);
    // Many failed requests, one warning.
    assert_eq!(
        server.state.auth.store().outage_counts(),
        OutageCounts { begun: 1, ended: 0 }
    );
    assert!(server.state.auth.store().outage_reported());

    own.come_back().await;
    server.get("/readyz").send().await.expect(200);
    let me = server
        .get("/auth/me")
        .bearer(&ada.access)
        .send()
        .await
        .expect(200);
    assert_eq!(me["username"], "ada");
    let ada = Tokens::from_body(server.refresh(&ada.refresh).await.expect(200));
    server
        .get("/auth/sessions")
        .bearer(&ada.access)
        .send()
        .await
        .expect(200);
    server.signed_up("carol").await;
    server
        .get("/admin/users")
        .bearer(&root.access)
        .send()
        .await
        .expect(200);
    // The end of the outage is noted once, within a few probes.
    for _ in 0..50 {
        if !server.state.auth.store().outage_reported() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(!server.state.auth.store().outage_reported());
    assert_eq!(
        server.state.auth.store().outage_counts(),
        OutageCounts { begun: 1, ended: 1 }
    );
}

/// A small tmpfs mounted for one test, unmounted (and removed) on drop.
/// Needs the right to mount (root, as in the project's sandbox); `None`
/// where that is refused.
struct SmallDisk {
    dir: std::path::PathBuf,
}

impl SmallDisk {
    fn mount(size: &str) -> Option<SmallDisk> {
        let dir =
            std::env::temp_dir().join(format!("tessera-it-disk-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let mounted = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&dir)
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|status| status.success());
        if mounted {
            Some(SmallDisk { dir })
        } else {
            let _ = std::fs::remove_dir(&dir);
            None
        }
    }

    /// Writes a file until the disk is full.
    fn fill(&self) -> std::path::PathBuf {
        use std::io::Write;
        let path = self.dir.join("filler");
        let mut file = std::fs::File::create(&path).unwrap();
        let chunk = vec![0u8; 4096];
        while file.write_all(&chunk).is_ok() {}
        path
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.dir).status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_under_sqlite_answers_503_store_unavailable_and_recovers() {
    let Some(disk) = SmallDisk::mount("4m") else {
        eprintln!("skipped: mounting a tmpfs is not permitted here");
        return;
    };
    let db = TestDb::Sqlite(disk.dir.join("tessera.db"));
    let server = Server::start(&db).await;
    let ada = server.signed_up("ada").await;

    let filler = disk.fill();
    // The WAL may still have room for a few writes; then every write fails.
    let mut refused = None;
    for n in 0..200 {
        let reply = server
            .post("/auth/register")
            .json(json!({ "username": format!("user{n}"), "password": PASSWORD }))
            .send()
            .await;
        if reply.status.as_u16() != 201 {
            refused = Some(reply);
            break;
        }
    }
    let refused = refused.expect("a write on a full disk failed");
    assert_store_unavailable("post /auth/register on a full disk", &refused);
    // Reads need no room.
    server
        .get("/auth/me")
        .bearer(&ada.access)
        .send()
        .await
        .expect(200);

    std::fs::remove_file(filler).unwrap();
    server.signed_up("carol").await;
    server.refresh(&ada.refresh).await.expect(200);
    server.state.auth.store().close().await;
}
