//! Choosing and opening the store.

use tessera_server::store::{Backend, DEFAULT_SQLITE_FILE, Store, StoreOptions};

#[test]
fn no_database_url_means_the_default_sqlite_file() {
    for url in [None, Some(""), Some("  ")] {
        let options = StoreOptions::from_database_url(url).unwrap();
        assert_eq!(options.backend(), Backend::Sqlite);
        assert_eq!(
            options.sqlite_path(),
            Some(std::path::Path::new(DEFAULT_SQLITE_FILE))
        );
    }
}

#[test]
fn database_urls_select_the_backend() {
    let sqlite = StoreOptions::from_database_url(Some("sqlite://data/auth.db")).unwrap();
    assert_eq!(
        sqlite.sqlite_path(),
        Some(std::path::Path::new("data/auth.db"))
    );
    let short = StoreOptions::from_database_url(Some("sqlite:auth.db")).unwrap();
    assert_eq!(short.sqlite_path(), Some(std::path::Path::new("auth.db")));
    for url in ["postgres://u:p@db/tessera", "postgresql://db/tessera"] {
        assert_eq!(
            StoreOptions::from_database_url(Some(url))
                .unwrap()
                .backend(),
            Backend::Postgres
        );
    }
}

#[test]
fn unsupported_database_urls_name_the_variable_without_echoing_secrets() {
    for url in [
        "mysql://root:hunter2@db/x",
        "tessera.db",
        "sqlite::memory:",
        "sqlite://x.db?mode=ro",
    ] {
        let message = StoreOptions::from_database_url(Some(url))
            .unwrap_err()
            .to_string();
        assert!(message.starts_with("DATABASE_URL: "), "{message}");
        assert!(!message.contains("hunter2"), "{message}");
    }
}

#[test]
fn debug_output_hides_the_postgres_password() {
    let options = StoreOptions::postgres("postgres://tessera:hunter2@db:5432/auth");
    let debug = format!("{options:?}");
    assert!(!debug.contains("hunter2"), "{debug}");
    assert!(
        debug.contains("postgres://tessera:***@db:5432/auth"),
        "{debug}"
    );
}

#[test]
fn schema_names_must_be_plain_identifiers() {
    let base = StoreOptions::postgres("postgres://db/x");
    assert!(base.clone().postgres_schema("tessera_1").is_ok());
    for bad in [
        "",
        "1abc",
        "a-b",
        "a\"; DROP TABLE users; --",
        &"s".repeat(64),
    ] {
        assert!(base.clone().postgres_schema(bad).is_err(), "{bad:?}");
    }
}

#[tokio::test]
async fn sqlite_store_creates_the_file_in_wal_mode_with_foreign_keys() {
    let dir = std::env::temp_dir().join(format!("tessera-it-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("fresh.db");
    let store = Store::open(&StoreOptions::sqlite(&path)).await.unwrap();
    assert!(path.exists());
    store.ping().await.unwrap();

    let session = tessera_server::store::SessionRecord {
        id: "s".into(),
        user_id: "no-such-user".into(),
        created_at: 0,
        last_used_at: 0,
        expires_at: 1,
        revoked_at: None,
        revoked_reason: None,
        refresh_jti: "j".into(),
        previous_jti: None,
        rotated_at: None,
        user_agent: None,
        ip: None,
        amr: vec!["pwd".into()],
    };
    assert!(
        !store.insert_session(&session).await.unwrap(),
        "foreign keys are enforced: a session needs its user"
    );
    // Acknowledged writes survive a power cut: every commit syncs the WAL.
    assert_eq!(
        store.sqlite_synchronous().await.unwrap(),
        Some(2),
        "synchronous = FULL"
    );
    store.close().await;

    use sqlx::{ConnectOptions, Row};
    let mut conn = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(&path)
        .connect()
        .await
        .unwrap();
    let mode: String = sqlx::query("PRAGMA journal_mode")
        .fetch_one(&mut conn)
        .await
        .unwrap()
        .get(0);
    assert_eq!(mode, "wal");
    drop(conn);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn reopening_a_store_does_not_reapply_migrations() {
    let dir = std::env::temp_dir().join(format!("tessera-it-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let options = StoreOptions::sqlite(dir.join("twice.db"));
    Store::open(&options).await.unwrap().close().await;
    let again = Store::open(&options).await.unwrap();
    assert_eq!(again.count_users().await.unwrap(), 0);
    again.close().await;
    let _ = std::fs::remove_dir_all(dir);
}

/// The permission bits of `path`.
#[cfg(unix)]
fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .unwrap_or_else(|err| panic!("{}: {err}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

/// The database holds password hashes, e-mail and IP addresses and the
/// audit trail: like `.env`, it is the owner's alone, WAL files included.
#[cfg(unix)]
#[tokio::test]
async fn a_new_sqlite_file_and_its_wal_files_are_owner_only() {
    let dir = std::env::temp_dir().join(format!("tessera-it-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("tessera.db");
    let store = Store::open(&StoreOptions::sqlite(&path)).await.unwrap();
    store.ping().await.unwrap();
    for name in ["tessera.db", "tessera.db-wal", "tessera.db-shm"] {
        assert_eq!(mode(&dir.join(name)), 0o600, "{name}");
    }
    store.close().await;
    let _ = std::fs::remove_dir_all(dir);
}

#[cfg(unix)]
#[tokio::test]
async fn an_existing_sqlite_file_keeps_its_mode() {
    use std::os::unix::fs::PermissionsExt;
    let dir = std::env::temp_dir().join(format!("tessera-it-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("shared.db");
    Store::open(&StoreOptions::sqlite(&path))
        .await
        .unwrap()
        .close()
        .await;
    // The operator chose group access (e.g. for a backup job).
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
    let store = Store::open(&StoreOptions::sqlite(&path)).await.unwrap();
    store.ping().await.unwrap();
    assert_eq!(mode(&path), 0o640);
    store.close().await;
    let _ = std::fs::remove_dir_all(dir);
}
