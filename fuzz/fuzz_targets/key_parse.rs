//! Any bytes as key material: PEM for every asymmetric algorithm, DER, a
//! JWK and a JWK set. Refused or loaded, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tessera::{Algorithm, Jwk, JwkSet, Key};

const ALGORITHMS: [Algorithm; 5] = [
    Algorithm::RS256,
    Algorithm::PS256,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

fuzz_target!(|data: &[u8]| {
    for alg in ALGORITHMS {
        let _ = Key::from_private_der(alg, data);
        let _ = Key::from_public_der(alg, data);
    }
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for alg in ALGORITHMS {
        let _ = Key::from_pem(alg, text);
    }
    if let Ok(jwk) = serde_json::from_str::<Jwk>(text) {
        let _ = Key::from_jwk(&jwk, None);
        for alg in ALGORITHMS {
            let _ = Key::from_jwk(&jwk, Some(alg));
        }
    }
    if let Ok(set) = serde_json::from_str::<JwkSet>(text) {
        for jwk in &set.keys {
            let _ = Key::from_jwk(jwk, None);
        }
    }
});
