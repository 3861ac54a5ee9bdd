//! Webhook bodies as Pusher sends them: one event of any kind from the command line's fields,
//! or the events of a batch file, under a `time_ms`.

use pwh_kinds::KindSpec;
use serde_json::{Map, Value};

use crate::cli::EventFields;
use crate::error::Failure;
use crate::flags;

/// One event: its members in the order they are written, `name` first.
pub(crate) type Event = Vec<(String, Value)>;

/// The event `kind` with `fields`. The fields a known kind needs must be given; any other field
/// given is sent too (a receiver must tolerate extra fields).
pub(crate) fn event(kind: &str, fields: &EventFields) -> Result<Event, Failure> {
    let kind = kind.trim();
    if kind.is_empty() {
        return Err(Failure::new("the event's KIND is empty"));
    }
    // The fields a kind Pusher documents always has must be given.
    let spec = KindSpec::find(kind);
    let always = spec.into_iter().flat_map(|spec| spec.fields);
    for field in always.filter(|field| !field.presence.is_optional()) {
        if !flags::given(fields, field.name) {
            let flag = flags::needed(field);
            return Err(Failure::new(format!("`{kind}` needs {flag}")));
        }
    }
    let mut event: Event = vec![("name".into(), kind.into())];
    let mut push = |name: &str, value: Option<Value>| {
        if let Some(value) = value {
            event.push((name.to_owned(), value));
        }
    };
    push("channel", fields.channel.clone().map(Value::from));
    push("event", fields.event.clone().map(Value::from));
    let data = match &fields.data {
        Some(text) => Some(data(text, fields.data_object)?),
        None => flags::default_of(spec, "data").map(Value::from),
    };
    push("data", data);
    let socket_id = fields.socket_id.as_deref();
    let socket_id = socket_id.or_else(|| flags::default_of(spec, "socket_id"));
    push("socket_id", socket_id.map(Value::from));
    push("user_id", fields.user_id.clone().map(Value::from));
    push("subscription_count", fields.count.map(Value::from));
    Ok(event)
}

/// A client event's `data`: Pusher sends the client's JSON as a string of text, so the text is
/// sent as given inside a JSON string; with `as_object`, parsed and sent as a JSON value.
fn data(text: &str, as_object: bool) -> Result<Value, Failure> {
    if !as_object {
        return Ok(Value::from(text));
    }
    serde_json::from_str(text)
        .map_err(|e| Failure::new(format!("--data is not JSON ({e}), as --data-object needs")))
}

/// The events of a batch file: a JSON array of event objects, or a whole webhook whose
/// `events` are taken. Each must be an object with a string `name`.
pub(crate) fn batch(text: &[u8]) -> Result<Vec<Event>, Failure> {
    let value: Value = serde_json::from_slice(text)
        .map_err(|e| Failure::new(format!("the batch file is not JSON: {e}")))?;
    let events = match value {
        Value::Array(events) => events,
        Value::Object(mut webhook) => match webhook.remove("events") {
            Some(Value::Array(events)) => events,
            _ => return Err(not_a_batch()),
        },
        _ => return Err(not_a_batch()),
    };
    if events.is_empty() {
        return Err(Failure::new("the batch file has no events"));
    }
    events
        .into_iter()
        .enumerate()
        .map(|(i, event)| match event {
            Value::Object(map) if map.get("name").is_some_and(Value::is_string) => {
                Ok(name_first(map))
            }
            _ => Err(Failure::new(format!(
                "batch event #{} is not an object with a string `name`",
                i + 1
            ))),
        })
        .collect()
}

fn not_a_batch() -> Failure {
    Failure::new(
        "the batch file must hold a JSON array of events, or a webhook {\"time_ms\": ..., \
         \"events\": [...]}",
    )
}

fn name_first(mut map: Map<String, Value>) -> Event {
    let mut event = Vec::with_capacity(map.len());
    if let Some(name) = map.remove("name") {
        event.push(("name".to_owned(), name));
    }
    event.extend(map);
    event
}

