//! Double-submit CSRF values: generated as UUID v4 (like Flask-JWT-Extended)
//! and compared in constant time.

use subtle::ConstantTimeEq;

/// A fresh random CSRF value for a new token's `csrf` claim.
pub(crate) fn new_value() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Whether the value the client submitted equals the token's claim, without
/// leaking through timing how much of it matched.
pub(crate) fn matches(submitted: &str, claim: &str) -> bool {
    // Lengths are not secret (every value is a 36-character UUID), so an
    // early length check leaks nothing.
    submitted.len() == claim.len() && bool::from(submitted.as_bytes().ct_eq(claim.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_values_match_and_others_do_not() {
        let value = new_value();
        assert!(matches(&value, &value.clone()));
        assert!(!matches(&value, &new_value()));
        assert!(!matches("", &value));
        assert!(!matches(&value[..35], &value));
    }
}
