//! Forward auth for browsers: `GET /auth/verify?redirect=1` sends a
//! browser's page load of an allowlisted URL to the sign-in page (an
//! absolute `Location` carrying the original URL), and everything else —
//! API clients, other methods, forged or off-list forwarded headers, no
//! `redirect=1` — still gets the 401. `/login` sends a browser that is
//! already signed in straight on to its allowed `rd`.

use crate::http_support::{Call, PASSWORD, PUBLIC_URL, Setup, setup};
use crate::pages_support::{Browser, ExpectStatus};
use crate::store_support::backend_tests;

const APP: &str = "https://app.example.com";
const HTML: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

fn guarded() -> Setup {
    setup().var("TESSERA_RETURN_TO", format!("{PUBLIC_URL},{APP}/area/"))
}

/// A verify request as Traefik sends it for a browser's `GET`.
fn as_traefik(call: Call, proto: &str, host: &str, uri: &str) -> Call {
    call.header("accept", HTML)
        .header("x-forwarded-method", "GET")
        .header("x-forwarded-proto", proto)
        .header("x-forwarded-host", host)
        .header("x-forwarded-uri", uri)
}

/// The login URL that carries `original` back.
fn login_for(original: &str) -> String {
    format!(
        "{PUBLIC_URL}/login?{}",
        form_urlencoded::Serializer::new(String::new())
            .append_pair("rd", original)
            .finish()
    )
}

fn cookie_header(browser: &Browser<'_>) -> String {
    browser
        .cookies
        .iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect::<Vec<_>>()
        .join("; ")
}

