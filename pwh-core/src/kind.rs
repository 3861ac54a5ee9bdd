//! The typed view of the event kinds Pusher documents.

use crate::event::Event;
use crate::extract::ExtractError;
use crate::value::Value;

/// The typed view of an event: one variant per kind Pusher documents, [`Unknown`] for others.
///
/// Get it with [`Event::typed`], or take it as a handler parameter.
///
/// [`Unknown`]: PusherEvent::Unknown
#[derive(Debug, Clone, Copy, PartialEq)]
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
        /// Its data: usually a string of JSON text, sometimes the object itself.
        data: Option<&'e Value<'e>>,
        /// The sender's socket.
        socket_id: Option<&'e str>,
        /// The sender, on presence channels when the sender includes it.
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
    Unknown {
        /// The kind's name.
        name: &'e str,
    },
}

/// The kinds Pusher documents and the fields each one has besides `name`.
///
/// `#[on_event]` checks handler parameters against this table at compile time.
pub const KNOWN_KINDS: &[(&str, &[&str])] = &[
    ("channel_occupied", &["channel"]),
    ("channel_vacated", &["channel"]),
    ("member_added", &["channel", "user_id"]),
    ("member_removed", &["channel", "user_id"]),
    (
        "client_event",
        &["channel", "event", "data", "socket_id", "user_id"],
    ),
    ("cache_miss", &["channel"]),
    ("subscription_count", &["channel", "subscription_count"]),
];

impl<'e> PusherEvent<'e> {
    pub(crate) fn from_event(event: &'e Event<'e>) -> Result<Self, ExtractError> {
        let str_field = |field: &'static str| match event.get(field) {
            Some(Value::String(s)) => Ok(s.as_ref()),
            Some(other) => Err(ExtractError::WrongType {
                field,
                found: other.type_name(),
                expected: "a string",
            }),
            None => Err(ExtractError::Missing { field }),
        };
        let optional = |field: &'static str| match event.get(field) {
            None | Some(Value::Null) => Ok(None),
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
                data: event.get("data"),
                socket_id: optional("socket_id")?,
                user_id: optional("user_id")?,
            },
            "cache_miss" => Self::CacheMiss {
                channel: str_field("channel")?,
            },
            "subscription_count" => {
                const FIELD: &str = "subscription_count";
                let value = event
                    .get(FIELD)
                    .ok_or(ExtractError::Missing { field: FIELD })?;
                Self::SubscriptionCount {
                    channel: str_field("channel")?,
                    subscription_count: value.as_u64().ok_or(ExtractError::WrongType {
                        field: FIELD,
                        found: value.type_name(),
                        expected: "a non-negative integer",
                    })?,
                }
            }
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
    fn every_known_kind() {
        typed(r#"{"name":"channel_occupied","channel":"a"}"#, |e| {
            assert_eq!(e.unwrap(), PusherEvent::ChannelOccupied { channel: "a" })
        });
        typed(r#"{"channel":"a","name":"channel_vacated"}"#, |e| {
            assert_eq!(e.unwrap(), PusherEvent::ChannelVacated { channel: "a" })
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
            r#"{"name":"member_removed","channel":"p","user_id":"1"}"#,
            |e| {
                assert_eq!(
                    e.unwrap(),
                    PusherEvent::MemberRemoved {
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
                            data: Some(Value::String(_))
                        }
                    ),
                    "{e:?}"
                );
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

    #[test]
    fn table_matches_typed_view() {
        for (kind, _) in KNOWN_KINDS {
            typed(&format!(r#"{{"name":"{kind}"}}"#), |e| {
                // Known kinds are never Unknown: they fail on their first missing field.
                assert!(e.is_err(), "{kind}");
            });
        }
    }
}
