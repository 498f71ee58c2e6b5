//! What every example needs: a manager from the environment (and `.env`),
//! with a freshly generated secret when `JWT_SECRET_KEY` is not set, and a
//! server on 127.0.0.1:3000.

use tessera::{JwtConfig, JwtManager};

/// `JwtConfig::from_env()`, adjusted by `adjust`. Without `JWT_SECRET_KEY`,
/// a random one is generated for this run only (tokens die with the process).
pub(crate) fn manager(adjust: impl FnOnce(&mut JwtConfig)) -> JwtManager {
    if let Err(err) = tessera::config::load_dotenv() {
        exit(&err);
    }
    let secret = std::env::var("JWT_SECRET_KEY")
        .ok()
        .filter(|value| !value.is_empty());
    let secret = match secret {
        Some(secret) => secret,
        None => {
            eprintln!("note: JWT_SECRET_KEY is not set; using a random secret for this run only");
            tessera::keys::generate_secret(64).unwrap_or_else(|err| exit(&err))
        }
    };
    let lookup = |name: &str| match name {
        "JWT_SECRET_KEY" => Some(secret.clone()),
        _ => std::env::var(name).ok(),
    };
    let mut config = JwtConfig::from_lookup(lookup).unwrap_or_else(|err| exit(&err));
    adjust(&mut config);
    JwtManager::new(config).unwrap_or_else(|err| exit(&err))
}

/// Serves `app` on 127.0.0.1:3000.
pub(crate) async fn serve(app: axum::Router) {
    let address = "127.0.0.1:3000";
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .unwrap_or_else(|err| exit(&err));
    eprintln!("listening on http://{address}");
    if let Err(err) = axum::serve(listener, app).await {
        exit(&err);
    }
}

// An example's whole error handling: say what failed, exit non-zero.
#[allow(clippy::exit)]
fn exit(err: &dyn std::fmt::Display) -> ! {
    eprintln!("error: {err}");
    std::process::exit(1)
}
