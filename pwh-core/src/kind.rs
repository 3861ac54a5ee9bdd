//! The typed view of the event kinds Pusher documents.

use serde::Serialize;
use serde_json::value::RawValue;

use crate::event::Event;
use crate::extract::ExtractError;
use crate::json;

/// The typed view of an event: one variant per kind Pusher documents, [`Unknown`] for others.
///
/// Get it with [`Event::typed`], or take it as a handler parameter.
///
/// [`Unknown`]: PusherEvent::Unknown
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(tag = "name", rename_all = "snake_case")]
#[non_exhaustive]
pub enum PusherEvent<'e> {
    /// A channel got its first subscriber.
    ChannelOccupied {
        /// The channel.
        channel: &'e str,
    },
    /// A channel lost its last subscriber (may arrive a few seconds late).
    ChannelVacated {
        /// The channel.
        channel: &'e str,
    },
    /// A user joined a presence channel.
    MemberAdded {
        /// The presence channel.
        channel: &'e str,
        /// The user.
        user_id: &'e str,
    },
    /// A user left a presence channel.
    MemberRemoved {
        /// The presence channel.
        channel: &'e str,
        /// The user.
        user_id: &'e str,
    },
    /// A client sent a `client-` event on a private or presence channel.
    ClientEvent {
        /// The channel.
        channel: &'e str,
        /// The client event's name, e.g. `client-typing`.
        event: &'e str,
        /// Its data, as raw JSON: usually a string of JSON text, sometimes the object itself,
        /// or anything a browser sent.
        #[serde(skip_serializing_if = "Option::is_none")]
        data: Option<&'e RawValue>,
        /// The sender's socket.
        #[serde(skip_serializing_if = "Option::is_none")]
        socket_id: Option<&'e str>,
        /// The sender, on presence channels when the sender includes it.
        #[serde(skip_serializing_if = "Option::is_none")]
        user_id: Option<&'e str>,
    },
    /// A client subscribed to a cache channel that had no cached message.
    CacheMiss {
        /// The cache channel.
        channel: &'e str,
    },
    /// The number of subscriptions of a channel changed.
    SubscriptionCount {
        /// The channel.
        channel: &'e str,
        /// How many subscriptions it now has (sent as a number or a string).
        subscription_count: u64,
    },
    /// A kind this library does not know: read its fields from the [`Event`].
    #[serde(skip)]
    Unknown {
        /// The kind's name.
        name: &'e str,
    },
}

/// The kinds Pusher documents, each with the fields it has besides `name`, and whether the
/// field is always there (`true`) or only sometimes (`false`: read it as an `Option`).
///
/// | kind | always | sometimes |
/// |---|---|---|
/// | `channel_occupied`, `channel_vacated`, `cache_miss` | `channel` | |
/// | `member_added`, `member_removed` | `channel`, `user_id` | |
/// | `client_event` | `channel`, `event`, `data`, `socket_id` | `user_id` (on presence channels, and not every sender sends it) |
/// | `subscription_count` | `channel`, `subscription_count` | |
///
/// This is the one definition: `#[on_event]` checks handler parameters against its copy of
/// it at compile time (a test compares the two in full), and [`PusherEvent`] reads it.
pub const KNOWN_KINDS: &[(&str, &[(&str, bool)])] = &[
    ("channel_occupied", &[("channel", true)]),
    ("channel_vacated", &[("channel", true)]),
    ("member_added", &[("channel", true), ("user_id", true)]),
    ("member_removed", &[("channel", true), ("user_id", true)]),
    (
        "client_event",
        &[
            ("channel", true),
            ("event", true),
            ("data", true),
            ("socket_id", true),
            ("user_id", false),
        ],
    ),
    ("cache_miss", &[("channel", true)]),
    (
        "subscription_count",
        &[("channel", true), ("subscription_count", true)],
    ),
];

