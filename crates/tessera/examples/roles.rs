//! Role checks: a `roles` claim written at login, `RequireRoles` on the
//! admin routes, and typed claims in a handler.
//!
//! ```text
//! cargo run -p tessera --example roles
//!
//! ADMIN=$(curl -s -X POST localhost:3000/login/alice)   # roles: admin, user
//! USER=$(curl -s -X POST localhost:3000/login/bob)      # roles: user
//!
//! # Everyone with a token: {"roles":["user"],"user":"bob"}
//! curl -s localhost:3000/me -H "Authorization: Bearer $USER"
//!
//! # Admins only: "welcome, alice" for alice, 403 {"error":"insufficient_role",...} for bob
//! curl -s localhost:3000/admin -H "Authorization: Bearer $ADMIN"
//! curl -si localhost:3000/admin -H "Authorization: Bearer $USER"
//! ```

mod common;

use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use tessera::{IssueError, Jwt, JwtManager, RequireRoles, TokenOptions};

/// The claims this app puts in every access token, read back typed.
#[derive(Deserialize)]
struct AppClaims {
    roles: Vec<String>,
}

async fn login(
    State(jwt): State<JwtManager>,
    Path(name): Path<String>,
) -> Result<String, IssueError> {
    // A real application checks a password and reads roles from its store.
    let roles: &[&str] = if name == "alice" {
        &["admin", "user"]
    } else {
        &["user"]
    };
    jwt.create_access_token_with(&name, TokenOptions::new().claim("roles", roles))
}

async fn me(token: Jwt<AppClaims>) -> Json<Value> {
    Json(json!({"user": token.identity(), "roles": token.extra().roles}))
}

async fn admin(token: Jwt) -> String {
    format!("welcome, {}", token.identity())
}

#[tokio::main]
async fn main() {
    let jwt = common::manager(|_| {});
    let admin_routes = Router::new()
        .route("/admin", get(admin))
        .route_layer(RequireRoles::any(&jwt, ["admin"]));
    let app = Router::new()
        .route("/login/{name}", post(login))
        .route("/me", get(me))
        .merge(admin_routes)
        .with_state(jwt);
    common::serve(app).await;
}
