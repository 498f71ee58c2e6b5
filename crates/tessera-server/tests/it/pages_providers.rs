//! The account page's linked sign-in providers over HTTP, against the real
//! OpenID provider (tests/oidc-provider): link from a form (through the
//! provider and back to `/account`), the list, unlink, the refusal to
//! unlink the last way to sign in, the password asked of a session that is
//! no longer fresh, and provider errors shown on the page.

use tessera::{Clock, ManualClock, SystemClock};

use crate::http_support::{PASSWORD, PUBLIC_URL, Server, setup};
use crate::oidc_support::{
    self, OidcClient, OidcProvider, PROVIDER_PASSWORD, ProviderOptions, query_param,
};
use crate::pages_support::{Browser, ExpectStatus, element_text};
use crate::store_support::backend_tests;

const CLIENT_ID: &str = "tessera-portal";
const CLIENT_SECRET: &str = "client-secret-for-portal-tests";
const FLOW_COOKIE: &str = "tessera_oauth_flow";

/// A Tessera server with provider `corp` (shown as "Corp") and the provider.
async fn with_provider(db: &crate::store_support::TestDb) -> Option<(Server, OidcProvider)> {
    let callback = format!("{PUBLIC_URL}/auth/oauth/corp/callback");
    let client = OidcClient::new(CLIENT_ID, CLIENT_SECRET, &callback);
    let provider = OidcProvider::start(ProviderOptions::new().client(client)).await?;
    let server = setup()
        .var("TESSERA_OIDC_PROVIDERS", "corp")
        .var("TESSERA_OIDC_CORP_ISSUER", provider.issuer())
        .var("TESSERA_OIDC_CORP_CLIENT_ID", CLIENT_ID)
        .var("TESSERA_OIDC_CORP_CLIENT_SECRET", CLIENT_SECRET)
        .var("TESSERA_OIDC_CORP_LABEL", "Corp")
        .var("TESSERA_OIDC_ALLOW_LOOPBACK_HTTP", "true")
        .start_with_clock(db, ManualClock::new(SystemClock.now()))
        .await;
    Some((server, provider))
}

/// Signs `who` in at the provider's own pages; the callback path (on
/// Tessera) the provider sends the browser to.
async fn at_provider(provider_url: &str, who: &str) -> String {
    let mut outside = oidc_support::Browser::new();
    let page = outside
        .sign_in(provider_url, who, PROVIDER_PASSWORD, Some(PUBLIC_URL))
        .await;
    let location = page.location().unwrap_or_else(|| panic!("{page:#?}"));
    location.strip_prefix(PUBLIC_URL).unwrap().to_owned()
}

/// Presses "Link Corp" (with `password` when the form asks for one); the
/// provider URL the answer's "Continue" link goes to.
async fn press_link(
    browser: &mut Browser<'_>,
    provider: &OidcProvider,
    password: Option<&str>,
) -> String {
    let mut fields = vec![("provider", "corp")];
    if let Some(password) = password {
        fields.push(("current_password", password));
    }
    let reply = browser.post("/account/providers/link", &fields).await;
    reply.expect_status(200);
    assert!(browser.has(FLOW_COOKIE), "no flow cookie: {reply}");
    let html = reply.text();
    let marker = "id=\"continue\" href=\"";
    let at = html
        .find(marker)
        .unwrap_or_else(|| panic!("no continue link: {html}"))
        + marker.len();
    let href = &html[at..at + html[at..].find('"').unwrap()];
    assert!(href.starts_with(provider.issuer()), "{href}");
    href.replace("&#38;", "&")
}

fn identity_rows(html: &str) -> usize {
    html.matches("class=\"card identity\"").count()
}

