//! Backups as `docs/deploy.md` tells operators to take them, taken while
//! the server is serving writes: SQLite's online backup (`sqlite3 FILE
//! ".backup COPY"`) and PostgreSQL's `pg_dump -Fc` / `pg_restore`. A backup
//! restores to a working server that holds every registration acknowledged
//! before the backup began.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::json;
use sqlx::{Connection, Executor};
use tokio::sync::Mutex;

use crate::http_support::{PASSWORD, Server};
use crate::store_support::{TestDb, postgres_url};

/// What the writer registered, split at the moment the backup started.
#[derive(Default)]
struct Acknowledged {
    before_backup: Vec<String>,
    during_backup: Vec<String>,
}

/// Registers users on `server` until `stop` is set; every 201 is recorded
/// in `acknowledged`, as "before" until `backup_started` is set.
async fn keep_registering(
    server: Arc<Server>,
    stop: Arc<AtomicBool>,
    backup_started: Arc<AtomicBool>,
    acknowledged: Arc<Mutex<Acknowledged>>,
) {
    let mut n = 0;
    while !stop.load(Ordering::SeqCst) {
        n += 1;
        let name = format!("writer{n}");
        let reply = server
            .post("/auth/register")
            .json(json!({ "username": name, "password": PASSWORD }))
            .send()
            .await;
        assert_eq!(
            reply.status.as_u16(),
            201,
            "registration while backing up: {reply}"
        );
        // Read the flag once acknowledged: "not started yet" then means the
        // commit came before the backup began, so the backup must hold it.
        // One acknowledged after the start may or may not be in it.
        let started = backup_started.load(Ordering::SeqCst);
        let mut acknowledged = acknowledged.lock().await;
        if started {
            acknowledged.during_backup.push(name);
        } else {
            acknowledged.before_backup.push(name);
        }
    }
}

