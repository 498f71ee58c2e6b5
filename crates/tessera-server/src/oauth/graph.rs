//! Facebook's Graph API as the Facebook provider reads it: its answers and
//! error format (`{"error": {"message", "type", "code", ...}}`), and the
//! `appsecret_proof` that every call with a user's token carries.

use aws_lc_rs::hmac;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::http_client::HttpAnswer;

/// Graph's code for an access token that is invalid, expired or revoked.
pub(super) const INVALID_TOKEN: i64 = 190;
/// Graph's older code for an invalid session (a token gone bad too).
const INVALID_SESSION: i64 = 102;
/// Graph's code for an invalid parameter: at the code exchange, a code
/// that is unknown, used, expired, for another redirect URI or verifier.
pub(super) const INVALID_PARAMETER: i64 = 100;

/// An error answer of Graph.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(super) struct GraphError {
    /// Graph's error code (`190`, `100`, …).
    #[serde(default)]
    pub code: i64,
    /// `OAuthException`, `GraphMethodException`, …
    #[serde(default, rename = "type")]
    pub kind: String,
    /// Graph's text (about the request, never echoing a token).
    #[serde(default)]
    pub message: String,
}

impl GraphError {
    /// Whether it says the user's access token is no good.
    pub(super) fn is_invalid_token(&self) -> bool {
        matches!(self.code, INVALID_TOKEN | INVALID_SESSION)
    }
}

impl std::fmt::Display for GraphError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Graph error {} ({}): {}",
            self.code, self.kind, self.message
        )
    }
}

/// Why a Graph answer is not the one asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum GraphFailure {
    /// Graph answered with its error format.
    Error(GraphError),
    /// Anything else: another status, not JSON, missing fields.
    Garbage(String),
}

impl std::fmt::Display for GraphFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GraphFailure::Error(err) => err.fmt(f),
            GraphFailure::Garbage(why) => f.write_str(why),
        }
    }
}

#[derive(Deserialize)]
struct ErrorBody {
    error: GraphError,
}

/// The answer as `T` when it is a 200; Graph's error when it sent one (any
/// status: Graph puts some errors in a 200); else garbage.
pub(super) fn read<T: DeserializeOwned>(
    answer: &HttpAnswer,
    what: &str,
) -> Result<T, GraphFailure> {
    if let Ok(ErrorBody { error }) = serde_json::from_slice::<ErrorBody>(&answer.body) {
        return Err(GraphFailure::Error(error));
    }
    if answer.status != 200 {
        return Err(GraphFailure::Garbage(format!(
            "Graph's {what} came with status {}",
            answer.status
        )));
    }
    serde_json::from_slice(&answer.body)
        .map_err(|err| GraphFailure::Garbage(format!("unreadable Graph {what}: {err}")))
}

/// `appsecret_proof`: hex HMAC-SHA256 of the access token under the app
/// secret. Graph refuses a call whose proof does not match (when the app
/// requires proofs), so a token stolen from a device cannot be used from
/// anywhere but a server holding the secret.
pub(super) fn appsecret_proof(app_secret: &str, access_token: &str) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, app_secret.as_bytes());
    let tag = hmac::sign(&key, access_token.as_bytes());
    tag.as_ref().iter().fold(String::new(), |mut hex, byte| {
        use std::fmt::Write as _;
        // Writing to a String cannot fail.
        let _ = write!(hex, "{byte:02x}");
        hex
    })
}

/// The code exchange's answer.
#[derive(Debug, Deserialize)]
pub(super) struct AccessTokenAnswer {
    pub access_token: String,
}

/// `/me?fields=id,name,email`.
#[derive(Debug, Deserialize)]
pub(super) struct Profile {
    /// The app-scoped user id: the identity's subject.
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
}

/// `/debug_token`'s answer.
#[derive(Debug, Deserialize)]
pub(super) struct DebugToken {
    pub data: TokenInfo,
}

/// What Graph says of a user access token.
#[derive(Debug, Deserialize)]
pub(super) struct TokenInfo {
    #[serde(default)]
    pub app_id: Option<String>,
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub is_valid: bool,
    /// Unix seconds; `0` when the token does not expire.
    #[serde(default)]
    pub expires_at: Option<i64>,
    #[serde(default)]
    pub user_id: Option<String>,
    /// Why the token is invalid, when it is.
    #[serde(default)]
    pub error: Option<GraphError>,
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn appsecret_proof_is_hex_hmac_sha256_of_the_token() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        assert_eq!(
            appsecret_proof("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn graph_errors_are_read_in_any_status_and_other_answers_are_garbage() {
        let answer = |status, body: &str| HttpAnswer {
            status,
            body: body.as_bytes().to_vec(),
        };
        let err = read::<Profile>(
            &answer(
                400,
                r#"{"error":{"message":"Invalid OAuth access token.","type":"OAuthException","code":190,"fbtrace_id":"x"}}"#,
            ),
            "profile",
        )
        .unwrap_err();
        assert!(
            matches!(&err, GraphFailure::Error(e) if e.is_invalid_token()),
            "{err}"
        );
        assert!(matches!(
            read::<Profile>(&answer(500, "<html>"), "profile"),
            Err(GraphFailure::Garbage(_))
        ));
        assert!(matches!(
            read::<Profile>(&answer(200, r#"{"name":"no id"}"#), "profile"),
            Err(GraphFailure::Garbage(_))
        ));
        let profile =
            read::<Profile>(&answer(200, r#"{"id":"42","name":"Ada"}"#), "profile").unwrap();
        assert_eq!(profile.id, "42");
    }
}
