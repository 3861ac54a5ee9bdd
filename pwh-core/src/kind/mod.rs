//! The typed view of the event kinds Pusher documents.

use serde::Serialize;
use serde_json::value::RawValue;

use crate::context::EventContext;
use crate::event::Event;
use crate::extract::{ExtractError, FromEvent};
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

impl Event<'_> {
    /// The typed view of a known kind; [`PusherEvent::Unknown`] for other kinds.
    ///
    /// # Errors
    ///
    /// An [`ExtractError`] when a known kind lacks a field it must have, or has it with the
    /// wrong type.
    pub fn typed(&self) -> Result<PusherEvent<'_>, ExtractError> {
        PusherEvent::from_event(self)
    }
}

impl<'r> FromEvent<'r> for PusherEvent<'r> {
    fn from_event(cx: &EventContext<'r>, _param: &'static str) -> Result<Self, ExtractError> {
        let event: &'r Event<'r> = cx.event;
        event.typed()
    }
}

#[cfg(test)]
mod tests;
