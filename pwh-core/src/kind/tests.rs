//! The typed view's tests.
use super::*;
use crate::webhook::Webhook;

fn typed(event: &str, check: impl FnOnce(Result<PusherEvent<'_>, ExtractError>)) {
    let body = format!(r#"{{"time_ms":1,"events":[{event}]}}"#);
    let hook = Webhook::parse(body.as_bytes()).unwrap();
    check(hook.events()[0].typed());
}

#[test]
fn known_kinds_in_any_key_order_with_extra_fields_and_numbers_as_strings() {
    typed(r#"{"name":"channel_occupied","channel":"a"}"#, |e| {
        assert_eq!(e.unwrap(), PusherEvent::ChannelOccupied { channel: "a" })
    });
    typed(
        r#"{"name":"member_added","channel":"p","user_id":"1"}"#,
        |e| {
            assert_eq!(
                e.unwrap(),
                PusherEvent::MemberAdded {
                    channel: "p",
                    user_id: "1"
                }
            )
        },
    );
    typed(
        r#"{"name":"client_event","channel":"p","event":"client-x","data":"{}","socket_id":"1.2"}"#,
        |e| {
            let e = e.unwrap();
            assert!(
                matches!(
                    e,
                    PusherEvent::ClientEvent {
                        channel: "p",
                        event: "client-x",
                        socket_id: Some("1.2"),
                        user_id: None,
                        data: Some(_)
                    }
                ),
                "{e:?}"
            );
            let PusherEvent::ClientEvent { data, .. } = e else {
                unreachable!()
            };
            assert_eq!(data.unwrap().get(), r#""{}""#);
        },
    );
    typed(
        r#"{"name":"cache_miss","channel":"cache-a","extra":1}"#,
        |e| assert_eq!(e.unwrap(), PusherEvent::CacheMiss { channel: "cache-a" }),
    );
    typed(
        r#"{"name":"subscription_count","channel":"c","subscription_count":"3"}"#,
        |e| {
            assert_eq!(
                e.unwrap(),
                PusherEvent::SubscriptionCount {
                    channel: "c",
                    subscription_count: 3
                }
            )
        },
    );
    typed(
        r#"{"name":"subscription_count","channel":"c","subscription_count":4}"#,
        |e| assert_eq!(e.unwrap().name(), "subscription_count"),
    );
    typed(r#"{"name":"member_updated","channel":"c"}"#, |e| {
        assert_eq!(
            e.unwrap(),
            PusherEvent::Unknown {
                name: "member_updated"
            }
        )
    });
}

#[test]
fn known_kind_missing_a_field_is_an_error() {
    typed(r#"{"name":"member_added","channel":"p"}"#, |e| {
        assert_eq!(e.unwrap_err(), ExtractError::Missing { field: "user_id" })
    });
    typed(r#"{"name":"channel_vacated","channel":5}"#, |e| {
        assert!(matches!(
            e.unwrap_err(),
            ExtractError::WrongType {
                field: "channel",
                ..
            }
        ))
    });
}

/// A body of `kind` with the table's fields, leaving `without` out.
fn event_of(kind: &str, fields: &[(&str, bool)], without: Option<&str>) -> String {
    let mut event = serde_json::json!({ "name": kind });
    for (field, _) in fields.iter().filter(|(f, _)| Some(*f) != without) {
        event[*field] = match *field {
            "subscription_count" => 3.into(),
            "data" => r#"{"a":1}"#.into(),
            _ => format!("{field}-value").into(),
        };
    }
    event.to_string()
}

#[test]
fn table_matches_typed_view() {
    for (kind, fields) in KNOWN_KINDS {
        typed(&event_of(kind, fields, None), |e| {
            let e = e.unwrap_or_else(|err| panic!("{kind}: {err}"));
            assert_eq!(e.name(), *kind);
            assert!(!matches!(e, PusherEvent::Unknown { .. }), "{kind} is known");
            // The typed view carries every field of the table, with its value.
            let json = serde_json::to_value(e).unwrap();
            assert_eq!(
                json,
                serde_json::from_str::<serde_json::Value>(&event_of(kind, fields, None)).unwrap(),
                "{kind}"
            );
        });
        for (field, always) in *fields {
            typed(&event_of(kind, fields, Some(field)), |e| {
                if *always {
                    assert_eq!(e.unwrap_err(), ExtractError::Missing { field }, "{kind}");
                } else {
                    let e = e.unwrap_or_else(|err| panic!("{kind} without {field}: {err}"));
                    // Read as an `Option`: absent, so not serialized.
                    let json = serde_json::to_value(e).unwrap();
                    assert!(json.get(field).is_none(), "{kind} without {field}");
                }
            });
        }
    }
}

#[test]
fn table_is_the_definition() {
    let from_definition: Vec<(&str, Vec<(&str, bool)>)> = pwh_kinds::KINDS
        .iter()
        .map(|kind| {
            let fields = kind.fields.iter();
            let fields = fields.map(|f| (f.name, !f.presence.is_optional()));
            (kind.name, fields.collect())
        })
        .collect();
    let table: Vec<(&str, Vec<(&str, bool)>)> = KNOWN_KINDS
        .iter()
        .map(|(kind, fields)| (*kind, fields.to_vec()))
        .collect();
    assert_eq!(table, from_definition);
}

#[test]
fn every_kind_round_trips_and_compares_by_value() {
    for kind in pwh_kinds::KINDS {
        let fields: Vec<(&str, bool)> = kind.fields.iter().map(|f| (f.name, true)).collect();
        let body = event_of(kind.name, &fields, None);
        typed(&body, |e| {
            let e = e.unwrap();
            assert_eq!(e.name(), kind.name);
            assert_eq!(e.channel(), kind.field("channel").map(|_| "channel-value"));
            let again = serde_json::to_string(&e).unwrap();
            typed(&again, |e2| assert_eq!(e2.unwrap(), e, "{}", kind.name));
            // Each field takes part in equality.
            for field in kind.fields {
                let mut other: serde_json::Value = serde_json::from_str(&body).unwrap();
                other[field.name] = match field.shape {
                    pwh_kinds::Shape::Count => 9.into(),
                    _ => "other".into(),
                };
                typed(&other.to_string(), |o| {
                    assert_ne!(o.unwrap(), e, "{}.{}", kind.name, field.name)
                });
            }
            // No kind equals another, nor an unknown kind of the same name.
            assert_ne!(e, PusherEvent::Unknown { name: kind.name });
        });
    }
    let unknown = PusherEvent::Unknown {
        name: "member_updated",
    };
    assert_eq!(unknown.channel(), None);
    assert!(serde_json::to_value(unknown).is_err());
}
