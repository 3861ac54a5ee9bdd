//! One event of a webhook: its name and every field, borrowed from the body.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::value::RawValue;

use crate::fields::{Field, Fields};
use crate::json::{refuse_strings_quietly, Key};

/// One event of a webhook: its `name` and every other field, unknown ones included, in body
/// order.
///
/// String fields are read as `&str`, borrowed from the verified body where they have no
/// escapes; every field is also kept as its raw JSON text ([`RawValue`]), typed on demand
/// with serde by [`get`](Self::get).
///
/// ```
/// use pwh_core::{PusherEvent, Webhook};
///
/// let body = br#"{"time_ms":1,"events":[{"name":"member_added","channel":"presence-a","user_id":"42","region":{"eu":true}}]}"#;
/// let hook = Webhook::parse(body)?;
/// let event = &hook.events()[0];
/// assert_eq!(event.name(), "member_added");
/// assert_eq!(event.str("user_id"), Some("42"));
/// // Unknown fields are kept, and typed on demand.
/// let region: serde_json::Value = event.get("region").unwrap()?;
/// assert_eq!(region["eu"], true);
/// assert_eq!(
///     event.typed()?,
///     PusherEvent::MemberAdded { channel: "presence-a", user_id: "42" }
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Event<'a> {
    name: Cow<'a, str>,
    fields: Fields<'a>,
}

impl<'a> Event<'a> {
    /// The event's kind, e.g. `channel_vacated`; unknown kinds are kept as sent.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The string field named `field` (`name` included), if present and a string.
    pub fn str(&self, field: &str) -> Option<&str> {
        if field == "name" {
            return Some(&self.name);
        }
        self.field(field).and_then(Field::text)
    }

    /// The raw JSON of the field named `field` (besides `name`), if present.
    pub fn raw(&self, field: &str) -> Option<&RawValue> {
        self.field(field).map(Field::raw)
    }

    /// The field named `field` (besides `name`) decoded as `T`; `None` when absent.
    ///
    /// # Errors
    ///
    /// serde's error when the field's JSON is not a `T`.
    pub fn get<'e, T: Deserialize<'e>>(&'e self, field: &str) -> Option<serde_json::Result<T>> {
        self.raw(field).map(|raw| serde_json::from_str(raw.get()))
    }

    /// Every field besides `name`, in body order, as raw JSON.
    pub fn fields(&self) -> impl ExactSizeIterator<Item = (&str, &RawValue)> {
        self.fields.iter().map(|f| (&*f.key, f.raw()))
    }

    pub(crate) fn field(&self, field: &str) -> Option<&Field<'a>> {
        self.fields.iter().find(|f| f.key == field)
    }

    /// The same event, owning its strings (to keep it past the request).
    pub fn into_owned(self) -> Event<'static> {
        Event {
            name: Cow::Owned(self.name.into_owned()),
            fields: self
                .fields
                .into_vec()
                .into_iter()
                .map(Field::into_owned)
                .collect(),
        }
    }

    /// The event as an owned JSON object, `name` included.
    pub fn to_json(&self) -> serde_json::Value {
        let mut map = serde_json::Map::with_capacity(self.fields.len() + 1);
        map.insert("name".to_owned(), self.name().into());
        for (key, raw) in self.fields() {
            let value = serde_json::from_str(raw.get()).unwrap_or(serde_json::Value::Null);
            map.insert(key.to_owned(), value);
        }
        serde_json::Value::Object(map)
    }
}

impl PartialEq for Event<'_> {
    /// Same name, and the same fields in the same order with the same JSON text.
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
            && self.fields.len() == other.fields.len()
            && self
                .fields()
                .zip(other.fields())
                .all(|((k1, v1), (k2, v2))| k1 == k2 && v1.get() == v2.get())
    }
}

impl fmt::Debug for Event<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        map.entry(&"name", &self.name);
        for (key, raw) in self.fields() {
            map.entry(&key, &format_args!("{}", raw.get()));
        }
        map.finish()
    }
}

impl Serialize for Event<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.fields.len() + 1))?;
        map.serialize_entry("name", &self.name)?;
        for (key, raw) in self.fields() {
            map.serialize_entry(key, raw)?;
        }
        map.end()
    }
}

