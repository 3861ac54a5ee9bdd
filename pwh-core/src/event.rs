//! One event of a webhook: its name and every field, borrowed from the body.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, Serializer};

use crate::extract::ExtractError;
use crate::fields::Fields;
use crate::kind::PusherEvent;
use crate::value::Key;
use crate::value::Value;

/// One event of a webhook: its `name` and every other field, unknown ones included, in body
/// order. Strings borrow from the verified body where they have no escapes.
///
/// ```
/// use pwh_core::{PusherEvent, Webhook};
///
/// let body = br#"{"time_ms":1,"events":[{"name":"member_added","channel":"presence-a","user_id":"42","region":"eu"}]}"#;
/// let hook = Webhook::parse(body)?;
/// let event = &hook.events()[0];
/// assert_eq!(event.name(), "member_added");
/// assert_eq!(event.str("user_id"), Some("42"));
/// assert_eq!(event.str("region"), Some("eu")); // unknown fields are kept
/// assert_eq!(
///     event.typed()?,
///     PusherEvent::MemberAdded { channel: "presence-a", user_id: "42" }
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Event<'a> {
    /// Always a [`Value::String`].
    name: Value<'a>,
    fields: Fields<'a>,
}

impl<'a> Event<'a> {
    /// An event named `name` with `fields` (besides `name`), in order.
    pub fn new(
        name: impl Into<Cow<'a, str>>,
        fields: impl IntoIterator<Item = (Cow<'a, str>, Value<'a>)>,
    ) -> Self {
        Self {
            name: Value::String(name.into()),
            fields: fields.into_iter().filter(|(k, _)| k != "name").collect(),
        }
    }

    /// The event's kind, e.g. `channel_vacated`; unknown kinds are kept as sent.
    pub fn name(&self) -> &str {
        self.name.as_str().unwrap_or_default()
    }

    /// The field named `field` (`name` included), if present.
    pub fn get(&self, field: &str) -> Option<&Value<'a>> {
        if field == "name" {
            return Some(&self.name);
        }
        self.fields.iter().find(|(k, _)| k == field).map(|(_, v)| v)
    }

    /// The string field named `field` (`name` included), if present and a string.
    pub fn str(&self, field: &str) -> Option<&str> {
        self.get(field).and_then(Value::as_str)
    }

    /// Every field besides `name`, in body order.
    pub fn fields(&self) -> impl ExactSizeIterator<Item = (&str, &Value<'a>)> {
        self.fields.iter().map(|(k, v)| (k.as_ref(), v))
    }

    /// The typed view of a known kind; [`PusherEvent::Unknown`] for other kinds.
    ///
    /// # Errors
    ///
    /// An [`ExtractError`] when a known kind lacks a field it must have, or has it with the
    /// wrong type.
    pub fn typed(&self) -> Result<PusherEvent<'_>, ExtractError> {
        PusherEvent::from_event(self)
    }

    /// The same event, owning its strings (to keep it past the request).
    pub fn into_owned(self) -> Event<'static> {
        Event {
            name: self.name.into_owned(),
            fields: self
                .fields
                .into_vec()
                .into_iter()
                .map(|(k, v)| (Cow::Owned(k.into_owned()), v.into_owned()))
                .collect(),
        }
    }

    /// The event as an owned JSON object, `name` included.
    pub fn to_json(&self) -> serde_json::Value {
        let mut map = serde_json::Map::with_capacity(self.fields.len() + 1);
        map.insert("name".to_owned(), self.name().into());
        for (k, v) in self.fields.iter() {
            map.insert(k.clone().into_owned(), v.to_json());
        }
        serde_json::Value::Object(map)
    }
}

impl Serialize for Event<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.fields.len() + 1))?;
        map.serialize_entry("name", &self.name)?;
        for (k, v) in self.fields.iter() {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Event<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(EventVisitor)
    }
}

struct EventVisitor;

impl<'de> Visitor<'de> for EventVisitor {
    type Value = Event<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        expecting(f)
    }

    refuse_strings_quietly!();

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        let mut event = Event::empty();
        read_fields(map, &mut event)?;
        Ok(event)
    }
}

/// Parses the next event of an array straight into the vector of events (an event is a few
/// hundred bytes: returning it through serde's layers would copy it each time).
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
        expecting(f)
    }

    refuse_strings_quietly!();

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        self.0.push(Event::empty());
        match self.0.last_mut() {
            Some(event) => read_fields(map, event),
            None => Err(de::Error::custom("no room for an event")),
        }
    }
}

fn expecting(f: &mut fmt::Formatter<'_>) -> fmt::Result {
    f.write_str("an event object with a string `name`")
}

impl Event<'_> {
    /// A placeholder filled by [`read_fields`].
    fn empty() -> Self {
        Event {
            name: Value::Null,
            fields: Fields::new(),
        }
    }
}

/// Reads an event object's fields into `event`, made by [`Event::empty`].
fn read_fields<'de, A: MapAccess<'de>>(mut map: A, event: &mut Event<'de>) -> Result<(), A::Error> {
    while let Some(Key(key)) = map.next_key()? {
        if key == "name" {
            match map.next_value::<Value<'de>>()? {
                name @ Value::String(_) if matches!(event.name, Value::Null) => event.name = name,
                Value::String(_) => return Err(de::Error::custom("an event has two `name`s")),
                other => {
                    return Err(de::Error::custom(format_args!(
                        "an event's `name` is {}, not a string",
                        other.type_name()
                    )))
                }
            }
        } else {
            event.fields.push((key, map.next_value()?));
        }
    }
    if matches!(event.name, Value::Null) {
        return Err(de::Error::custom("an event has no `name`"));
    }
    Ok(())
}
