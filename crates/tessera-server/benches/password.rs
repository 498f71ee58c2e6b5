//! One argon2id hash at the parameters the server uses (OWASP: m = 19456 KiB,
//! t = 2, p = 1): the floor under every login, so the ideal login rate is
//! cores ÷ this time.
//!
//! Run: `cargo bench -p tessera-server --bench password`
#![allow(missing_docs, clippy::unwrap_used)]

use std::hint::black_box;
use std::time::Duration;

use argon2::password_hash::{PasswordHasher, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use criterion::{Criterion, criterion_group, criterion_main};

fn argon2id_owasp(c: &mut Criterion) {
    let params = Params::new(19_456, 2, 1, None).unwrap();
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
    let salt = SaltString::encode_b64(b"bench-only-salt!").unwrap();
    let mut group = c.benchmark_group("password");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(8));
    group.bench_function("argon2id m=19456 t=2 p=1", |b| {
        b.iter(|| {
            argon2
                .hash_password(black_box(b"correct horse battery staple"), &salt)
                .unwrap()
                .to_string()
        });
    });
    group.finish();
}

criterion_group!(benches, argon2id_owasp);
criterion_main!(benches);