impl<'e> PusherEvent<'e> {
    pub(crate) fn from_event(event: &'e Event<'e>) -> Result<Self, ExtractError> {
        let str_field = |field: &'static str| match event.field(field) {
            Some(f) => f.text().ok_or(ExtractError::WrongType {
                field,
                found: json::type_name(f.raw()),
                expected: "a string",
            }),
            None => Err(ExtractError::Missing { field }),
        };
        let optional = |field: &'static str| match event.field(field) {
            None => Ok(None),
            Some(f) if f.is_null() => Ok(None),
            Some(_) => str_field(field).map(Some),
        };
        Ok(match event.name() {
            "channel_occupied" => Self::ChannelOccupied {
                channel: str_field("channel")?,
            },
            "channel_vacated" => Self::ChannelVacated {
                channel: str_field("channel")?,
            },
            "member_added" => Self::MemberAdded {
                channel: str_field("channel")?,
                user_id: str_field("user_id")?,
            },
            "member_removed" => Self::MemberRemoved {
                channel: str_field("channel")?,
                user_id: str_field("user_id")?,
            },
            "client_event" => Self::ClientEvent {
                channel: str_field("channel")?,
                event: str_field("event")?,
                data: event.raw("data"),
                socket_id: optional("socket_id")?,
                user_id: optional("user_id")?,
            },
            "cache_miss" => Self::CacheMiss {
                channel: str_field("channel")?,
            },
            "subscription_count" => Self::SubscriptionCount {
                channel: str_field("channel")?,
                subscription_count: crate::extract::read_field(event, "subscription_count")?
                    .ok_or(ExtractError::Missing {
                        field: "subscription_count",
                    })?,
            },
            name => Self::Unknown { name },
        })
    }

    /// The event's kind, as sent in `name`.
    pub fn name(&self) -> &'e str {
        match self {
            Self::ChannelOccupied { .. } => "channel_occupied",
            Self::ChannelVacated { .. } => "channel_vacated",
            Self::MemberAdded { .. } => "member_added",
            Self::MemberRemoved { .. } => "member_removed",
            Self::ClientEvent { .. } => "client_event",
            Self::CacheMiss { .. } => "cache_miss",
            Self::SubscriptionCount { .. } => "subscription_count",
            Self::Unknown { name } => name,
        }
    }

    /// The channel, for every kind that has one.
    pub fn channel(&self) -> Option<&'e str> {
        match self {
            Self::ChannelOccupied { channel }
            | Self::ChannelVacated { channel }
            | Self::MemberAdded { channel, .. }
            | Self::MemberRemoved { channel, .. }
            | Self::ClientEvent { channel, .. }
            | Self::CacheMiss { channel }
            | Self::SubscriptionCount { channel, .. } => Some(channel),
            Self::Unknown { .. } => None,
        }
    }
}

impl PartialEq for PusherEvent<'_> {
    fn eq(&self, other: &Self) -> bool {
        use PusherEvent::{
            CacheMiss, ChannelOccupied, ChannelVacated, ClientEvent, MemberAdded, MemberRemoved,
            SubscriptionCount, Unknown,
        };
        match (self, other) {
            (ChannelOccupied { channel: a }, ChannelOccupied { channel: b })
            | (ChannelVacated { channel: a }, ChannelVacated { channel: b })
            | (CacheMiss { channel: a }, CacheMiss { channel: b })
            | (Unknown { name: a }, Unknown { name: b }) => a == b,
            (
                MemberAdded {
                    channel: a,
                    user_id: b,
                },
                MemberAdded {
                    channel: c,
                    user_id: d,
                },
            )
            | (
                MemberRemoved {
                    channel: a,
                    user_id: b,
                },
                MemberRemoved {
                    channel: c,
                    user_id: d,
                },
            ) => (a, b) == (c, d),
            (
                ClientEvent {
                    channel,
                    event,
                    data,
                    socket_id,
                    user_id,
                },
                ClientEvent {
                    channel: c,
                    event: e,
                    data: d,
                    socket_id: s,
                    user_id: u,
                },
            ) => {
                (channel, event, socket_id, user_id) == (c, e, s, u)
                    && data.map(RawValue::get) == d.map(RawValue::get)
            }
            (
                SubscriptionCount {
                    channel,
                    subscription_count,
                },
                SubscriptionCount {
                    channel: c,
                    subscription_count: n,
                },
            ) => (channel, subscription_count) == (c, n),
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
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
                    serde_json::from_str::<serde_json::Value>(&event_of(kind, fields, None))
                        .unwrap(),
                    "{kind}"
                );
            });
            for (field, always) in *fields {
                // The typed view reads two fields that Pusher always sends leniently, as
                // `Option`s, for compatible servers that leave them out.
                let lenient = *kind == "client_event" && ["data", "socket_id"].contains(field);
                typed(&event_of(kind, fields, Some(field)), |e| {
                    if *always && !lenient {
                        assert_eq!(e.unwrap_err(), ExtractError::Missing { field }, "{kind}");
                    } else {
                        assert!(e.is_ok(), "{kind} without {field}");
                    }
                });
            }
        }
    }
}
