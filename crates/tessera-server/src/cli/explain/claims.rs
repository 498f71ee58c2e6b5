//! Step 6 of `explain`: every claim check, with readable times.
//!
//! The rules mirror the codec's (expired once `exp <= now - leeway`, `nbf`
//! and `iat` may not be later than `now + leeway`, `iss`/`aud` required once
//! configured); the binding verdict still comes from the codec in step 7.

use std::io::Write;

use serde_json::{Map, Value};
use tessera::{TokenType, Validation};

use super::{FAIL, PASS, SKIP, Setup};
use crate::cli::CliError;
use crate::cli::time_text::{relative, utc};

/// One line of the checklist.
struct Check {
    mark: &'static str,
    claim: String,
    text: String,
}

impl Check {
    fn new(mark: &'static str, claim: &str, text: impl Into<String>) -> Check {
        Check {
            mark,
            claim: claim.to_owned(),
            text: text.into(),
        }
    }
}

pub(super) fn explain(
    out: &mut dyn Write,
    payload: &Map<String, Value>,
    setup: Option<&Setup>,
    now: i64,
    expected: Option<TokenType>,
    signature_ok: bool,
) -> Result<(), CliError> {
    let validation = setup.map_or_else(Validation::default, |setup| setup.config.validation());
    let leeway = validation.leeway;
    writeln!(
        out,
        "6. The claims, checked at {} (clock leeway {leeway} s, JWT_DECODE_LEEWAY)",
        utc(now)
    )?;
    writeln!(out)?;
    if !signature_ok {
        writeln!(
            out,
            "   The signature did not verify, so none of these claims can be trusted: anyone could\n   \
             have written them. They are checked below only to show how it works.\n"
        )?;
    }
    let checks = [
        expiry(payload, now, leeway),
        not_before(payload, now, leeway),
        issued_at(payload, now, leeway),
        issuer(payload, validation.issuer.as_deref()),
        audience(payload, &validation.audience),
        identity(payload, &validation.identity_claim),
        token_type(payload, expected),
    ];
    for check in checks {
        writeln!(out, "   {} {:<5} {}", check.mark, check.claim, check.text)?;
    }
    writeln!(out)?;
    Ok(())
}

/// A NumericDate as the codec reads it: a JSON number, fractions floored.
enum Date {
    Absent,
    At(i64),
    NotANumber,
}

fn date(payload: &Map<String, Value>, name: &str) -> Date {
    match payload.get(name) {
        None => Date::Absent,
        Some(Value::Number(number)) => match (number.as_i64(), number.as_f64()) {
            (Some(whole), _) => Date::At(whole),
            // Same conservative rounding as the codec.
            #[allow(clippy::cast_possible_truncation)]
            (None, Some(float)) if float.is_finite() => Date::At(float.floor() as i64),
            _ => Date::NotANumber,
        },
        Some(_) => Date::NotANumber,
    }
}

fn when(at: i64, now: i64) -> String {
    format!("{} ({})", utc(at), relative(at, now))
}

fn expiry(payload: &Map<String, Value>, now: i64, leeway: i64) -> Check {
    match date(payload, "exp") {
        Date::At(exp) if exp <= now.saturating_sub(leeway) => Check::new(
            FAIL,
            "exp",
            format!("{}: the token has expired", when(exp, now)),
        ),
        Date::At(exp) => Check::new(PASS, "exp", format!("{}: not expired yet", when(exp, now))),
        Date::Absent => Check::new(
            FAIL,
            "exp",
            "missing: Tessera requires every token to expire",
        ),
        Date::NotANumber => Check::new(FAIL, "exp", "is not a number of seconds (a NumericDate)"),
    }
}

fn not_before(payload: &Map<String, Value>, now: i64, leeway: i64) -> Check {
    match date(payload, "nbf") {
        Date::At(nbf) if nbf > now.saturating_add(leeway) => {
            Check::new(FAIL, "nbf", format!("{}: not valid yet", when(nbf, now)))
        }
        Date::At(nbf) => Check::new(PASS, "nbf", format!("{}: already valid", when(nbf, now))),
        Date::Absent => Check::new(SKIP, "nbf", "not present (it is optional)"),
        Date::NotANumber => Check::new(FAIL, "nbf", "is not a number of seconds (a NumericDate)"),
    }
}

