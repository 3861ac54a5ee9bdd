//! The one definition of the kinds: [`with_kinds!`](crate::with_kinds).

/// Hands the definition of every kind Pusher documents to the `macro_rules!` named `callback`.
///
/// This is the one place the kinds are written. The callback receives, for each kind in order,
/// its `///` docs, its name (as sent in `name`, an identifier), the name of its `PusherEvent`
/// variant and its fields besides `name`, each with its `///` docs, its [`Shape`] and its
/// [`Presence`] (written as the variants' names):
///
/// ```text
/// /// A user joined a presence channel.
/// member_added MemberAdded {
///     /// The presence channel.
///     channel: Text Always,
///     /// The user.
///     user_id: Text Always,
/// }
/// ```
///
/// [`KINDS`](crate::KINDS) is this crate's own callback's output; `pwh-core` generates
/// `PusherEvent`, `KNOWN_KINDS` and the test builders with its callbacks.
///
/// [`Shape`]: crate::Shape
/// [`Presence`]: crate::Presence
#[macro_export]
macro_rules! with_kinds {
    ($($callback:ident)::+) => {
        $($callback)::+! {
            /// A channel got its first subscriber.
            channel_occupied ChannelOccupied {
                /// The channel.
                channel: Text Always,
            }
            /// A channel lost its last subscriber (may arrive a few seconds late).
            channel_vacated ChannelVacated {
                /// The channel.
                channel: Text Always,
            }
            /// A user joined a presence channel.
            member_added MemberAdded {
                /// The presence channel.
                channel: Text Always,
                /// The user.
                user_id: Text Always,
            }
            /// A user left a presence channel.
            member_removed MemberRemoved {
                /// The presence channel.
                channel: Text Always,
                /// The user.
                user_id: Text Always,
            }
            /// A client sent a `client-` event on a private or presence channel.
            client_event ClientEvent {
                /// The channel.
                channel: Text Always,
                /// The client event's name, e.g. `client-typing`.
                event: Text Always,
                /// Its data, as raw JSON: usually a string of JSON text, sometimes the object
                /// itself, or anything a browser sent.
                data: Json Usually,
                /// The sender's socket.
                socket_id: Text Usually,
                /// The sender, on presence channels when the sender includes it.
                user_id: Text Sometimes,
            }
            /// A client subscribed to a cache channel that had no cached message.
            cache_miss CacheMiss {
                /// The cache channel.
                channel: Text Always,
            }
            /// The number of subscriptions of a channel changed.
            subscription_count SubscriptionCount {
                /// The channel.
                channel: Text Always,
                /// How many subscriptions it now has (sent as a number or a string).
                subscription_count: Count Always,
            }
        }
    };
}
