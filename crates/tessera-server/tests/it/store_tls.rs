//! PostgreSQL over TLS, chosen with `sslmode` in `DATABASE_URL` (rustls on
//! aws-lc-rs; no OpenSSL). The local test server runs with TLS on and a
//! self-signed certificate, so `require` encrypts while `verify-full`,
//! which checks the certificate against trusted roots, refuses it.

use sqlx::{Connection, Row};
use tessera_server::store::{Store, StoreError, StoreOptions};

use crate::store_support::{Kind, TestDb, run};

fn with_sslmode(url: &str, mode: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}sslmode={mode}")
}

#[tokio::test]
async fn sslmode_require_gives_an_encrypted_connection() {
    run(Kind::Postgres, |db| async move {
        let TestDb::Postgres { url, schema } = db else {
            unreachable!()
        };
        let options = StoreOptions::postgres(with_sslmode(&url, "require"))
            .postgres_schema(&schema)
            .unwrap();
        let store = Store::open(&options).await.expect("TLS connection");
        assert_eq!(store.postgres_tls().await.unwrap(), Some(true));
        store.close().await;

        let plain = StoreOptions::postgres(with_sslmode(&url, "disable"))
            .postgres_schema(&schema)
            .unwrap();
        let store = Store::open(&plain).await.expect("plain connection");
        assert_eq!(store.postgres_tls().await.unwrap(), Some(false));
        store.close().await;
    })
    .await;
}

#[tokio::test]
async fn sslmode_verify_full_refuses_an_untrusted_certificate() {
    run(Kind::Postgres, |db| async move {
        let TestDb::Postgres { url, schema } = db else {
            unreachable!()
        };
        let options = StoreOptions::postgres(with_sslmode(&url, "verify-full"))
            .postgres_schema(&schema)
            .unwrap();
        match Store::open(&options).await {
            Err(StoreError::Unavailable(message)) => {
                assert!(message.contains("connecting to PostgreSQL"), "{message}");
            }
            Err(other) => panic!("expected Unavailable, got {other:?}"),
            Ok(_) => panic!("a self-signed certificate passed verify-full"),
        }
    })
    .await;
}

#[tokio::test]
async fn sslrootcert_trusts_a_private_ca() {
    run(Kind::Postgres, |db| async move {
        let TestDb::Postgres { url, schema } = db else {
            unreachable!()
        };
        // The server's own certificate is its CA (self-signed); ask the
        // server where it is rather than assume a path.
        sqlx::any::install_default_drivers();
        let mut conn = sqlx::AnyConnection::connect(&url).await.unwrap();
        let cert: String = sqlx::query("SHOW ssl_cert_file")
            .fetch_one(&mut conn)
            .await
            .unwrap()
            .get(0);
        conn.close().await.unwrap();
        // Its certificate names `localhost` (sqlx checks the name in
        // verify-ca too), so reach the same server by that name.
        assert!(
            url.contains("@127.0.0.1"),
            "this test expects a loopback URL: {url}"
        );
        let by_name = url.replace("@127.0.0.1", "@localhost");
        let trusted = format!(
            "{}&sslrootcert={cert}",
            with_sslmode(&by_name, "verify-full")
        );
        let store = Store::open(
            &StoreOptions::postgres(trusted)
                .postgres_schema(&schema)
                .unwrap(),
        )
        .await
        .expect("the server's certificate, trusted as a root");
        assert_eq!(store.postgres_tls().await.unwrap(), Some(true));
        store.close().await;
    })
    .await;
}

#[tokio::test]
async fn sqlite_has_no_tls_to_report() {
    run(Kind::Sqlite, |db| async move {
        let store = db.store().await;
        assert_eq!(store.postgres_tls().await.unwrap(), None);
        store.close().await;
    })
    .await;
}
