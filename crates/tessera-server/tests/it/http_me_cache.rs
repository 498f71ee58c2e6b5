//! `GET /auth/me` answers from an in-memory user cache, and every change to
//! a user shows at once: on the instance that made it, and on another
//! instance on the same database as soon as the feed wakes it (PostgreSQL
//! `NOTIFY`), or at its next periodic resync when no announcement arrives.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tessera::ManualClock;
use tessera_server::domain::{AccountError, AuthService};
use tessera_server::oauth::VerifiedIdentity;

use crate::http_support::{PASSWORD, Server, Tokens, setup};
use crate::store_support::{Kind, START, TestDb, backend_tests};

/// Long enough for any healthy machine; a wait ends as soon as it holds.
const PATIENCE: Duration = Duration::from_secs(10);

fn user_id(tokens: &Tokens) -> String {
    crate::http_support::claims(&tokens.access)["sub"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn me(server: &Server, tokens: &Tokens) -> Value {
    server
        .get("/auth/me")
        .bearer(&tokens.access)
        .send()
        .await
        .expect(200)
}

async fn set_roles(server: &Server, admin: &Tokens, id: &str, roles: Value) {
    server
        .put(&format!("/admin/users/{id}/roles"))
        .bearer(&admin.access)
        .json(json!({ "roles": roles }))
        .send()
        .await
        .expect(200);
}

/// A second server on the same database that follows the feed, as `tessera
/// serve` does (the first never needs to: it made the changes).
async fn following(db: &TestDb) -> Server {
    let server = setup().start_with_clock(db, ManualClock::new(START)).await;
    let auth = server.state.auth.clone();
    tokio::spawn(async move {
        while auth.follow_revocations().await.is_err() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    });
    server
}

/// Polls `check` until it holds or [`PATIENCE`] runs out.
async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + PATIENCE;
    while !check().await {
        assert!(Instant::now() < deadline, "{what}: not within {PATIENCE:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn identity(subject: &str) -> VerifiedIdentity {
    VerifiedIdentity {
        issuer: "https://idp.test".to_owned(),
        subject: subject.to_owned(),
        email: None,
        email_verified: false,
        name: None,
        preferred_username: None,
    }
}

/// The user as `auth`'s `/auth/me` would show it, read past the token
/// check (so a revoked token does not hide what the cache holds).
async fn shown(auth: &AuthService, id: &str) -> Result<(Vec<String>, bool), AccountError> {
    auth.current_user(id)
        .await
        .map(|user| (user.roles.clone(), user.disabled))
}

backend_tests! {
    async fn me_is_served_from_memory_and_shows_every_change_at_once(db) {
        let server = Server::start(&db).await;
        let admin = server.admin("root").await;
        let ada = server.signed_up("ada").await;
        let id = user_id(&ada);
        let auth = &server.state.auth;
        assert_eq!(me(&server, &ada).await["roles"], json!([]));
        assert_eq!(auth.cached_users(), 1, "the first read is kept");
        assert_eq!(me(&server, &ada).await["username"], "ada");
        assert_eq!(auth.cached_users(), 1);

        // A role added (the session stays): shown on the next request.
        set_roles(&server, &admin, &id, json!(["editor", "viewer"])).await;
        assert_eq!(auth.cached_users(), 0, "a role change empties the cache");
        assert_eq!(me(&server, &ada).await["roles"], json!(["editor", "viewer"]));

        // A password change (the caller's session stays).
        server
            .post("/auth/password")
            .bearer(&ada.access)
            .json(json!({ "current_password": PASSWORD, "new_password": "a-brand-new-passphrase" }))
            .send()
            .await
            .expect(200);
        assert_eq!(auth.cached_users(), 0, "a password change empties the cache");
        me(&server, &ada).await;

        // Linking and unlinking an identity.
        let linked = auth.link_identity(&id, "corp", &identity("ada-at-corp")).await.unwrap();
        assert_eq!(auth.cached_users(), 0, "a link empties the cache");
        me(&server, &ada).await;
        auth.unlink_identity(&id, &linked.id).await.unwrap();
        assert_eq!(auth.cached_users(), 0, "an unlink empties the cache");
        me(&server, &ada).await;

        // Disabled: the token is refused, and the cache holds no enabled ada.
        server
            .post(&format!("/admin/users/{id}/disable"))
            .bearer(&admin.access)
            .send()
            .await
            .expect(200);
        server.get("/auth/me").bearer(&ada.access).send().await.expect_error(401, "token_revoked");
        assert_eq!(shown(auth, &id).await.unwrap(), (vec!["editor".to_owned(), "viewer".to_owned()], true));

        // Enabled again: shown enabled at once.
        server
            .post(&format!("/admin/users/{id}/enable"))
            .bearer(&admin.access)
            .send()
            .await
            .expect(200);
        assert!(!shown(auth, &id).await.unwrap().1, "enabled at once");
        let again = server.post("/auth/login")
            .json(json!({ "username": "ada", "password": "a-brand-new-passphrase" }))
            .send()
            .await
            .expect(200);
        let again = Tokens::from_body(again);
        assert_eq!(me(&server, &again).await["disabled"], false);

        // Deleted: nothing cached outlives it.
        server.delete(&format!("/admin/users/{id}")).bearer(&admin.access).send().await.expect(204);
        assert!(matches!(shown(auth, &id).await, Err(AccountError::NotFound(_))));
        server.get("/auth/me").bearer(&again.access).send().await.expect_error(401, "token_revoked");
    }

    async fn a_change_on_one_instance_shows_on_another_after_its_resync(db) {
        // No feed is followed here (as when every announcement is lost, or
        // on SQLite, which has none): the periodic resync is what empties
        // the other instance's cache.
        let a = Server::start(&db).await;
        let b = Server::start(&db).await;
        let admin = a.admin("root").await;
        let ada = a.signed_up("ada").await;
        let id = user_id(&ada);
        assert_eq!(me(&b, &ada).await["roles"], json!([]));
        set_roles(&a, &admin, &id, json!(["editor"])).await;
        assert_eq!(
            me(&b, &ada).await["roles"],
            json!([]),
            "without a wake-up, b answers from its cache until its resync"
        );
        b.state.auth.sync_revocations().await.unwrap();
        assert_eq!(me(&b, &ada).await["roles"], json!(["editor"]));

        // A disable and a delete: no enabled ada after the resync either.
        b.state.auth.current_user(&id).await.unwrap();
        a.post(&format!("/admin/users/{id}/disable")).bearer(&admin.access).send().await.expect(200);
        b.state.auth.sync_revocations().await.unwrap();
        assert!(shown(&b.state.auth, &id).await.unwrap().1, "disabled on b after its resync");
        a.delete(&format!("/admin/users/{id}")).bearer(&admin.access).send().await.expect(204);
        b.state.auth.sync_revocations().await.unwrap();
        assert!(matches!(shown(&b.state.auth, &id).await, Err(AccountError::NotFound(_))));
    }
}

/// Two instances on one PostgreSQL database, the second following the feed:
/// each kind of change made on the first shows on the second's `/auth/me`
/// at once (polled, with a generous deadline), with no resync called.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_on_one_instance_shows_on_another_at_once_postgres() {
    crate::store_support::run(Kind::Postgres, |db| async move {
        let a = Server::start(&db).await;
        let b = following(&db).await;
        let admin = a.admin("root").await;
        let ada = a.signed_up("ada").await;
        let id = user_id(&ada);
        let on_b = b.state.auth.clone();
        // b's follower subscribes in the background; wait until a change
        // reaches it before relying on it.
        assert_eq!(me(&b, &ada).await["roles"], json!([]));
        set_roles(&a, &admin, &id, json!(["editor"])).await;
        eventually("a role added on a shows on b", || async {
            me(&b, &ada).await["roles"] == json!(["editor"])
        })
        .await;

        // Each further change, with b's cache filled just before it.
        let filled = |expected: Value| {
            let b = &b;
            let ada = &ada;
            async move {
                assert_eq!(me(b, ada).await["roles"], expected);
                assert!(b.state.auth.cached_users() > 0);
            }
        };
        filled(json!(["editor"])).await;
        set_roles(&a, &admin, &id, json!(["editor", "viewer"])).await;
        eventually("a second role shows on b", || async {
            me(&b, &ada).await["roles"] == json!(["editor", "viewer"])
        })
        .await;

        filled(json!(["editor", "viewer"])).await;
        a.post("/auth/password")
            .bearer(&ada.access)
            .json(json!({ "current_password": PASSWORD, "new_password": "a-brand-new-passphrase" }))
            .send()
            .await
            .expect(200);
        eventually("a password change empties b's cache", || async {
            on_b.cached_users() == 0
        })
        .await;

        filled(json!(["editor", "viewer"])).await;
        let linked = a
            .state
            .auth
            .link_identity(&id, "corp", &identity("ada-at-corp"))
            .await
            .unwrap();
        eventually("a link empties b's cache", || async {
            on_b.cached_users() == 0
        })
        .await;
        filled(json!(["editor", "viewer"])).await;
        a.state.auth.unlink_identity(&id, &linked.id).await.unwrap();
        eventually("an unlink empties b's cache", || async {
            on_b.cached_users() == 0
        })
        .await;

        filled(json!(["editor", "viewer"])).await;
        a.post(&format!("/admin/users/{id}/disable"))
            .bearer(&admin.access)
            .send()
            .await
            .expect(200);
        eventually("a disable shows on b", || async {
            shown(&on_b, &id).await.is_ok_and(|(_, disabled)| disabled)
        })
        .await;
        // The disable and the revocation of ada's sessions are two commits,
        // each announced: the token is refused once the second arrives.
        eventually("ada's token is refused on b", || async {
            b.get("/auth/me").bearer(&ada.access).send().await.status == 401
        })
        .await;

        a.post(&format!("/admin/users/{id}/enable"))
            .bearer(&admin.access)
            .send()
            .await
            .expect(200);
        eventually("an enable shows on b", || async {
            shown(&on_b, &id).await.is_ok_and(|(_, disabled)| !disabled)
        })
        .await;

        a.delete(&format!("/admin/users/{id}"))
            .bearer(&admin.access)
            .send()
            .await
            .expect(204);
        eventually("a delete shows on b", || async {
            matches!(shown(&on_b, &id).await, Err(AccountError::NotFound(_)))
        })
        .await;
    })
    .await;
}
