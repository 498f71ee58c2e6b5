//! Any bytes as a token: the verifier (as access and as refresh) and the
//! unverified `inspect` refuse or accept, and never panic.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use tessera::{Algorithm, ExtraClaims, Key, KeySet, TokenCodec, TokenType};

/// A fuzzing-only secret (64 bytes, not used anywhere else).
const SECRET: &[u8] = b"fuzz-only-secret-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

static CODEC: LazyLock<TokenCodec> = LazyLock::new(|| {
    let key = Key::hmac(Algorithm::HS256, SECRET).expect("a 64-byte secret");
    TokenCodec::builder(KeySet::new(key)).build()
});

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = CODEC.decode::<ExtraClaims>(text, TokenType::Access);
    let _ = CODEC.decode::<ExtraClaims>(text, TokenType::Refresh);
    let _ = tessera::inspect(text, 64 * 1024);
});
