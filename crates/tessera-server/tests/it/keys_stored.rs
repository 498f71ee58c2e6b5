//! Signing keys kept in the store (asymmetric `JWT_ALGORITHM` without
//! `JWT_PRIVATE_KEY`): first start, JWKS, rotation through next → current →
//! previous → retired, encryption at rest, a wrong encryption key, and
//! instances racing to rotate.

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use tessera::{Algorithm, ManualClock};
use tessera_server::keys::{EncryptionKey, KeyPolicy, KeysError, Rotation, SealError, StoredKeys};
use tessera_server::serve::ServeError;
use tessera_server::store::{KeyState, SigningKeyRecord};

use crate::http_support::{Server, Setup, setup};
use crate::store_support::{START, TestDb, backend_tests};

/// Test fixture only: the `TESSERA_ENCRYPTION_KEY` of these tests.
pub const TEST_ENCRYPTION_KEY: &str = "J0kBBB6uGZ1ETybeWekUV_f3rYSdcCZXXCVcUqYQAAY";
/// Test fixture only: another, wrong, encryption key.
const OTHER_ENCRYPTION_KEY: &str = "eteeZLb-gw82JyXW_FMprUfof2gdd-K-5pgcLpq8kH8";

/// A refresh lifetime (the default: 30 days) plus no leeway.
const KEEP_PREVIOUS: i64 = 30 * 86_400;

/// A server whose keys are kept in the store.
pub fn stored_setup() -> Setup {
    setup()
        .var("JWT_ALGORITHM", "ES256")
        .var("TESSERA_ENCRYPTION_KEY", TEST_ENCRYPTION_KEY)
}

/// The stored keys of `db` as another instance (or the CLI) sees them.
pub async fn stored_keys(db: &TestDb, clock: &ManualClock, rotation_days: u32) -> StoredKeys {
    StoredKeys::new(
        db.store().await,
        Arc::new(EncryptionKey::from_text(TEST_ENCRYPTION_KEY).unwrap()),
        KeyPolicy {
            algorithm: Algorithm::ES256,
            publish_for: 300,
            keep_previous_for: KEEP_PREVIOUS,
            rotation_days,
        },
        Arc::new(clock.clone()),
    )
}

