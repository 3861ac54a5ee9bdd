//! A verified webhook: when Pusher created it and its events, parsed once from the body.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::event::{Event, EventSeed};
use crate::json::{refuse_strings_quietly, Key};
use crate::rejection::Rejection;

/// A webhook: `time_ms` (when Pusher created it) and its events in body order.
///
/// Parsed once from the verified body, borrowing strings from it. Handlers can take
/// `&Webhook` to read `time_ms` or the webhook's age.
///
/// ```
/// use pwh_core::Webhook;
///
/// let hook = Webhook::parse(br#"{"time_ms":1327078148132,"events":[{"name":"channel_vacated","channel":"c"}]}"#)?;
/// assert_eq!(hook.time_ms(), 1327078148132);
/// assert_eq!(hook.events()[0].str("channel"), Some("c"));
/// # Ok::<(), pwh_core::adapter::Rejection>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Webhook<'a> {
    time_ms: u64,
    events: Vec<Event<'a>>,
    received_ms: Option<u64>,
    key: Option<Cow<'a, str>>,
}

impl<'a> Webhook<'a> {
    /// Parses a webhook body. Call it only on a body whose signature was verified: the
    /// [`Dispatcher`](crate::Dispatcher) does.
    ///
    /// # Errors
    ///
    /// [`Rejection::Malformed`] naming what is wrong: not UTF-8, not JSON, not an object,
    /// `time_ms` missing or not a non-negative integer, `events` missing or not an array, an
    /// event that is not an object or has no string `name`.
    pub fn parse(body: &'a [u8]) -> Result<Self, Rejection> {
        // The whole body must be UTF-8, ignored fields included; then strings need no check.
        let text =
            std::str::from_utf8(body).map_err(|_| Rejection::malformed("the body is not UTF-8"))?;
        let mut de = serde_json::Deserializer::from_str(text);
        // A Pusher event takes 50 bytes of JSON or more: room for the whole batch at once.
        let events = (body.len() / 48).clamp(1, 100);
        de.deserialize_any(WebhookVisitor { events })
            .and_then(|hook| de.end().map(|()| hook))
            .map_err(|e| Rejection::malformed(e.to_string()))
    }

    /// When Pusher created the webhook, in Unix milliseconds.
    pub fn time_ms(&self) -> u64 {
        self.time_ms
    }

    /// The events, in body order.
    pub fn events(&self) -> &[Event<'a>] {
        &self.events
    }

    /// When the dispatcher received it, in Unix milliseconds (by its clock).
    pub fn received_ms(&self) -> Option<u64> {
        self.received_ms
    }

    /// How old the webhook was when received, in milliseconds (0 if from the future).
    pub fn age_ms(&self) -> Option<u64> {
        self.received_ms.map(|now| now.saturating_sub(self.time_ms))
    }

    /// The key of the token whose signature the dispatcher verified.
    pub fn key(&self) -> Option<&str> {
        self.key.as_deref()
    }

    pub(crate) fn set_received(&mut self, now_ms: u64, key: &'a str) {
        self.received_ms = Some(now_ms);
        self.key = Some(Cow::Borrowed(key));
    }

    /// The same webhook, owning its strings (to keep it past the request).
    pub fn into_owned(self) -> Webhook<'static> {
        Webhook {
            time_ms: self.time_ms,
            events: self.events.into_iter().map(Event::into_owned).collect(),
            received_ms: self.received_ms,
            key: self.key.map(|k| Cow::Owned(k.into_owned())),
        }
    }

    /// The webhook as an owned JSON object.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "time_ms": self.time_ms,
            "events": self.events.iter().map(Event::to_json).collect::<Vec<_>>(),
        })
    }
}

struct WebhookVisitor {
    /// Room to make for events.
    events: usize,
}

