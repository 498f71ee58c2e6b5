//! The `amr` claim over HTTP: how the session signed in, in every access
//! token of the session, also after refreshes, and in the session list.

use serde_json::json;

use crate::http_support::{Server, Tokens, claims};
use crate::store_support::backend_tests;

backend_tests! {
    async fn a_password_login_mints_amr_pwd(db) {
        let server = Server::start(&db).await;
        let login = server.signed_up("ada").await;
        assert_eq!(claims(&login.access)["amr"], json!(["pwd"]));
        // Refresh tokens are not what apps check; the claim rides on access tokens.
        assert_eq!(claims(&login.refresh).get("amr"), None);
    }

    async fn amr_is_kept_across_refreshes(db) {
        let server = Server::start(&db).await;
        let login = server.signed_up("ada").await;
        server.clock.advance(60);
        let rotated = Tokens::from_body(server.refresh(&login.refresh).await.expect(200));
        assert_eq!(claims(&rotated.access)["amr"], json!(["pwd"]));
        let again = Tokens::from_body(server.refresh(&rotated.refresh).await.expect(200));
        assert_eq!(claims(&again.access)["amr"], json!(["pwd"]));
    }

    async fn amr_is_stored_on_the_session_and_listed(db) {
        let server = Server::start(&db).await;
        let login = server.signed_up("ada").await;
        let record = server.state.auth.store().session(&login.sid()).await.unwrap().unwrap();
        assert_eq!(record.amr, ["pwd"]);
        let listed = server.get("/auth/sessions").bearer(&login.access).send().await.expect(200);
        assert_eq!(listed["sessions"][0]["amr"], json!(["pwd"]));
    }
}