/// The key ids `server` publishes.
pub async fn jwks_kids(server: &Server) -> Vec<String> {
    let reply = server.get("/.well-known/jwks.json").send().await;
    reply.expect(200)["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|key| key["kid"].as_str().unwrap().to_owned())
        .collect()
}

/// The `kid` in a token's header.
pub fn kid_of(token: &str) -> String {
    tessera::inspect(token, 8192).unwrap().header["kid"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn rows(db: &TestDb) -> Vec<SigningKeyRecord> {
    db.store().await.signing_keys().await.unwrap()
}

fn in_state(rows: &[SigningKeyRecord], state: KeyState) -> Vec<String> {
    rows.iter()
        .filter(|row| row.state == state)
        .map(|row| row.kid.clone())
        .collect()
}

backend_tests! {
    async fn the_first_start_makes_a_current_and_a_next_key_and_signs_with_the_current(db) {
        let server = stored_setup().start(&db).await;
        let rows = rows(&db).await;
        let (current, next) = (in_state(&rows, KeyState::Current), in_state(&rows, KeyState::Next));
        assert_eq!((current.len(), next.len(), rows.len()), (1, 1, 2), "{rows:?}");

        let reply = server.get("/.well-known/jwks.json").send().await;
        assert_eq!(reply.header("cache-control"), Some("public, max-age=300"));
        let mut published = jwks_kids(&server).await;
        published.sort();
        let mut expected = vec![current[0].clone(), next[0].clone()];
        expected.sort();
        assert_eq!(published, expected, "current and next are both published");

        let ada = server.signed_up("ada").await;
        assert_eq!(kid_of(&ada.access), current[0]);
        assert_eq!(kid_of(&ada.refresh), current[0]);
        server.get("/auth/me").bearer(&ada.access).send().await.expect(200);

        // A second instance on the same store adds nothing and signs alike.
        let other = stored_setup().start(&db).await;
        assert_eq!(self::rows(&db).await.len(), 2);
        let bob = other.signed_up("bob").await;
        assert_eq!(kid_of(&bob.access), current[0]);
        server.get("/auth/me").bearer(&bob.access).send().await.expect(200);
    }

    async fn a_rotation_publishes_first_keeps_the_previous_key_and_retiring_it_refuses_its_tokens(db) {
        let clock = ManualClock::new(START);
        let server = stored_setup().start_with_clock(&db, clock.clone()).await;
        let before = server.signed_up("ada").await;
        let old_kid = kid_of(&before.access);
        let keys = stored_keys(&db, &clock, 0).await;

        // The next key was published at START: not for a whole JWKS cache period yet.
        let next = in_state(&rows(&db).await, KeyState::Next)[0].clone();
        assert_eq!(
            keys.rotate().await.unwrap(),
            Rotation::NotYet { next: next.clone(), at: START + 300 }
        );
        clock.advance(300);
        let Rotation::Rotated { old, old_until, new, next: fresh } = keys.rotate().await.unwrap() else {
            panic!("not rotated");
        };
        assert_eq!((old.as_str(), new.as_str()), (old_kid.as_str(), next.as_str()));
        assert_eq!(old_until, START + 300 + KEEP_PREVIOUS, "the refresh lifetime after demotion");

        // The instance picks it up on its next resync.
        server.state.auth.sync_revocations().await.unwrap();
        assert_eq!(
            signing_key_gauges(&server).await,
            ["current 1", "next 1", "previous 1", "retired 0"],
            "/metrics counts the keys by state after the resync"
        );
        let after = server.login("ada").await;
        assert_eq!(kid_of(&after.access), new);
        let mut published = jwks_kids(&server).await;
        published.sort();
        let mut expected = vec![old.clone(), new.clone(), fresh.clone()];
        expected.sort();
        assert_eq!(published, expected);
        // The previous key still verifies its tokens, refresh tokens included.
        server.get("/auth/me").bearer(&before.access).send().await.expect(200);
        server.refresh(&before.refresh).await.expect(200);

        // The current key cannot be retired; the previous one can.
        assert!(matches!(keys.retire(&new).await, Err(KeysError::RetireCurrent(_))));
        keys.retire(&old).await.unwrap();
        server.state.auth.sync_revocations().await.unwrap();
        server.get("/auth/me").bearer(&before.access).send().await.expect(401);
        assert!(!jwks_kids(&server).await.contains(&old));
        server.get("/auth/me").bearer(&after.access).send().await.expect(200);
        let retired = rows(&db).await.into_iter().find(|row| row.kid == old).unwrap();
        assert_eq!(retired.state, KeyState::Retired);
        assert!(retired.sealed_private_key.is_empty(), "a retired key's private half is wiped");
    }

    async fn a_previous_key_is_retired_once_its_last_token_can_have_expired(db) {
        let clock = ManualClock::new(START);
        let server = stored_setup().start_with_clock(&db, clock.clone()).await;
        let keys = stored_keys(&db, &clock, 0).await;
        clock.advance(300);
        let Rotation::Rotated { old, .. } = keys.rotate().await.unwrap() else { panic!("not rotated") };
        server.state.auth.sync_revocations().await.unwrap();
        assert!(jwks_kids(&server).await.contains(&old));
        clock.advance(KEEP_PREVIOUS - 1);
        server.state.auth.sync_revocations().await.unwrap();
        assert!(jwks_kids(&server).await.contains(&old), "not a second early");
        clock.advance(1);
        server.state.auth.sync_revocations().await.unwrap();
        assert!(!jwks_kids(&server).await.contains(&old));
        assert_eq!(in_state(&rows(&db).await, KeyState::Retired), vec![old]);
    }

    async fn a_wrong_or_missing_encryption_key_refuses_to_start_in_one_line(db) {
        stored_setup().start(&db).await;
        let wrong = stored_setup()
            .var("TESSERA_ENCRYPTION_KEY", OTHER_ENCRYPTION_KEY)
            .try_start_with_clock(&db, ManualClock::new(START))
            .await
            .err()
            .unwrap();
        assert!(matches!(wrong, ServeError::Keys(KeysError::Sealed(SealError::WrongKey))), "{wrong:?}");
        let line = wrong.to_string();
        assert!(line.contains("TESSERA_ENCRYPTION_KEY") && !line.contains('\n'), "{line}");

        let missing = setup()
            .var("JWT_ALGORITHM", "ES256")
            .try_start_with_clock(&db, ManualClock::new(START))
            .await
            .err()
            .unwrap();
        assert!(matches!(missing, ServeError::Keys(KeysError::NoEncryptionKey)), "{missing:?}");
        assert!(missing.to_string().contains("TESSERA_ENCRYPTION_KEY is not set"));

        let malformed = stored_setup()
            .var("TESSERA_ENCRYPTION_KEY", "too-short")
            .try_start_with_clock(&db, ManualClock::new(START))
            .await
            .err()
            .unwrap();
        assert!(matches!(malformed, ServeError::Keys(KeysError::Sealed(SealError::BadKey))), "{malformed:?}");
    }

    async fn the_database_holds_no_private_key_material(db) {
        let server = stored_setup().start(&db).await;
        server.signed_up("ada").await;
        let encryption = EncryptionKey::from_text(TEST_ENCRYPTION_KEY).unwrap();
        let mut secrets: Vec<Vec<u8>> = Vec::new();
        for row in rows(&db).await {
            let pem = encryption.open(&row.kid, &row.alg, &row.sealed_private_key).unwrap();
            let pem = String::from_utf8(pem).unwrap();
            let body: String = pem.lines().filter(|line| !line.starts_with("-----")).collect();
            let der = STANDARD.decode(&body).unwrap();
            // The PKCS#8 DER, its PEM body, and the raw 32-byte scalar (at
            // the end of an EC private key's inner structure).
            secrets.push(der.clone());
            secrets.push(body.into_bytes());
            secrets.push(URL_SAFE_NO_PAD.encode(&der).into_bytes());
            let d = find_ec_scalar(&der);
            secrets.push(d.to_vec());
            secrets.push(URL_SAFE_NO_PAD.encode(d).into_bytes());
        }
        let dump = dump(&db).await;
        assert!(!dump.is_empty());
        assert!(!contains(&dump, b"PRIVATE KEY"));
        assert!(!contains(&dump, TEST_ENCRYPTION_KEY.as_bytes()));
        for secret in &secrets {
            assert!(!contains(&dump, secret), "private key material in the database dump");
        }
    }

    async fn a_running_instance_rotates_on_schedule_and_keeps_the_old_key_for_the_refresh_lifetime(db) {
        let clock = ManualClock::new(START);
        let server = stored_setup()
            .var("TESSERA_KEY_ROTATION_DAYS", "2")
            .var("JWT_REFRESH_TOKEN_EXPIRES", "1d")
            .var("JWT_DECODE_LEEWAY", "30")
            .start_with_clock(&db, clock.clone())
            .await;
        let first = rows(&db).await;
        let old = in_state(&first, KeyState::Current);
        clock.advance(2 * 86_400 - 1);
        server.state.auth.sync_revocations().await.unwrap();
        assert_eq!(in_state(&rows(&db).await, KeyState::Current), old, "not a second early");
        clock.advance(1);
        // The periodic resync (or a feed wake) runs the schedule.
        server.state.auth.sync_revocations().await.unwrap();
        let after = rows(&db).await;
        assert_eq!(in_state(&after, KeyState::Current), in_state(&first, KeyState::Next));
        let previous = after.iter().find(|row| row.state == KeyState::Previous).unwrap();
        assert_eq!(previous.kid, old[0]);
        assert_eq!(
            previous.verifies_until,
            Some(START + 2 * 86_400 + 86_400 + 30),
            "the refresh lifetime plus the leeway after demotion"
        );
        let token = server.state.jwt.create_access_token("probe").unwrap();
        assert_eq!(vec![kid_of(&token)], in_state(&after, KeyState::Current));
    }

    async fn fixed_pem_keys_and_hs256_keep_working_and_leave_the_table_empty(db) {
        let pair = tessera::keys::GeneratedKeyPair::generate(Algorithm::ES256).unwrap();
        let fixed = setup()
            .var("JWT_ALGORITHM", "ES256")
            .var("JWT_PRIVATE_KEY", pair.private_pem.clone())
            .start(&db)
            .await;
        let ada = fixed.signed_up("ada").await;
        fixed.get("/auth/me").bearer(&ada.access).send().await.expect(200);
        assert_eq!(jwks_kids(&fixed).await.len(), 1);
        let hs256 = setup().start(&db).await;
        let bob = hs256.signed_up("bob").await;
        hs256.get("/auth/me").bearer(&bob.access).send().await.expect(200);
        assert!(jwks_kids(&hs256).await.is_empty(), "no JWKS for an HMAC secret");
        assert!(rows(&db).await.is_empty(), "nothing kept in the store");
    }

    async fn instances_racing_to_rotate_automatically_make_one_rotation(db) {
        let clock = ManualClock::new(START);
        stored_setup().start_with_clock(&db, clock.clone()).await;
        let (a, b) = (stored_keys(&db, &clock, 1).await, stored_keys(&db, &clock, 1).await);
        a.load().await.unwrap();
        b.load().await.unwrap();
        let before = rows(&db).await;
        clock.advance(86_400);
        let (ra, rb) = tokio::join!(a.maintain(), b.maintain());
        assert!(ra.unwrap() || rb.unwrap(), "one of them rotated");
        let after = rows(&db).await;
        assert_eq!(in_state(&after, KeyState::Previous), in_state(&before, KeyState::Current));
        assert_eq!(in_state(&after, KeyState::Current), in_state(&before, KeyState::Next));
        assert_eq!(in_state(&after, KeyState::Next).len(), 1);
        assert_eq!(after.len(), 3, "one rotation, one fresh next key: {after:?}");
        // Not due again until another day has passed.
        a.load().await.unwrap();
        assert!(!a.maintain().await.unwrap());
        assert_eq!(rows(&db).await.len(), 3);
    }
}

/// Everything the database holds, as bytes: the SQLite files, or the
/// PostgreSQL rows as text.
/// The `tessera_signing_keys{state="…"}` samples of `/metrics`, as
/// `"state count"`, sorted.
async fn signing_key_gauges(server: &Server) -> Vec<String> {
    let text = server.get("/metrics").send().await.text();
    let mut samples: Vec<String> = text
        .lines()
        .filter_map(|line| line.strip_prefix("tessera_signing_keys{state=\""))
        .map(|rest| rest.replacen("\"} ", " ", 1))
        .collect();
    samples.sort();
    samples
}

async fn dump(db: &TestDb) -> Vec<u8> {
    match db {
        TestDb::Sqlite(path) => {
            let dir = path.parent().unwrap();
            let mut bytes = Vec::new();
            for entry in std::fs::read_dir(dir).unwrap() {
                let entry = entry.unwrap();
                if entry
                    .file_name()
                    .to_string_lossy()
                    .starts_with("tessera.db")
                {
                    bytes.extend(std::fs::read(entry.path()).unwrap());
                }
            }
            bytes
        }
        TestDb::Postgres { url, schema } => {
            use sqlx::{Connection as _, Row as _};
            sqlx::any::install_default_drivers();
            let mut conn = sqlx::AnyConnection::connect(url).await.unwrap();
            let row = sqlx::query(&format!(
                "SELECT string_agg(t::text, E'\\n') AS dump FROM \"{schema}\".signing_keys t"
            ))
            .fetch_one(&mut conn)
            .await
            .unwrap();
            let text: String = row.try_get("dump").unwrap();
            conn.close().await.unwrap();
            text.into_bytes()
        }
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

/// The private scalar of a P-256 PKCS#8 key: the OCTET STRING of 32 bytes
/// (`04 20`) inside the inner ECPrivateKey.
fn find_ec_scalar(der: &[u8]) -> &[u8] {
    let at = der
        .windows(3)
        .position(|window| window == [0x02, 0x01, 0x01])
        .and_then(|version| {
            der[version..]
                .windows(2)
                .position(|window| window == [0x04, 0x20])
                .map(|offset| version + offset + 2)
        })
        .unwrap();
    &der[at..at + 32]
}
