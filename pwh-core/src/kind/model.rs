//! The typed view, [`PusherEvent`], generated from the one definition of the kinds
//! (`pwh_kinds::with_kinds!`): its variants and docs, reading, `name()`, `channel()`,
//! equality and serialization.

use serde::ser::{Error as _, SerializeStruct};
use serde::{Serialize, Serializer};
use serde_json::value::RawValue;

use super::field::KindField;
use super::read::ReadField;
use crate::event::Event;
use crate::extract::ExtractError;

/// The Rust type of a field of the definition, from its shape and presence.
macro_rules! field_type {
    ($l:lifetime Text Always) => { &$l str };
    ($l:lifetime Text $optional:ident) => { Option<&$l str> };
    ($l:lifetime Json Always) => { &$l RawValue };
    ($l:lifetime Json $optional:ident) => { Option<&$l RawValue> };
    ($l:lifetime Count Always) => { u64 };
    ($l:lifetime Count $optional:ident) => { Option<u64> };
}

/// `Some(channel)` when one of the fields, each given twice, is `channel`.
macro_rules! channel_of {
    () => { None };
    (channel $channel:ident $($rest:ident)*) => { Some($channel) };
    ($other:ident $same:ident $($rest:ident)*) => { channel_of!($($rest)*) };
}

/// Writes the typed view of the kinds handed over by `pwh_kinds::with_kinds!`.
macro_rules! pusher_event {
    ($( $(#[doc = $doc:literal])* $kind:ident $variant:ident {
        $( $(#[doc = $fdoc:literal])* $field:ident : $shape:ident $presence:ident, )*
    } )*) => {
        /// The typed view of an event: one variant per kind Pusher documents, [`Unknown`]
        /// for others.
        ///
        /// Get it with [`Event::typed`], or take it as a handler parameter. A field that an
        /// event of the kind may lack (see [`KNOWN_KINDS`](super::KNOWN_KINDS)) is an `Option`.
        ///
        /// [`Unknown`]: PusherEvent::Unknown
        #[derive(Debug, Clone, Copy)]
        #[non_exhaustive]
        pub enum PusherEvent<'e> {
            $(
                $(#[doc = $doc])*
                $variant {
                    $( $(#[doc = $fdoc])* $field: field_type!('e $shape $presence), )*
                },
            )*
            /// A kind this library does not know: read its fields from the [`Event`].
            Unknown {
                /// The kind's name.
                name: &'e str,
            },
        }

        impl<'e> PusherEvent<'e> {
            pub(crate) fn from_event(event: &'e Event<'e>) -> Result<Self, ExtractError> {
                Ok(match event.name() {
                    $(
                        stringify!($kind) => Self::$variant {
                            $( $field: ReadField::read(event, stringify!($field))?, )*
                        },
                    )*
                    name => Self::Unknown { name },
                })
            }

            /// The event's kind, as sent in `name`.
            pub fn name(&self) -> &'e str {
                match *self {
                    $( Self::$variant { .. } => stringify!($kind), )*
                    Self::Unknown { name } => name,
                }
            }

            /// The channel, for every kind that has one.
            pub fn channel(&self) -> Option<&'e str> {
                match *self {
                    $(
                        #[allow(unused_variables)]
                        Self::$variant { $($field),* } => channel_of!($($field $field)*),
                    )*
                    Self::Unknown { .. } => None,
                }
            }
        }

        /// Raw JSON (a client event's `data`) compares by its text.
        impl PartialEq for PusherEvent<'_> {
            fn eq(&self, other: &Self) -> bool {
                match (*self, *other) {
                    $(
                        (Self::$variant { $($field),* }, Self::$variant { .. }) => {
                            let left = ($( KindField::key($field), )*);
                            match *other {
                                Self::$variant { $($field),* } => {
                                    left == ($( KindField::key($field), )*)
                                }
                                _ => false,
                            }
                        }
                    )*
                    (Self::Unknown { name: a }, Self::Unknown { name: b }) => a == b,
                    _ => false,
                }
            }
        }

        /// As Pusher sends it: `name` first, then the fields that are there. `Unknown` cannot
        /// be serialized (its fields are in the [`Event`]).
        impl Serialize for PusherEvent<'_> {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                match *self {
                    $(
                        Self::$variant { $($field),* } => {
                            let len = 1 $( + usize::from(!KindField::is_absent(&$field)) )*;
                            let mut event = serializer.serialize_struct(stringify!($variant), len)?;
                            event.serialize_field("name", stringify!($kind))?;
                            $(
                                if KindField::is_absent(&$field) {
                                    event.skip_field(stringify!($field))?;
                                } else {
                                    event.serialize_field(stringify!($field), &$field)?;
                                }
                            )*
                            event.end()
                        }
                    )*
                    Self::Unknown { .. } => Err(S::Error::custom(
                        "the enum variant PusherEvent::Unknown cannot be serialized",
                    )),
                }
            }
        }
    };
}

pwh_kinds::with_kinds!(pusher_event);
