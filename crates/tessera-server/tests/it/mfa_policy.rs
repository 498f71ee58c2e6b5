//! `TESSERA_MFA_REQUIRED_ROLES`: the admin role withheld until a second
//! factor, a limited token that can enrol, and users it does not concern.

use serde_json::json;

use crate::http_support::{PASSWORD, Server, Tokens, claims};
use crate::mfa_support::{enrol_with, mfa_setup, mfa_token, verify};
use crate::store_support::{TestDb, backend_tests};

async fn admins_need_mfa(db: &TestDb) -> Server {
    mfa_setup()
        .settings(|settings| settings.mfa_required_roles = vec!["admin".to_owned()])
        .start(db)
        .await
}

fn roles(tokens: &Tokens) -> serde_json::Value {
    claims(&tokens.access)["roles"].clone()
}

backend_tests! {
    async fn an_admin_without_a_second_factor_gets_a_limited_token_and_is_told_to_enrol(db) {
        let server = admins_need_mfa(&db).await;
        let root = server.admin("root").await;
        assert_eq!(roles(&root), json!([]));
        assert_eq!(root.body["mfa_enrollment_required"], true);
        server.get("/admin/users").bearer(&root.access).send().await.expect_error(403, "insufficient_role");
        // A refresh stays limited.
        let rotated = Tokens::from_body(server.refresh(&root.refresh).await.expect(200));
        assert_eq!(roles(&rotated), json!([]));
        assert_eq!(rotated.body["mfa_enrollment_required"], true);
    }

    async fn the_admin_role_comes_only_after_the_second_factor(db) {
        let server = admins_need_mfa(&db).await;
        let root = server.admin("root").await;
        // The limited token is enough to enrol.
        let enrolled = enrol_with(&server, root).await;
        let token = mfa_token(&server, "root").await;
        let body = verify(&server, json!({ "mfa_token": token, "code": enrolled.code(&server) })).await.expect(200);
        assert_eq!(body.get("mfa_enrollment_required"), None);
        let full = Tokens::from_body(body);
        assert_eq!(roles(&full), json!(["admin"]));
        server.get("/admin/users").bearer(&full.access).send().await.expect(200);
        let rotated = Tokens::from_body(server.refresh(&full.refresh).await.expect(200));
        assert_eq!(roles(&rotated), json!(["admin"]));
    }

    async fn users_without_a_required_role_are_not_concerned(db) {
        let server = admins_need_mfa(&db).await;
        let ada = server.signed_up("ada").await;
        assert_eq!(ada.body.get("mfa_enrollment_required"), None);
        let body = server.post("/auth/login").json(json!({ "username": "ada", "password": PASSWORD }))
            .send().await.expect(200);
        assert!(body["access_token"].is_string());
    }

    async fn without_the_policy_an_admin_keeps_the_role_with_a_password(db) {
        let server = mfa_setup().start(&db).await;
        let root = server.admin("root").await;
        assert_eq!(roles(&root), json!(["admin"]));
    }
}