backend_tests! {
    async fn a_browser_without_a_token_is_sent_to_login_with_the_original_url(db) {
        let server = guarded().start(&db).await;
        let reply = as_traefik(
            server.get("/auth/verify?redirect=1"),
            "https",
            "app.example.com",
            "/area/page?x=1&y=two",
        )
        .send()
        .await;
        reply.expect_status(302);
        let location = reply.header("location").unwrap();
        assert_eq!(location, login_for("https://app.example.com/area/page?x=1&y=two"));
        assert!(location.starts_with("http://auth.test/login?rd=https%3A%2F%2F"), "{location}");
        assert_eq!(reply.header("cache-control"), Some("no-store"));
        assert!(reply.header("x-auth-user").is_none());

        // The page it points at keeps the original URL for after the sign-in.
        let mut browser = Browser::new(&server);
        let path = location.strip_prefix(PUBLIC_URL).unwrap();
        let page = browser.get(path).await;
        page.expect_status(200);
        assert!(
            page.text().contains("name=\"rd\" value=\"https://app.example.com/area/page?x=1&#38;y=two\""),
            "{}",
            page.text()
        );
        server.register("ada").await;
        let signed_in = browser
            .post("/login", &[("username", "ada"), ("password", PASSWORD), ("rd", "https://app.example.com/area/page?x=1&y=two")])
            .await;
        signed_in.expect_status(303);
        assert_eq!(signed_in.header("location"), Some("https://app.example.com/area/page?x=1&y=two"));
    }

    async fn api_requests_and_requests_without_redirect_1_still_get_401(db) {
        let server = guarded().start(&db).await;
        for (path, accept) in [
            ("/auth/verify?redirect=1", "application/json"),
            ("/auth/verify?redirect=1", "*/*"),
            ("/auth/verify?redirect=1", ""),
            ("/auth/verify", HTML),
            ("/auth/verify?redirect=0", HTML),
            ("/auth/verify?redirect", HTML),
        ] {
            let mut call = server
                .get(path)
                .header("x-forwarded-method", "GET")
                .header("x-forwarded-proto", "https")
                .header("x-forwarded-host", "app.example.com")
                .header("x-forwarded-uri", "/area/page");
            if !accept.is_empty() {
                call = call.header("accept", accept);
            }
            let reply = call.send().await;
            reply.expect_error(401, "missing_token");
            assert!(reply.header("location").is_none(), "{path} {accept}");
        }
    }

    async fn off_list_and_forged_forwarded_urls_get_401_not_a_redirect(db) {
        let server = guarded().start(&db).await;
        for (proto, host, uri) in [
            ("https", "evil.example", "/area/page"),
            ("https", "app.example.com", "/other"),
            ("http", "app.example.com", "/area/page"),
            ("https", "app.example.com:8443", "/area/page"),
            ("https", "app.example.com@evil.example", "/area/page"),
            ("https", "evil.example#app.example.com", "/area/page"),
            ("https", "app.example.com,evil.example", "/area/page"),
            ("https", "evil.example/app.example.com", "/area/page"),
            ("https,http", "app.example.com", "/area/page"),
            ("javascript", "app.example.com", "/area/page"),
            ("https", "app.example.com", "/area/../admin"),
            ("https", "app.example.com", "/area/%2e%2e/admin"),
            ("https", "app.example.com", "/area/..%2fadmin"),
            ("https", "app.example.com", "/area/%5c..%5cadmin"),
            ("https", "app.example.com", "//evil.example/area/"),
            ("https", "app.example.com", "area/page"),
            ("https", "app.example.com", "/area/page#frag"),
            ("https", "app.example.com", "/area/\\evil"),
            ("https", "", "/area/page"),
        ] {
            let reply = as_traefik(server.get("/auth/verify?redirect=1"), proto, host, uri)
                .send()
                .await;
            assert_eq!(reply.status, 401, "{proto} {host} {uri}: {reply}");
            assert!(reply.header("location").is_none(), "{proto} {host} {uri}");
        }
        // A header given twice is a chain this server cannot tell apart.
        let twice = as_traefik(server.get("/auth/verify?redirect=1"), "https", "app.example.com", "/area/page")
            .header("x-forwarded-host", "evil.example")
            .send()
            .await;
        assert_eq!(twice.status, 401, "{twice}");
        // A missing header rebuilds nothing.
        let missing = server
            .get("/auth/verify?redirect=1")
            .header("accept", HTML)
            .header("x-forwarded-proto", "https")
            .header("x-forwarded-host", "app.example.com")
            .send()
            .await;
        assert_eq!(missing.status, 401, "{missing}");
    }

    async fn only_page_loads_are_redirected(db) {
        let server = guarded().start(&db).await;
        for method in ["POST", "DELETE", "get"] {
            let reply = server
                .get("/auth/verify?redirect=1")
                .header("accept", HTML)
                .header("x-forwarded-method", method)
                .header("x-forwarded-proto", "https")
                .header("x-forwarded-host", "app.example.com")
                .header("x-forwarded-uri", "/area/page")
                .send()
                .await;
            assert_eq!(reply.status, 401, "{method}: {reply}");
        }
        let head = as_traefik(server.get("/auth/verify?redirect=1"), "https", "app.example.com", "/area/page")
            .header("x-original-method", "HEAD")
            .send()
            .await;
        assert_eq!(head.status, 302, "{head}");
    }

    async fn a_signed_in_browser_passes_and_an_expired_one_comes_straight_back(db) {
        let server = guarded().start(&db).await;
        server.register("ada").await;
        let mut browser = Browser::new(&server);
        browser.sign_in("ada", PASSWORD).await.expect_status(303);
        let original = "https://app.example.com/area/page?x=1";

        let ok = as_traefik(server.get("/auth/verify?redirect=1"), "https", "app.example.com", "/area/page?x=1")
            .header("cookie", &cookie_header(&browser))
            .send()
            .await;
        ok.expect_status(200);
        assert!(ok.header("x-auth-user").is_some());

        // The access cookie expires; verify cannot refresh, the login page can.
        server.clock.advance(901);
        let expired = as_traefik(server.get("/auth/verify?redirect=1"), "https", "app.example.com", "/area/page?x=1")
            .header("cookie", &cookie_header(&browser))
            .send()
            .await;
        expired.expect_status(302);
        let location = expired.header("location").unwrap().to_owned();
        assert_eq!(location, login_for(original));
        let back = browser.get(location.strip_prefix(PUBLIC_URL).unwrap()).await;
        back.expect_status(303);
        assert_eq!(back.header("location"), Some(original));
        assert!(back.set_cookies().iter().any(|c| c.starts_with("access_token_cookie=")));

        // Signed in, with an rd off the list (or none): the login page.
        for rd in ["?rd=https%3A%2F%2Fevil.example%2Farea%2F", ""] {
            let page = browser.get(&format!("/login{rd}")).await;
            page.expect_status(200);
        }
    }
}
