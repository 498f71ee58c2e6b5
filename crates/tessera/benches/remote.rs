//! Verifying with a cached remote key (`RemoteJwks`, keys already fetched)
//! next to the same verification with the same key held locally: the
//! remote path adds a header peek, a read lock and a lookup by `kid`.
//!
//! Run: `cargo bench -p tessera --bench remote --features remote-jwks`
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use axum::Router;
use axum::http::header;
use axum::routing::get;
use criterion::{Criterion, criterion_group, criterion_main};
use tessera::remote::RemoteJwks;
use tessera::{
    Algorithm, Claims, DecodeOptions, ExtraClaims, GeneratedKeyPair, Key, KeySet, TokenCodec,
    TokenType,
};

/// Drives a future that completes without waiting: with the keys cached,
/// verification never awaits I/O, so no runtime is measured.
fn ready<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("verification waited on I/O: the keys were not cached"),
    }
}

/// Serves `key`'s public JWK on 127.0.0.1 for a day and returns a
/// `RemoteJwks` that has fetched it.
fn remote_for(runtime: &tokio::runtime::Runtime, key: &Key) -> RemoteJwks {
    let body = KeySet::new(key.public_only().unwrap()).jwks();
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/jwks", listener.local_addr().unwrap());
        let app =
            Router::new().route(
                "/jwks",
                get(move || async move {
                    ([(header::CACHE_CONTROL, "max-age=86400")], axum::Json(body))
                }),
            );
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        let remote = RemoteJwks::from_jwks_url(url)
            .allow_loopback_http(true)
            .build()
            .unwrap();
        remote.refresh().await.unwrap();
        remote
    })
}

fn local_vs_remote(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let options = DecodeOptions::expect(TokenType::Access);
    for alg in [Algorithm::ES256, Algorithm::EdDSA, Algorithm::RS256] {
        let key =
            Key::from_pem(alg, &GeneratedKeyPair::generate(alg).unwrap().private_pem).unwrap();
        let remote = remote_for(&runtime, &key);
        let local = TokenCodec::new(KeySet::new(key));
        let claims = Claims::new(
            "42",
            TokenType::Access,
            local.now(),
            Some(900),
            ExtraClaims::new(),
        );
        let token = local.encode(&claims).unwrap();

        c.bench_function(&format!("verify/{alg} local key"), |b| {
            b.iter(|| {
                local
                    .decode_with::<ExtraClaims>(black_box(&token), options)
                    .unwrap()
            });
        });
        c.bench_function(&format!("verify/{alg} cached remote key"), |b| {
            b.iter(|| ready(remote.verify::<ExtraClaims>(black_box(&token), options)).unwrap());
        });
    }
}

criterion_group!(benches, local_vs_remote);
criterion_main!(benches);