/// The body `{"time_ms":…,"events":[…]}`, compact, members in the order Pusher writes them.
pub(crate) fn webhook(time_ms: u64, events: &[Event]) -> Vec<u8> {
    let mut out = format!("{{\"time_ms\":{time_ms},\"events\":[");
    for (i, event) in events.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('{');
        for (j, (name, value)) in event.iter().enumerate() {
            if j > 0 {
                out.push(',');
            }
            out.push_str(&Value::from(name.as_str()).to_string());
            out.push(':');
            out.push_str(&value.to_string());
        }
        out.push('}');
    }
    out.push_str("]}");
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::flags::DEFAULT_SOCKET_ID;

    fn fields() -> EventFields {
        EventFields::default()
    }

    fn one(kind: &str, fields: &EventFields) -> Value {
        let body = webhook(7, &[event(kind, fields).unwrap()]);
        let value: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(value["time_ms"], 7);
        value["events"][0].clone()
    }

    #[test]
    fn channel_kinds_carry_their_channel() {
        let f = EventFields {
            channel: Some("news".into()),
            ..fields()
        };
        for kind in ["channel_occupied", "channel_vacated", "cache_miss"] {
            assert_eq!(one(kind, &f), json!({"name": kind, "channel": "news"}));
            let err = event(kind, &fields()).unwrap_err();
            assert_eq!(err.to_string(), format!("`{kind}` needs --channel"));
        }
    }

    #[test]
    fn member_kinds_carry_the_user() {
        let f = EventFields {
            channel: Some("presence-a".into()),
            user_id: Some("42".into()),
            ..fields()
        };
        for kind in ["member_added", "member_removed"] {
            assert_eq!(
                one(kind, &f),
                json!({"name": kind, "channel": "presence-a", "user_id": "42"})
            );
        }
        let no_user = EventFields {
            channel: Some("presence-a".into()),
            ..fields()
        };
        assert!(event("member_added", &no_user)
            .unwrap_err()
            .to_string()
            .contains("--user-id"));
    }

    #[test]
    fn client_event_data_is_sent_as_a_string_of_json_text() {
        let f = EventFields {
            channel: Some("presence-a".into()),
            event: Some("client-typing".into()),
            data: Some(r#"{"a":1}"#.into()),
            user_id: Some("alice".into()),
            ..fields()
        };
        let body = webhook(1, &[event("client_event", &f).unwrap()]);
        let text = String::from_utf8(body).unwrap();
        assert!(text.contains(r#""data":"{\"a\":1}""#), "{text}");
        assert_eq!(
            one("client_event", &f),
            json!({
                "name": "client_event", "channel": "presence-a", "event": "client-typing",
                "data": "{\"a\":1}", "socket_id": DEFAULT_SOCKET_ID, "user_id": "alice",
            })
        );
        // With --data-object, the JSON value itself; without --data, the text `{}`.
        let object = EventFields {
            data_object: true,
            ..f
        };
        assert_eq!(one("client_event", &object)["data"], json!({"a": 1}));
        let bare = EventFields {
            channel: Some("c".into()),
            event: Some("client-x".into()),
            ..fields()
        };
        assert_eq!(one("client_event", &bare)["data"], "{}");
        assert!(one("client_event", &bare).get("user_id").is_none());
        let not_json = EventFields {
            data: Some("{oops".into()),
            data_object: true,
            ..bare
        };
        assert!(event("client_event", &not_json).is_err());
    }

    #[test]
    fn subscription_count_needs_a_count() {
        let f = EventFields {
            channel: Some("news".into()),
            count: Some(3),
            ..fields()
        };
        assert_eq!(
            one("subscription_count", &f),
            json!({"name": "subscription_count", "channel": "news", "subscription_count": 3})
        );
        let none = EventFields {
            channel: Some("news".into()),
            ..fields()
        };
        assert!(event("subscription_count", &none).is_err());
    }

    #[test]
    fn every_kind_needs_the_flags_of_the_fields_it_always_has() {
        for kind in pwh_kinds::KINDS {
            let always = kind.fields.iter().filter(|f| !f.presence.is_optional());
            let first = always.clone().next().map(flags::needed).unwrap();
            let err = event(kind.name, &fields()).unwrap_err().to_string();
            assert_eq!(err, format!("`{}` needs {first}", kind.name));
            let all = EventFields {
                channel: Some("c".into()),
                user_id: Some("u".into()),
                event: Some("client-e".into()),
                count: Some(1),
                ..fields()
            };
            // Given every flag, each field the kind has but `sometimes` ones is sent.
            let sent = one(kind.name, &all);
            for field in kind.fields {
                let sometimes = field.presence == pwh_kinds::Presence::Sometimes;
                assert!(sometimes || sent.get(field.name).is_some(), "{}", kind.name);
            }
        }
    }

    #[test]
    fn any_other_kind_is_sent_with_the_fields_given() {
        let f = EventFields {
            channel: Some("presence-a".into()),
            user_id: Some("7".into()),
            ..fields()
        };
        assert_eq!(
            one("member_updated", &f),
            json!({"name": "member_updated", "channel": "presence-a", "user_id": "7"})
        );
        assert_eq!(one("ping", &fields()), json!({"name": "ping"}));
        assert!(event(" ", &fields()).is_err());
    }

    #[test]
    fn the_body_starts_with_time_ms_and_each_event_with_its_name() {
        let f = EventFields {
            channel: Some("news".into()),
            ..fields()
        };
        let body = webhook(5, &[event("cache_miss", &f).unwrap()]);
        assert_eq!(
            body,
            br#"{"time_ms":5,"events":[{"name":"cache_miss","channel":"news"}]}"#
        );
    }

    #[test]
    fn batches_are_arrays_of_named_events_or_whole_webhooks() {
        let events =
            batch(br#"[{"channel":"a","name":"channel_occupied"},{"name":"x","n":1}]"#).unwrap();
        assert_eq!(
            webhook(1, &events),
            br#"{"time_ms":1,"events":[{"name":"channel_occupied","channel":"a"},{"name":"x","n":1}]}"#
        );
        let from_webhook =
            batch(br#"{"time_ms":3,"events":[{"name":"cache_miss","channel":"c"}]}"#).unwrap();
        assert_eq!(from_webhook.len(), 1);
        for bad in [
            &b"nope"[..],
            b"{}",
            b"[]",
            b"3",
            br#"[{"name":1}]"#,
            br#"[{"name":"a"},"b"]"#,
        ] {
            assert!(batch(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
        let err = batch(br#"[{"name":"a"},{"channel":"b"}]"#).unwrap_err();
        assert!(err.to_string().contains("#2"), "{err}");
    }
}
