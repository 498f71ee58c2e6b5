//! Two instances on one PostgreSQL database with their keys in the store: a
//! rotation made from outside (as `tessera keys rotate` does) reaches both
//! through the revocation feed, and neither they nor a library `RemoteJwks`
//! resource server fail a single request while tokens are issued and
//! verified through it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tessera::remote::RemoteJwks;
use tessera::{Algorithm, DecodeOptions, ManualClock, TokenType};
use tessera_server::app;
use tessera_server::keys::Rotation;
use tessera_server::store::KeyState;

use crate::http_support::{Server, Tokens};
use crate::keys_stored::{jwks_kids, kid_of, stored_keys, stored_setup};
use crate::store_support::{Kind, START, run};

/// Refreshes `refresh` on `issuer` (a new access token, signed there) and
/// verifies the access token on both instances and the resource server;
/// the failures, as text.
async fn round(
    issuer: &Server,
    refresh: &mut String,
    servers: [&Server; 2],
    remote: &RemoteJwks,
) -> Vec<String> {
    let reply = issuer.refresh(refresh).await;
    if reply.status != 200 {
        return vec![format!("refresh: {} {}", reply.status, reply.text())];
    }
    let tokens = Tokens::from_body(reply.json());
    *refresh = tokens.refresh;
    let token = tokens.access;
    let mut failures = Vec::new();
    for (name, server) in [("A", servers[0]), ("B", servers[1])] {
        let reply = server.get("/auth/verify").bearer(&token).send().await;
        if reply.status != 200 {
            failures.push(format!("{name}: {} {}", reply.status, reply.text()));
        }
    }
    if let Err(err) = remote
        .verify_shared(&token, DecodeOptions::expect(TokenType::Access))
        .await
    {
        failures.push(format!("RemoteJwks: {err}"));
    }
    failures
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotation_on_one_instance_reaches_the_other_and_a_resource_server_without_a_failed_request()
 {
    run(Kind::Postgres, |db| async move {
        let clock = ManualClock::new(START);
        let a = Arc::new(stored_setup().start_with_clock(&db, clock.clone()).await);
        let b = Arc::new(stored_setup().start_with_clock(&db, clock.clone()).await);
        for server in [&a, &b] {
            let auth = server.state.auth.clone();
            tokio::spawn(async move { auth.follow_revocations().await });
        }
        // B serves its JWKS over HTTP, for the resource server.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop_serving, stopped) = tokio::sync::oneshot::channel::<()>();
        let state = b.state.clone();
        tokio::spawn(tessera_server::serve::run(listener, state, async {
            let _ = stopped.await;
        }));
        let remote = RemoteJwks::from_jwks_url(format!("http://{addr}/.well-known/jwks.json"))
            .allow_loopback_http(true)
            .algorithms([Algorithm::ES256])
            .clock(Arc::new(clock.clone()))
            .build()
            .unwrap();
        remote.refresh().await.unwrap();
        let session = a.signed_up("ada").await;
        let before = session.access.clone();
        let old_kid = kid_of(&before);

        // Requests run all through the rotation.
        let running = Arc::new(AtomicBool::new(true));
        let total = Arc::new(AtomicUsize::new(0));
        let load = {
            let (a, b, running, total) = (a.clone(), b.clone(), running.clone(), total.clone());
            let mut refresh = session.refresh.clone();
            tokio::spawn(async move {
                let mut failures = Vec::new();
                let mut turn = 0usize;
                while running.load(Ordering::SeqCst) {
                    let issuer = if turn.is_multiple_of(2) { &a } else { &b };
                    failures.extend(round(issuer, &mut refresh, [&a, &b], &remote).await);
                    total.fetch_add(1, Ordering::SeqCst);
                    turn += 1;
                }
                (failures, remote, refresh)
            })
        };

        // The rotation, made on the store as the CLI makes it, and announced.
        clock.advance(300);
        let keys = stored_keys(&db, &clock, 0).await;
        let Rotation::Rotated { new, .. } = keys.rotate().await.unwrap() else {
            panic!("not rotated");
        };
        app::revocation_feed(&db.store().await)
            .announce()
            .await
            .unwrap();

        let deadline = Instant::now() + Duration::from_secs(20);
        for server in [&a, &b] {
            loop {
                let token = server.state.jwt.create_access_token("probe").unwrap();
                if kid_of(&token) == new {
                    break;
                }
                assert!(
                    Instant::now() < deadline,
                    "an instance never picked up the rotation"
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
        assert!(jwks_kids(&b).await.contains(&new));
        // Keep the load running a while on the new key.
        let seen = total.load(Ordering::SeqCst);
        while total.load(Ordering::SeqCst) < seen + 20 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        running.store(false, Ordering::SeqCst);
        let (failures, remote, mut refresh) = load.await.unwrap();
        assert!(
            failures.is_empty(),
            "{} failed requests, first: {:?}",
            failures.len(),
            failures.first()
        );
        assert!(total.load(Ordering::SeqCst) > 20);

        // Tokens of the new key verify everywhere; the old key's still do.
        for issuer in [&a, &b] {
            assert_eq!(
                round(issuer, &mut refresh, [&a, &b], &remote).await,
                Vec::<String>::new()
            );
        }
        assert_ne!(old_kid, new);
        for server in [&a, &b] {
            server
                .get("/auth/verify")
                .bearer(&before)
                .send()
                .await
                .expect(200);
        }
        remote
            .verify_shared(&before, DecodeOptions::expect(TokenType::Access))
            .await
            .unwrap();

        // Retiring the previous key reaches both instances too.
        keys.retire(&old_kid).await.unwrap();
        app::revocation_feed(&db.store().await)
            .announce()
            .await
            .unwrap();
        for server in [&a, &b] {
            loop {
                if server
                    .get("/auth/verify")
                    .bearer(&before)
                    .send()
                    .await
                    .status
                    == 401
                {
                    break;
                }
                assert!(Instant::now() < deadline, "an instance kept a retired key");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
        let states: Vec<_> = db.store().await.signing_key_states().await.unwrap();
        assert!(
            states
                .iter()
                .all(|(kid, state)| kid != &old_kid || *state == KeyState::Retired)
        );
        let _ = stop_serving.send(());
    })
    .await;
}