/// Runs `backup` while a writer registers users on `server`; returns what
/// was acknowledged. The writer runs for a while before and after, so the
/// backup overlaps live writes.
async fn backup_while_serving(server: Server, backup: impl FnOnce()) -> (Server, Acknowledged) {
    let server = Arc::new(server);
    let stop = Arc::new(AtomicBool::new(false));
    let started = Arc::new(AtomicBool::new(false));
    let acknowledged = Arc::new(Mutex::new(Acknowledged::default()));
    let writer = tokio::spawn(keep_registering(
        Arc::clone(&server),
        Arc::clone(&stop),
        Arc::clone(&started),
        Arc::clone(&acknowledged),
    ));
    // Let some writes land first.
    while acknowledged.lock().await.before_backup.len() < 20 {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    started.store(true, Ordering::SeqCst);
    tokio::task::block_in_place(backup);
    // Keep writing a little after the backup, as a live server would.
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    stop.store(true, Ordering::SeqCst);
    writer.await.unwrap();
    let server = Arc::into_inner(server).unwrap_or_else(|| panic!("writer still holds the server"));
    let acknowledged = Arc::into_inner(acknowledged).unwrap().into_inner();
    (server, acknowledged)
}

/// The restored server works: every user acknowledged before the backup
/// logs in, a new user can register, and a refresh rotates.
async fn assert_restored_server_works(restored: &Server, acknowledged: &Acknowledged) {
    assert!(acknowledged.before_backup.len() >= 20);
    for name in &acknowledged.before_backup {
        let reply = restored
            .post("/auth/login")
            .json(json!({ "username": name, "password": PASSWORD }))
            .send()
            .await;
        assert_eq!(reply.status.as_u16(), 200, "{name} after restore: {reply}");
    }
    let tokens = restored.signed_up("after-restore").await;
    restored.refresh(&tokens.refresh).await.expect(200);
    restored
        .get("/auth/me")
        .bearer(&tokens.access)
        .send()
        .await
        .expect(200);
}

fn run(command: &mut Command) {
    let output = command
        .output()
        .unwrap_or_else(|err| panic!("cannot run {command:?}: {err} (is it installed?)"));
    assert!(
        output.status.success(),
        "{command:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn sqlite_integrity(path: &Path) -> String {
    let output = Command::new("sqlite3")
        .arg(path)
        .arg("PRAGMA integrity_check;")
        .output()
        .expect("sqlite3 runs");
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sqlite_backup_taken_while_serving_restores_to_a_working_server() {
    let dir = tempfile::tempdir().unwrap();
    let live = dir.path().join("tessera.db");
    let copy = dir.path().join("backup.db");
    let server = Server::start(&TestDb::Sqlite(live.clone())).await;

    let (server, acknowledged) = backup_while_serving(server, || {
        run(Command::new("sqlite3")
            .arg(&live)
            .arg(format!(".backup '{}'", copy.display())));
    })
    .await;
    server.state.auth.store().close().await;

    assert_eq!(sqlite_integrity(&copy), "ok");
    // Restoring is putting the copy where the server's file was.
    let restored_path = dir.path().join("restored.db");
    std::fs::copy(&copy, &restored_path).unwrap();
    let restored = Server::start(&TestDb::Sqlite(restored_path)).await;
    assert_restored_server_works(&restored, &acknowledged).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_dump_taken_while_serving_restores_to_a_working_server() {
    let Some(url) = postgres_url() else { return };
    let unique = uuid::Uuid::new_v4().simple().to_string();
    let schema = format!("tessera_backup_{unique}");
    let source_db = format!("tessera_backup_src_{unique}");
    let restored_db = format!("tessera_backup_dst_{unique}");
    let mut admin = sqlx::PgConnection::connect(&url).await.unwrap();
    for db in [&source_db, &restored_db] {
        admin
            .execute(format!("CREATE DATABASE \"{db}\"").as_str())
            .await
            .unwrap();
    }
    let source_url = with_database(&url, &source_db);
    let restored_url = with_database(&url, &restored_db);
    let dump = tempfile::tempdir().unwrap();
    let dump_file = dump.path().join("tessera.dump");

    let server = Server::start(&TestDb::Postgres {
        url: source_url.clone(),
        schema: schema.clone(),
    })
    .await;
    let (server, acknowledged) = backup_while_serving(server, || {
        run(Command::new("pg_dump")
            .arg("--format=custom")
            .arg("--file")
            .arg(&dump_file)
            .arg(&source_url));
    })
    .await;
    server.state.auth.store().close().await;

    run(Command::new("pg_restore")
        .arg("--no-owner")
        .arg("--dbname")
        .arg(&restored_url)
        .arg(&dump_file));
    let restored = Server::start(&TestDb::Postgres {
        url: restored_url,
        schema,
    })
    .await;
    assert_restored_server_works(&restored, &acknowledged).await;
    restored.state.auth.store().close().await;

    for db in [&source_db, &restored_db] {
        let _ = admin
            .execute(format!("DROP DATABASE IF EXISTS \"{db}\" WITH (FORCE)").as_str())
            .await;
    }
}

/// `url` pointing at database `name` instead (the test URL's own database
/// is the last path segment).
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let base = base.rsplit_once('/').map_or(base, |(head, _)| head);
    match query {
        Some(query) => format!("{base}/{name}?{query}"),
        None => format!("{base}/{name}"),
    }
}

/// Three instances started at once on an empty database (the first deploy,
/// or an upgrade rolled out everywhere together): the migrations run once,
/// under sqlx's migration lock, and every instance comes up and serves.
async fn instances_starting_together_all_come_up(db: TestDb) {
    let starts = (0..3).map(|_| {
        let db = db.clone();
        tokio::spawn(async move { Server::start(&db).await })
    });
    let mut servers = Vec::new();
    for start in starts {
        servers.push(start.await.expect("an instance starts beside the others"));
    }
    servers[0].register("first").await;
    servers[2].login("first").await;
    servers[1].get("/readyz").send().await.expect(200);
    for server in servers {
        server.state.auth.store().close().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_starting_together_on_an_empty_sqlite_file_all_come_up() {
    let dir = tempfile::tempdir().unwrap();
    instances_starting_together_all_come_up(TestDb::Sqlite(dir.path().join("tessera.db"))).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_starting_together_on_an_empty_postgres_database_all_come_up() {
    let Some(url) = postgres_url() else { return };
    let unique = uuid::Uuid::new_v4().simple().to_string();
    let name = format!("tessera_first_start_{unique}");
    let mut admin = sqlx::PgConnection::connect(&url).await.unwrap();
    admin
        .execute(format!("CREATE DATABASE \"{name}\"").as_str())
        .await
        .unwrap();
    // No schema: the tables go where a deployment's go (`public`).
    let db_url = with_database(&url, &name);
    let starts = (0..3).map(|_| {
        let db_url = db_url.clone();
        tokio::spawn(async move {
            tessera_server::store::Store::open(&tessera_server::store::StoreOptions::postgres(
                &db_url,
            ))
            .await
        })
    });
    for start in starts {
        let store = start
            .await
            .unwrap()
            .expect("an instance migrates beside the others");
        store.close().await;
    }
    let _ = admin
        .execute(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)").as_str())
        .await;
}