fn issued_at(payload: &Map<String, Value>, now: i64, leeway: i64) -> Check {
    match date(payload, "iat") {
        Date::At(iat) if iat > now.saturating_add(leeway) => Check::new(
            FAIL,
            "iat",
            format!(
                "{}: issued in the future, which no honest issuer does",
                when(iat, now)
            ),
        ),
        Date::At(iat) => Check::new(
            PASS,
            "iat",
            format!("{}: not in the future", when(iat, now)),
        ),
        Date::Absent => Check::new(FAIL, "iat", "missing: Tessera requires the issue time"),
        Date::NotANumber => Check::new(FAIL, "iat", "is not a number of seconds (a NumericDate)"),
    }
}

/// Where the required issuer comes from, as `serve` reads it.
const ISSUER_SETTING: &str = "JWT_DECODE_ISSUER, by default TESSERA_PUBLIC_URL";

fn issuer(payload: &Map<String, Value>, expected: Option<&str>) -> Check {
    let found = payload.get("iss");
    match (expected, found) {
        (None, None) => Check::new(SKIP, "iss", "not checked: JWT_DECODE_ISSUER is not set"),
        (None, Some(iss)) => Check::new(
            SKIP,
            "iss",
            format!("{iss} is not checked: JWT_DECODE_ISSUER is not set"),
        ),
        (Some(expected), None) => Check::new(
            FAIL,
            "iss",
            format!("missing, but {expected:?} is the issuer required ({ISSUER_SETTING})"),
        ),
        (Some(expected), Some(Value::String(iss))) if iss == expected => Check::new(
            PASS,
            "iss",
            format!("{iss:?} is the issuer required ({ISSUER_SETTING})"),
        ),
        (Some(expected), Some(iss)) => Check::new(
            FAIL,
            "iss",
            format!("{iss} is not {expected:?}, the issuer required ({ISSUER_SETTING})"),
        ),
    }
}

fn audience(payload: &Map<String, Value>, accepted: &[String]) -> Check {
    let found: Vec<&str> = match payload.get("aud") {
        None => Vec::new(),
        Some(Value::String(one)) => vec![one.as_str()],
        Some(Value::Array(many)) => many.iter().filter_map(Value::as_str).collect(),
        Some(_) => return Check::new(FAIL, "aud", "must be a string or a list of strings"),
    };
    if accepted.is_empty() {
        return match payload.get("aud") {
            None => Check::new(SKIP, "aud", "not checked: JWT_DECODE_AUDIENCE is not set"),
            Some(aud) => Check::new(
                SKIP,
                "aud",
                format!("{aud} is not checked: JWT_DECODE_AUDIENCE is not set"),
            ),
        };
    }
    let wanted = accepted.join(", ");
    if found.is_empty() {
        Check::new(
            FAIL,
            "aud",
            format!("missing, but JWT_DECODE_AUDIENCE requires one of: {wanted}"),
        )
    } else if found.iter().any(|aud| accepted.iter().any(|ok| ok == aud)) {
        Check::new(
            PASS,
            "aud",
            format!("names one of the accepted audiences ({wanted})"),
        )
    } else {
        Check::new(
            FAIL,
            "aud",
            format!("names none of the accepted audiences ({wanted})"),
        )
    }
}

fn identity(payload: &Map<String, Value>, claim: &str) -> Check {
    match payload.get(claim) {
        Some(Value::String(id)) => {
            Check::new(PASS, claim, format!("{id:?}: the identity is a string"))
        }
        Some(other) => Check::new(FAIL, claim, format!("{other} must be a string")),
        None => Check::new(FAIL, claim, "missing: every token must say who it is about"),
    }
}

fn token_type(payload: &Map<String, Value>, expected: Option<TokenType>) -> Check {
    let found = match payload.get("type") {
        None => "access",
        Some(Value::String(name)) if name == "access" || name == "refresh" => name.as_str(),
        Some(other) => {
            return Check::new(
                FAIL,
                "type",
                format!("{other} is neither \"access\" nor \"refresh\""),
            );
        }
    };
    let absent = if payload.contains_key("type") {
        ""
    } else {
        " (absent means access)"
    };
    match expected {
        None => Check::new(
            PASS,
            "type",
            format!("{found}{absent}; either type is accepted here (pass --type to require one)"),
        ),
        Some(expected) if expected.as_str() == found => Check::new(
            PASS,
            "type",
            format!("{found}{absent}: the type asked for with --type"),
        ),
        Some(expected) => Check::new(
            FAIL,
            "type",
            format!(
                "{found}{absent}, but a {expected} token was asked for: one type is never accepted as the other"
            ),
        ),
    }
}
