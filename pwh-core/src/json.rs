//! Small pieces of JSON parsing shared by the webhook and the event: keys that borrow from
//! the body, field values kept as raw JSON, refusals that never quote the body.

use std::borrow::Cow;
use std::fmt;

use serde::de::{Deserialize, Deserializer, Visitor};
use serde_json::value::RawValue;

/// Visitor methods refusing strings without quoting them: serde's default messages quote the
/// unexpected value, and error messages must never carry the body's content.
macro_rules! refuse_strings_quietly {
    () => {
        fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Err(E::invalid_type(
                serde::de::Unexpected::Other("a string"),
                &self,
            ))
        }
        fn visit_bytes<E: serde::de::Error>(self, _: &[u8]) -> Result<Self::Value, E> {
            Err(E::invalid_type(
                serde::de::Unexpected::Other("bytes"),
                &self,
            ))
        }
    };
}
pub(crate) use refuse_strings_quietly;

/// An object key, borrowed from the body unless it has escapes.
pub(crate) struct Key<'a>(pub(crate) Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Key<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object key")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

/// What kind of JSON value `raw` is, for messages ("a string", "an object"...).
pub(crate) fn type_name(raw: &RawValue) -> &'static str {
    match raw.get().as_bytes().first() {
        Some(b'"') => "a string",
        Some(b'{') => "an object",
        Some(b'[') => "an array",
        Some(b't' | b'f') => "a boolean",
        Some(b'n') => "null",
        _ => "a number",
    }
}

/// serde's message for a value that could not be decoded, without the value: field names,
/// expected types, line and column stay; quoted values and variant names are dropped.
pub(crate) fn quiet_message(error: &serde_json::Error) -> String {
    let message = error.to_string();
    for prefix in ["invalid type: ", "invalid value: "] {
        if let Some(rest) = message.strip_prefix(prefix) {
            // `string "..."`, `integer `5``, ...: keep the kind, drop the value.
            let kind_end = rest.find(['"', '`', ',']).unwrap_or(rest.len());
            let kind = rest.get(..kind_end).unwrap_or_default().trim_end();
            let expected = rest
                .find(", expected")
                .map_or("", |at| rest.get(at..).unwrap_or_default());
            return format!("{prefix}{kind}{expected}");
        }
    }
    for prefix in ["unknown variant ", "unknown field "] {
        if let Some(rest) = message.strip_prefix(prefix) {
            let expected = rest
                .find(", expected")
                .map_or("", |at| rest.get(at..).unwrap_or_default());
            return format!("{}{expected}", prefix.trim_end());
        }
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(json: &str) -> Box<RawValue> {
        RawValue::from_string(json.to_owned()).unwrap()
    }

    #[test]
    fn type_names() {
        assert_eq!(type_name(&raw(r#""s""#)), "a string");
        assert_eq!(type_name(&raw("{}")), "an object");
        assert_eq!(type_name(&raw("-1.5")), "a number");
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[expect(dead_code, reason = "only decoded")]
    struct Typing {
        text: String,
        mood: Mood,
    }

    #[derive(Debug, serde::Deserialize)]
    enum Mood {
        Happy,
    }

    #[test]
    fn messages_keep_fields_and_places_but_not_values() {
        let cases = [
            (
                r#"{"text":"secret words","mood":"Happy","extra":1}"#,
                "unknown field, expected",
            ),
            (r#"{"text":"secret words"}"#, "missing field `mood`"),
            (
                r#"{"text":"secret words","mood":"Secretive"}"#,
                "unknown variant, expected",
            ),
            (
                r#"{"text":12345,"mood":"Happy"}"#,
                "invalid type: integer, expected a string",
            ),
            (
                r#""secret words""#,
                "invalid type: string, expected struct Typing",
            ),
            (r#"{"text":"secret words""#, "EOF while parsing"),
        ];
        for (json, expected) in cases {
            let error = serde_json::from_str::<Typing>(json).unwrap_err();
            let message = quiet_message(&error);
            assert!(message.contains(expected), "{json}: {message}");
            assert!(message.contains("line 1 column"), "{json}: {message}");
            for secret in ["secret", "Secretive", "12345", "extra"] {
                assert!(!message.contains(secret), "{json}: {message}");
            }
        }
    }
}
