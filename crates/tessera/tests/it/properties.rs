//! Properties over many generated cases: no single-byte change to a valid
//! token survives verification, and no input makes the decoder panic.
//! Case counts stay modest (the whole module takes well under a second
//! unoptimised); HS256 is also swept exhaustively, being cheap to verify.

use std::sync::LazyLock;

use proptest::prelude::*;
use tessera::{Algorithm, KeySet, TokenCodec};

use crate::support::{codec, decode, hs256, signing_key, valid_token};

/// A codec and a token it accepts.
struct Fixture {
    codec: TokenCodec,
    token: String,
}

impl Fixture {
    fn new(key: tessera::Key) -> Fixture {
        let token = valid_token(&key);
        let codec = match key.public_only() {
            Some(public) => codec(KeySet::new(public)),
            None => codec(KeySet::new(key)),
        };
        assert!(
            decode(&codec, &token).is_ok(),
            "the unmodified token verifies"
        );
        Fixture { codec, token }
    }

    /// The token with the byte at `index` replaced by the `choice`-th
    /// printable ASCII character other than the one already there.
    fn mutated(&self, index: usize, choice: u8) -> String {
        let mut bytes = self.token.clone().into_bytes();
        let index = index % bytes.len();
        let original = bytes[index];
        let mut replacement = b' ' + choice;
        if replacement >= original {
            replacement += 1;
        }
        assert!(replacement.is_ascii_graphic() || replacement == b' ');
        assert_ne!(replacement, original);
        bytes[index] = replacement;
        String::from_utf8(bytes).unwrap()
    }
}

static HS256: LazyLock<Fixture> = LazyLock::new(|| Fixture::new(hs256()));
static ES256: LazyLock<Fixture> = LazyLock::new(|| Fixture::new(signing_key(Algorithm::ES256)));

/// 95 printable ASCII characters (space to `~`); one is the original byte.
const OTHER_PRINTABLE: u8 = 94;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn any_single_byte_change_to_an_hs256_token_is_rejected(
        index in any::<usize>(),
        choice in 0..OTHER_PRINTABLE,
    ) {
        let fixture = &*HS256;
        let mutated = fixture.mutated(index, choice);
        prop_assert!(decode(&fixture.codec, &mutated).is_err(), "accepted: {}", mutated);
    }

    #[test]
    fn any_single_byte_change_to_an_es256_token_is_rejected(
        index in any::<usize>(),
        choice in 0..OTHER_PRINTABLE,
    ) {
        let fixture = &*ES256;
        let mutated = fixture.mutated(index, choice);
        prop_assert!(decode(&fixture.codec, &mutated).is_err(), "accepted: {}", mutated);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_text_is_refused_without_panicking(text in ".{0,400}") {
        prop_assert!(decode(&HS256.codec, &text).is_err());
        let _ = tessera::inspect(&text, 8192);
    }

    #[test]
    fn arbitrary_three_segment_base64url_is_refused_without_panicking(
        header in "[A-Za-z0-9_-]{0,80}",
        payload in "[A-Za-z0-9_-]{0,200}",
        signature in "[A-Za-z0-9_-]{0,90}",
    ) {
        let token = format!("{header}.{payload}.{signature}");
        prop_assert!(decode(&HS256.codec, &token).is_err());
        let _ = tessera::inspect(&token, 8192);
    }
}

/// The exhaustive form of the property for HS256: every position, every
/// other printable character (about 24 000 tokens, fast enough unoptimised).
#[test]
fn every_single_byte_change_to_an_hs256_token_is_rejected() {
    let fixture = &*HS256;
    for index in 0..fixture.token.len() {
        for choice in 0..OTHER_PRINTABLE {
            let mutated = fixture.mutated(index, choice);
            assert!(
                decode(&fixture.codec, &mutated).is_err(),
                "accepted: {mutated}"
            );
        }
    }
}