backend_tests! {
    async fn a_fresh_session_links_a_provider_from_the_account_page_and_unlinks_it(db) {
        let Some((server, provider)) = with_provider(&db).await else { return };
        let grace = server.register("grace_h").await;
        let user = grace["id"].as_str().unwrap().to_owned();
        let mut browser = Browser::new(&server);
        browser.sign_in("grace_h", PASSWORD).await.expect_status(303);

        let account = browser.get("/account").await;
        account.expect_status(200);
        let html = account.text();
        assert!(html.contains("Linked sign-in providers"), "{html}");
        assert!(html.contains("id=\"no-identities\""), "{html}");
        assert!(html.contains(">Link Corp</button>"), "{html}");
        assert!(!html.contains("id=\"link-password-1\""), "a fresh session is asked for its password: {html}");

        let url = press_link(&mut browser, &provider, None).await;
        let callback = at_provider(&url, "grace").await;
        let back = browser.get(&callback).await;
        back.expect_status(302);
        assert_eq!(back.header("location"), Some(format!("{PUBLIC_URL}/account?done=linked").as_str()));

        let linked = browser.get("/account?done=linked").await;
        let html = linked.expect_status(200).text();
        assert_eq!(element_text(&html, "notice").as_deref(),
            Some("The sign-in provider was linked. You can now sign in with it."));
        assert_eq!(identity_rows(&html), 1, "{html}");
        assert!(html.contains("grace@example.com"), "{html}");
        assert!(!html.contains(">Link Corp</button>"), "a linked provider is offered again");
        let identities = server.state.auth.identities(&user).await.unwrap();
        assert_eq!(identities.len(), 1);
        assert_eq!(identities[0].provider, "corp");

        // grace_h has a password, so the identity may go.
        let unlinked = browser
            .post("/account/providers/unlink", &[("identity_id", &identities[0].id)])
            .await;
        unlinked.expect_status(303);
        assert_eq!(unlinked.header("location"), Some("/account?done=unlinked"));
        assert!(server.state.auth.identities(&user).await.unwrap().is_empty());
        let html = browser.get("/account?done=unlinked").await.text();
        assert_eq!(identity_rows(&html), 0);
        assert!(html.contains(">Link Corp</button>"));
    }

    async fn the_last_way_to_sign_in_stays_linked_and_the_page_says_why(db) {
        let Some((server, _provider)) = with_provider(&db).await else { return };
        let mut browser = Browser::new(&server);
        let start = browser.get(&format!("/auth/oauth/corp/start?return_to={PUBLIC_URL}/account")).await;
        start.expect_status(302);
        let callback = at_provider(start.header("location").unwrap(), "ada").await;
        browser.get(&callback).await.expect_status(302);

        let html = browser.get("/account").await.expect_status(200).text();
        assert_eq!(identity_rows(&html), 1, "{html}");
        let marker = "name=\"identity_id\" value=\"";
        let at = html.find(marker).unwrap() + marker.len();
        let id = html[at..at + html[at..].find('"').unwrap()].to_owned();

        let refused = browser.post("/account/providers/unlink", &[("identity_id", &id)]).await;
        refused.expect_status(409);
        let html = refused.text();
        assert!(element_text(&html, "providers-error").unwrap().contains("only way you can sign in"), "{html}");
        assert_eq!(identity_rows(&html), 1, "the identity is still listed");
        assert_eq!(identity_rows(&browser.get("/account").await.text()), 1);
    }

    async fn a_session_that_is_not_fresh_links_only_with_the_current_password(db) {
        let Some((server, provider)) = with_provider(&db).await else { return };
        server.register("grace_h").await;
        let mut browser = Browser::new(&server);
        browser.sign_in("grace_h", PASSWORD).await.expect_status(303);
        // The access cookie expires; the page load renews it, not fresh.
        server.clock.advance(16 * 60);
        let html = browser.get("/account").await.expect_status(200).text();
        assert!(html.contains("id=\"link-password-1\""), "no password asked: {html}");

        let wrong = browser
            .post("/account/providers/link", &[("provider", "corp"), ("current_password", "not-my-password")])
            .await;
        wrong.expect_status(401);
        assert!(!browser.has(FLOW_COOKIE), "a flow started without the password");
        assert!(element_text(&wrong.text(), "providers-error").unwrap().contains("not your current password"));
        let missing = browser.post("/account/providers/link", &[("provider", "corp")]).await;
        missing.expect_status(401);

        let url = press_link(&mut browser, &provider, Some(PASSWORD)).await;
        let callback = at_provider(&url, "grace").await;
        browser.get(&callback).await.expect_status(302);
        assert_eq!(identity_rows(&browser.get("/account").await.text()), 1);
    }

    async fn a_provider_refusal_comes_back_as_a_message_on_the_account_page(db) {
        let Some((server, provider)) = with_provider(&db).await else { return };
        server.register("grace_h").await;
        let mut browser = Browser::new(&server);
        browser.sign_in("grace_h", PASSWORD).await.expect_status(303);
        browser.get("/account").await.expect_status(200);
        let url = press_link(&mut browser, &provider, None).await;
        // The person says no at the provider, which sends them back so.
        let state = query_param(&url, "state").unwrap();
        let back = browser
            .get(&format!("/auth/oauth/corp/callback?state={state}&error=access_denied"))
            .await;
        back.expect_status(302);
        let location = back.header("location").unwrap().to_owned();
        assert_eq!(location, format!("{PUBLIC_URL}/account?done=linked&error=access_denied"));
        let page = browser.get(location.strip_prefix(PUBLIC_URL).unwrap()).await;
        let html = page.expect_status(200).text();
        assert_eq!(element_text(&html, "providers-error").as_deref(),
            Some("The provider sign-in was cancelled, so nothing was linked."));
        assert!(element_text(&html, "notice").is_none(), "a refusal reads as a success");
        // A made-up code reads as the generic sentence, never as itself.
        let html = browser.get("/account?error=%3Cb%3Eowned%3C%2Fb%3E").await.text();
        assert!(!html.contains("owned"), "{html}");
        assert!(element_text(&html, "providers-error").unwrap().contains("did not confirm"));
    }

    async fn link_and_unlink_forms_are_held_to_the_csrf_checks(db) {
        let Some((server, _provider)) = with_provider(&db).await else { return };
        server.register("grace_h").await;
        let mut browser = Browser::new(&server);
        browser.sign_in("grace_h", PASSWORD).await.expect_status(303);
        browser.get("/account").await.expect_status(200);
        let csrf = browser.csrf.clone();
        for path in ["/account/providers/link", "/account/providers/unlink"] {
            let cross = browser
                .post_with(path, &[("provider", "corp"), ("csrf_token", &csrf)], &[("sec-fetch-site", "cross-site")])
                .await;
            cross.expect_status(403);
            let no_token = browser
                .post_with(path, &[("provider", "corp")], &[("origin", "null"), ("sec-fetch-site", "same-origin")])
                .await;
            no_token.expect_status(403);
        }
        assert!(!browser.has(FLOW_COOKIE));
    }

    async fn an_account_without_providers_configured_shows_no_provider_section(db) {
        let server = Server::start(&db).await;
        server.register("ada").await;
        let mut browser = Browser::new(&server);
        browser.sign_in("ada", PASSWORD).await.expect_status(303);
        let html = browser.get("/account").await.expect_status(200).text();
        assert!(!html.contains("Linked sign-in providers"), "{html}");
    }
}
