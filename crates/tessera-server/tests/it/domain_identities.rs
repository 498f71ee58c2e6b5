//! Provider identities over a real store: the last way to sign in survives
//! two unlinks at once, on each backend.

use tessera_server::domain::{AccountError, IdentityError, ServerSettings};
use tessera_server::oauth::VerifiedIdentity;

use crate::store_support::{Harness, backend_tests, client, test_settings};

/// How many users race their two unlinks: enough that two statements
/// overlap on PostgreSQL in practice, cheap on SQLite.
const ROUNDS: usize = 20;

fn identity(subject: String) -> VerifiedIdentity {
    VerifiedIdentity {
        issuer: "https://id.example".to_owned(),
        subject,
        email: None,
        email_verified: false,
        name: Some("Ada Lovelace".to_owned()),
        preferred_username: None,
    }
}

backend_tests! {
    async fn two_simultaneous_unlinks_of_a_passwordless_users_last_two_identities_leave_one(db) {
        let h = Harness::open(&db).await;
        for round in 0..ROUNDS {
            let first = identity(format!("{round}-a"));
            let signed_in = h
                .auth
                .sign_in_with_identity("corp", &first, client("test-agent/1.0", "127.0.0.1"))
                .await
                .unwrap();
            let user_id = signed_in.grant.user.id.clone();
            h.auth.link_identity(&user_id, "corp", &identity(format!("{round}-b"))).await.unwrap();
            let ids: Vec<String> = h.auth.identities(&user_id).await.unwrap().into_iter().map(|i| i.id).collect();
            assert_eq!(ids.len(), 2);
            let (a, b) = tokio::join!(
                h.auth.unlink_identity(&user_id, &ids[0]),
                h.auth.unlink_identity(&user_id, &ids[1]),
            );
            let outcomes = [a, b];
            let unlinked = outcomes.iter().filter(|outcome| outcome.is_ok()).count();
            assert_eq!(unlinked, 1, "round {round}: {outcomes:?}");
            assert!(
                outcomes.iter().any(|outcome| matches!(outcome, Err(IdentityError::LastWay))),
                "round {round}: {outcomes:?}"
            );
            assert_eq!(h.auth.identities(&user_id).await.unwrap().len(), 1, "round {round}");
        }
    }

    async fn closed_registration_stops_first_sign_ins_but_not_linked_identities(db) {
        let h = Harness::open(&db).await;
        let known = identity("known".to_owned());
        h.auth.sign_in_with_identity("corp", &known, client("test-agent/1.0", "127.0.0.1")).await.unwrap();
        let closed = h.reopen(ServerSettings { registration_open: false, ..test_settings() }).await;
        let refused = closed
            .sign_in_with_identity("corp", &identity("new".to_owned()), client("test-agent/1.0", "127.0.0.1"))
            .await;
        assert!(
            matches!(refused, Err(IdentityError::Auth(AccountError::RegistrationClosed))),
            "{refused:?}"
        );
        let again = closed
            .sign_in_with_identity("corp", &known, client("test-agent/1.0", "127.0.0.1"))
            .await
            .unwrap();
        assert!(!again.created);
    }
}
