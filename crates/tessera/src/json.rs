//! Strict JSON for JOSE: objects whose member names are unique at every depth.
//!
//! `serde_json` keeps the last of two equal names; RFC 7515 §4 and RFC 7519 §4
//! allow that only if *every* consumer does the same. Rejecting duplicates is
//! the safer choice (RFC 8725 §2.6), and it costs nothing here: inserting into
//! the map already tells us whether the name was there.

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::fmt;

use crate::error::{Part, TokenError, echo_message, echo_name};

/// A JSON value whose objects, at any depth, have no repeated member names.
struct StrictValue(Value);

const DUPLICATE_MARKER: &str = "\u{0}duplicate member:";

impl<'de> Deserialize<'de> for StrictValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StrictVisitor).map(StrictValue)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(StrictValue(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let mut map = Map::new();
        while let Some(name) = access.next_key::<String>()? {
            let StrictValue(value) = access.next_value()?;
            match map.entry(name) {
                serde_json::map::Entry::Vacant(slot) => {
                    slot.insert(value);
                }
                serde_json::map::Entry::Occupied(taken) => {
                    return Err(de::Error::custom(format_args!(
                        "{DUPLICATE_MARKER}{}",
                        taken.key()
                    )));
                }
            }
        }
        Ok(Value::Object(map))
    }
}

/// Parses `bytes` as one JSON object with unique member names at every depth.
///
/// Invalid UTF-8, a byte-order mark, trailing data, nesting deeper than
/// serde_json's recursion limit, or anything but an object is refused.
pub(crate) fn parse_object(bytes: &[u8], part: Part) -> Result<Map<String, Value>, TokenError> {
    match serde_json::from_slice::<StrictValue>(bytes) {
        Ok(StrictValue(Value::Object(map))) => Ok(map),
        Ok(_) => Err(TokenError::Json {
            part,
            reason: "not an object".to_owned(),
        }),
        Err(err) => {
            let text = err.to_string();
            match text.strip_prefix(DUPLICATE_MARKER) {
                Some(rest) => Err(TokenError::DuplicateMember {
                    part,
                    // serde_json appends " at line L column C"; keep the name only.
                    name: echo_name(rest.rsplit_once(" at line ").map_or(rest, |(name, _)| name)),
                }),
                None => Err(TokenError::Json {
                    part,
                    reason: echo_message(&text),
                }),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_names_are_refused_at_any_depth() {
        let top = parse_object(br#"{"sub":"alice","sub":"admin"}"#, Part::Payload);
        assert_eq!(
            top,
            Err(TokenError::DuplicateMember {
                part: Part::Payload,
                name: "sub".to_owned()
            })
        );
        let nested = parse_object(br#"{"a":{"role":1,"role":2}}"#, Part::Payload);
        assert!(matches!(nested, Err(TokenError::DuplicateMember { name, .. }) if name == "role"));
    }

    #[test]
    fn non_objects_and_bom_are_refused() {
        assert!(matches!(
            parse_object(b"[1,2]", Part::Header),
            Err(TokenError::Json { .. })
        ));
        assert!(matches!(
            parse_object(b"\xEF\xBB\xBF{}", Part::Header),
            Err(TokenError::Json { .. })
        ));
    }
}