/// Parses the next event of an array straight into the vector of events.
pub(crate) struct EventSeed<'v, 'a>(pub(crate) &'v mut Vec<Event<'a>>);

impl<'de> de::DeserializeSeed<'de> for EventSeed<'_, 'de> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for EventSeed<'_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an event object with a string `name`")
    }

    refuse_strings_quietly!();

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        // Filled in place: an event is a few hundred bytes, not worth moving twice.
        self.0.push(Event {
            name: Cow::Borrowed(""),
            fields: Fields::new(),
        });
        let event = self.0.last_mut().expect("the event was pushed just above");
        let mut named = false;
        while let Some(Key(key)) = map.next_key()? {
            if key != "name" {
                let raw: &'de RawValue = map.next_value()?;
                event.fields.push(Field::new(key, raw));
            } else if named {
                return Err(de::Error::custom("an event has two `name`s"));
            } else {
                event.name = map.next_value::<Name<'de>>()?.0;
                named = true;
            }
        }
        if !named {
            return Err(de::Error::custom("an event has no `name`"));
        }
        Ok(())
    }
}

/// An event's `name`: a string, read in one pass (borrowed unless it has escapes); anything
/// else is refused without quoting it.
struct Name<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Name<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NameVisitor)
    }
}

struct NameVisitor;

impl NameVisitor {
    fn not_a_string<T, E: de::Error>(what: &str) -> Result<T, E> {
        Err(E::custom(format_args!(
            "an event's `name` is {what}, not a string"
        )))
    }
}

impl<'de> Visitor<'de> for NameVisitor {
    type Value = Name<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string `name`")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Name(Cow::Borrowed(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Name(Cow::Owned(v.to_owned())))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Name(Cow::Owned(v)))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Self::not_a_string("a boolean")
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Self::not_a_string("a number")
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Self::not_a_string("a number")
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Self::not_a_string("a number")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Self::not_a_string("null")
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
        Self::not_a_string("an array")
    }

    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
        Self::not_a_string("an object")
    }
}

#[cfg(test)]
mod tests {
    use crate::fields::has_backslash;
    use crate::webhook::Webhook;

    #[test]
    fn backslashes_are_found_at_every_position_and_length() {
        for len in 0..40 {
            let plain = vec![b'a'; len];
            assert!(!has_backslash(&plain), "{len}");
            for at in 0..len {
                let mut with = plain.clone();
                with[at] = b'\\';
                assert!(has_backslash(&with), "{len} {at}");
                // Bytes one off a backslash are not one.
                for near in [b'\\' - 1, b'\\' + 1, b'\\' | 0x80, 0xdc] {
                    with[at] = near;
                    assert!(!has_backslash(&with), "{len} {at} {near}");
                }
            }
        }
    }

    #[test]
    fn strings_are_read_borrowed_or_unescaped_on_demand() {
        let body = br#"{"time_ms":1,"events":[{"name":"client_event","channel":"pre\u0073ence-a","event":"client-x","data":"{\"a\":[1]}","n":5,"nothing":null}]}"#;
        let hook = Webhook::parse(body).unwrap();
        let event = &hook.events()[0];
        assert_eq!(event.str("channel"), Some("presence-a"));
        assert_eq!(event.str("event"), Some("client-x"));
        assert_eq!(event.str("data"), Some(r#"{"a":[1]}"#));
        assert_eq!(event.raw("data").unwrap().get(), r#""{\"a\":[1]}""#);
        assert_eq!(event.str("n"), None);
        assert_eq!(event.get::<u8>("n").unwrap().unwrap(), 5);
        assert!(event
            .get::<Option<u8>>("nothing")
            .unwrap()
            .unwrap()
            .is_none());
        assert!(event.get::<u8>("absent").is_none());
        let owned = event.clone().into_owned();
        assert_eq!(&owned, event);
        assert_eq!(owned.str("channel"), Some("presence-a"));
        assert_eq!(
            serde_json::to_value(event).unwrap(),
            serde_json::json!({"name":"client_event","channel":"presence-a","event":"client-x","data":"{\"a\":[1]}","n":5,"nothing":null})
        );
    }
}