impl<'de> Visitor<'de> for WebhookVisitor {
    type Value = Webhook<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object with `time_ms` and `events`")
    }

    refuse_strings_quietly!();

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut time_ms = None;
        let mut events = None;
        while let Some(Key(key)) = map.next_key()? {
            match key.as_ref() {
                "time_ms" if time_ms.is_some() => {
                    return Err(de::Error::duplicate_field("time_ms"))
                }
                "time_ms" => {
                    time_ms = Some(map.next_value::<u64>().map_err(|_| {
                        de::Error::custom("`time_ms` is not a non-negative integer")
                    })?)
                }
                "events" if events.is_some() => return Err(de::Error::duplicate_field("events")),
                "events" => {
                    events = Some(map.next_value_seed(EventsSeed {
                        capacity: self.events,
                    })?)
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(Webhook {
            time_ms: time_ms.ok_or_else(|| de::Error::missing_field("time_ms"))?,
            events: events.ok_or_else(|| de::Error::missing_field("events"))?,
            received_ms: None,
            key: None,
        })
    }
}

struct EventsSeed {
    capacity: usize,
}

impl<'de> de::DeserializeSeed<'de> for EventsSeed {
    type Value = Vec<Event<'de>>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for EventsSeed {
    type Value = Vec<Event<'de>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("`events` as an array")
    }

    refuse_strings_quietly!();

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut events = Vec::with_capacity(self.capacity);
        while seq.next_element_seed(EventSeed(&mut events))?.is_some() {}
        Ok(events)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(body: &[u8]) -> String {
        match Webhook::parse(body).unwrap_err() {
            Rejection::Malformed { reason } => reason,
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn parses_events_in_order_with_unknown_fields() {
        let body = br#"{"events":[{"channel":"a","name":"channel_occupied"},{"name":"member_updated","x":{"y":[1]}}],"time_ms":5,"extra":true}"#;
        let hook = Webhook::parse(body).unwrap();
        assert_eq!(hook.time_ms(), 5);
        let names: Vec<_> = hook.events().iter().map(Event::name).collect();
        assert_eq!(names, ["channel_occupied", "member_updated"]);
        assert_eq!(
            hook.events()[1].to_json(),
            serde_json::json!({"name":"member_updated","x":{"y":[1]}})
        );
    }

    #[test]
    fn each_malformation_names_the_field() {
        let cases: &[(&[u8], &str)] = &[
            (b"{\"time_ms\":1,\"events\":[", "EOF"),
            (b"[1]", "object"),
            (b"{\"time_ms\":1}", "missing field `events`"),
            (b"{\"events\":[]}", "missing field `time_ms`"),
            (
                b"{\"time_ms\":\"secret-ish\",\"events\":[]}",
                "`time_ms` is not",
            ),
            (b"{\"time_ms\":-1,\"events\":[]}", "`time_ms` is not"),
            (b"{\"time_ms\":1.5,\"events\":[]}", "`time_ms` is not"),
            (
                b"{\"time_ms\":1,\"events\":{\"name\":\"x\"}}",
                "`events` as an array",
            ),
            (
                b"{\"time_ms\":1,\"events\":[{\"channel\":\"c\"}]}",
                "no `name`",
            ),
            (b"{\"time_ms\":1,\"events\":[{\"name\":7}]}", "not a string"),
            (b"{\"time_ms\":1,\"events\":[\"hidden\"]}", "event object"),
            (b"{\"time_ms\":1,\"events\":[]} x", "trailing"),
            (
                b"{\"time_ms\":1,\"events\":[{\"name\":\"\xff\"}]}",
                "not UTF-8",
            ),
            // Even in a field nobody reads.
            (b"{\"time_ms\":1,\"events\":[],\"x\":\"\xff\"}", "not UTF-8"),
        ];
        for (body, expected) in cases {
            let reason = reason(body);
            assert!(
                reason.contains(expected),
                "{:?}: {reason:?} lacks {expected:?}",
                String::from_utf8_lossy(body)
            );
            assert!(
                !reason.contains("secret-ish") && !reason.contains("hidden"),
                "{reason}"
            );
        }
    }

    #[test]
    fn deep_nesting_never_crashes() {
        // Field values are skipped without recursion: deep nesting is kept as raw JSON, and
        // decoding it later is bounded by serde_json's recursion limit.
        let mut body = b"{\"time_ms\":1,\"events\":[{\"name\":\"x\",\"d\":".to_vec();
        body.extend(std::iter::repeat_n(b'[', 100_000));
        assert!(reason(&body).contains("EOF"));
        body.extend(std::iter::repeat_n(b']', 100_000));
        body.extend(b"}]}");
        let hook = Webhook::parse(&body).unwrap();
        let deep = hook.events()[0].get::<serde_json::Value>("d").unwrap();
        assert!(deep.unwrap_err().to_string().contains("recursion"));
    }
}
