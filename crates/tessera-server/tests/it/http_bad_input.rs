//! Each class of bad input gets its own status and the `{error, message}`
//! shape — never a 500, never a panic.

use serde_json::json;

use crate::http_support::{PASSWORD, Server, assert_error_shape};
use crate::store_support::backend_tests;

backend_tests! {
    async fn a_body_over_64_kib_is_413(db) {
        let server = Server::start(&db).await;
        let padding = "x".repeat(64 * 1024);
        let body = json!({ "username": "ada", "password": PASSWORD, "email": padding });
        for path in ["/auth/register", "/auth/login"] {
            server
                .post(path)
                .json(body.clone())
                .send()
                .await
                .expect_error(413, "payload_too_large");
        }
    }

    async fn a_body_just_under_the_limit_is_read(db) {
        let server = Server::start(&db).await;
        // Valid JSON of almost 64 KiB: read and judged on its content.
        let padding = " ".repeat(64 * 1024 - 100);
        let text = format!("{{\"username\": \"ada\",{padding}\"password\": \"{PASSWORD}\"}}");
        server.post("/auth/register").body("application/json", text).send().await.expect(201);
    }

    async fn a_body_that_is_not_json_is_415(db) {
        let server = Server::start(&db).await;
        let form = format!("username=ada&password={PASSWORD}");
        let types = ["application/x-www-form-urlencoded", "text/plain", "application/jsonx"];
        for content_type in types {
            server
                .post("/auth/register")
                .body(content_type, form.clone())
                .send()
                .await
                .expect_error(415, "unsupported_media_type");
        }
        // And with no content type at all.
        server.post("/auth/login").send().await.expect_error(415, "unsupported_media_type");
    }

    async fn a_json_content_type_with_parameters_or_a_suffix_is_accepted(db) {
        let server = Server::start(&db).await;
        let body = serde_json::to_vec(&json!({ "username": "ada", "password": PASSWORD })).unwrap();
        server
            .post("/auth/register")
            .body("application/json; charset=utf-8", body.clone())
            .send()
            .await
            .expect(201);
        server.post("/auth/login").body("application/vnd.api+json", body).send().await.expect(200);
    }

    async fn malformed_json_is_400(db) {
        let server = Server::start(&db).await;
        let trailing = format!("{{\"username\": \"ada\", \"password\": \"{PASSWORD}\"}} trailing");
        for text in ["{", "{\"username\": \"ada\",}", "not json", trailing.as_str(), "\u{fffd}"] {
            server
                .post("/auth/register")
                .body("application/json", text)
                .send()
                .await
                .expect_error(400, "bad_request");
        }
        server
            .post("/auth/login")
            .body("application/json", vec![b'{', 0xff, 0xfe, b'}'])
            .send()
            .await
            .expect_error(400, "bad_request");
    }

    async fn a_missing_field_is_422_naming_it(db) {
        let server = Server::start(&db).await;
        let body = server
            .post("/auth/register")
            .json(json!({ "username": "ada" }))
            .send()
            .await
            .expect_error(422, "validation_failed");
        assert_eq!(body["field"], "password");
        let body = server
            .post("/auth/login")
            .json(json!({ "password": PASSWORD }))
            .send()
            .await
            .expect_error(422, "validation_failed");
        assert_eq!(body["field"], "username");
    }

    async fn a_field_of_the_wrong_type_is_422_naming_it(db) {
        let server = Server::start(&db).await;
        let body = server
            .post("/auth/register")
            .json(json!({ "username": 42, "password": PASSWORD }))
            .send()
            .await
            .expect_error(422, "validation_failed");
        assert_eq!(body["field"], "username");
        let body = server
            .post("/auth/register")
            .json(json!({ "username": "ada", "password": PASSWORD, "email": ["a@b.c"] }))
            .send()
            .await
            .expect_error(422, "validation_failed");
        assert_eq!(body["field"], "email");
    }

    async fn an_unknown_field_is_422_naming_it(db) {
        let server = Server::start(&db).await;
        let body = server
            .post("/auth/register")
            .json(json!({ "username": "ada", "password": PASSWORD, "is_admin": true }))
            .send()
            .await
            .expect_error(422, "validation_failed");
        assert_eq!(body["field"], "is_admin");
        // Nothing was created.
        server.register("ada").await;
    }

    async fn a_json_value_that_is_not_an_object_is_422(db) {
        let server = Server::start(&db).await;
        for text in ["[]", "\"ada\"", "null", "42"] {
            server
                .post("/auth/login")
                .body("application/json", text)
                .send()
                .await
                .expect_error(422, "validation_failed");
        }
    }

    async fn an_invalid_query_parameter_is_a_json_error(db) {
        let server = Server::start(&db).await;
        let admin = server.admin("root").await;
        let body = server
            .get("/admin/users?limit=lots")
            .bearer(&admin.access)
            .send()
            .await
            .expect_error(422, "validation_failed");
        assert_eq!(body["field"], "limit");
        let body = server
            .post("/auth/login?cookies=maybe")
            .json(json!({ "username": "root", "password": PASSWORD }))
            .send()
            .await
            .expect_error(422, "validation_failed");
        assert_eq!(body["field"], "cookies");
    }

    async fn a_path_segment_that_is_not_utf8_is_a_json_error(db) {
        let server = Server::start(&db).await;
        let admin = server.admin("root").await;
        let reply = server.get("/admin/users/%FF%FE").bearer(&admin.access).send().await;
        assert_eq!(reply.status, 400, "{reply}");
        assert_error_shape(&reply.json());
    }

    async fn a_malformed_authorization_header_is_a_json_4xx(db) {
        let server = Server::start(&db).await;
        for value in ["Bearer", "Bearer ", "Bearer a b", "Basic YWRhOnB3", "bearer x.y.z"] {
            let reply = server.get("/auth/me").header("authorization", value).send().await;
            let status = reply.status.as_u16();
            assert!((400..500).contains(&status), "{value:?}: {reply}");
            assert_error_shape(&reply.json());
        }
    }

    async fn an_unknown_route_is_404_json(db) {
        let server = Server::start(&db).await;
        for path in ["/nope", "/auth", "/auth/me/extra", "/admin/users/x/y/z"] {
            let body = server.get(path).send().await.expect_error(404, "not_found");
            assert!(body["message"].as_str().unwrap().contains("/docs"), "{body}");
        }
    }

    async fn a_wrong_method_is_405_json(db) {
        let server = Server::start(&db).await;
        server.get("/auth/login").send().await.expect_error(405, "method_not_allowed");
        server.delete("/auth/me").send().await.expect_error(405, "method_not_allowed");
        server.put("/healthz").send().await.expect_error(405, "method_not_allowed");
    }

    async fn nul_characters_are_refused_without_reaching_the_database(db) {
        // PostgreSQL refuses NUL in text; it must never see one.
        let server = Server::start(&db).await;
        let admin = server.admin("root").await;
        let ada = server.signed_up("ada").await;
        let login = server
            .post("/auth/login")
            .json(json!({ "username": "ad\u{0}a", "password": PASSWORD }))
            .send()
            .await;
        login.expect_error(401, "invalid_credentials");
        let register = server
            .post("/auth/register")
            .json(json!({ "username": "bob", "password": PASSWORD, "email": "b\u{0}@example.org" }))
            .send()
            .await;
        assert_eq!(register.expect_error(422, "validation_failed")["field"], "email");
        for path in ["/admin/users/%00", "/admin/users/a%00b/sessions"] {
            let reply = server.get(path).bearer(&admin.access).send().await;
            assert_eq!(reply.status, 400, "{path}: {reply}");
            assert_error_shape(&reply.json());
        }
        let reply = server.delete("/auth/sessions/%00").bearer(&ada.access).send().await;
        assert_eq!(reply.status, 400, "{reply}");
        for (path, field) in [
            ("/admin/users?q=%00", "q"),
            ("/admin/audit?kind=a%00", "kind"),
            ("/admin/audit?user_id=%00", "user_id"),
        ] {
            let body = server
                .get(path)
                .bearer(&admin.access)
                .send()
                .await
                .expect_error(422, "validation_failed");
            assert_eq!(body["field"], field, "{path}");
        }
        let body = server
            .post("/auth/logout?scope=%00")
            .bearer(&ada.access)
            .send()
            .await
            .expect_error(422, "validation_failed");
        assert_eq!(body["field"], "scope");
    }

    async fn no_client_input_causes_a_500(db) {
        let server = Server::start(&db).await;
        let tokens = server.signed_up("ada").await;
        let bodies: [&[u8]; 8] = [
            b"",
            b"{}",
            b"{\"username\": null, \"password\": null}",
            br#"{"username": "\u0000", "password": "\u0000\u0000\u0000\u0000\u0000\u0000"}"#,
            b"{\"username\": \"\\ud800\", \"password\": \"x\"}",
            b"{\"refresh_token\": 1}",
            b"{\"current_password\": \"\", \"new_password\": \"\"}",
            b"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
        ];
        let long_name = "a".repeat(10_000);
        let long_password = "p".repeat(50_000);
        let paths = [
            "/auth/register",
            "/auth/login",
            "/auth/refresh",
            "/auth/logout",
            "/auth/password",
        ];
        for path in paths {
            for body in bodies {
                for bearer in [None, Some(tokens.access.as_str())] {
                    let mut call = server.post(path).body("application/json", body.to_vec());
                    if let Some(token) = bearer {
                        call = call.bearer(token);
                    }
                    let reply = call.send().await;
                    let sent = String::from_utf8_lossy(body);
                    assert!(reply.status.as_u16() < 500, "{path} {sent:?}: {reply}");
                }
            }
            let reply = server
                .post(path)
                .json(json!({ "username": long_name, "password": long_password }))
                .send()
                .await;
            assert!(reply.status.as_u16() < 500, "{path}: {reply}");
        }
    }
}
