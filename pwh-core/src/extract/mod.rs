//! Extractors: how each handler parameter is read from the event.

mod client_data;
mod error;
mod shared;

pub use client_data::ClientData;
pub use error::ExtractError;
pub use shared::Shared;

use crate::context::EventContext;
use crate::event::Event;
use crate::kind::PusherEvent;
use crate::value::Value;
use crate::webhook::Webhook;

/// Reads one handler parameter from an event, given the parameter's name.
///
/// `#[on_event]` calls it for every parameter: `channel: &str` reads the `channel` field,
/// `Shared<T>` reads dispatcher state whatever its name. Implement it (or derive it with
/// `#[derive(FromEvent)]`) to take your own types as parameters.
///
/// | parameter type | reads |
/// |---|---|
/// | `&str`, `String` | the string field named like the parameter (`name` is the event kind) |
/// | `u64`, `u32`, `u16`, `usize`, `i64`, `i32`, `f64` | a number field, given as a number or a numeric string |
/// | `bool`, `&Value`, `serde_json::Value` | the field named like the parameter |
/// | `Option<T>` of those | the same, `None` when the field is absent or `null` |
/// | `&Event` | the whole event, every field |
/// | `&Webhook` | the webhook: `time_ms`, age, all events |
/// | `PusherEvent` | the typed view of the event |
/// | [`Shared<T>`], `&Shared<T>` | state registered with `DispatcherBuilder::state`, cloned or borrowed |
/// | [`ClientData<T>`] | a client event's `data`, parsed from JSON into `T` |
/// | `EventContext` | everything above |
///
/// ```
/// use pwh_core::{EventContext, ExtractError, FromEvent};
///
/// /// The part of a presence channel name after `presence-`.
/// struct Room<'r>(&'r str);
///
/// impl<'r> FromEvent<'r> for Room<'r> {
///     fn from_event(cx: &EventContext<'r>, _param: &'static str) -> Result<Self, ExtractError> {
///         let channel = <&str>::from_event(cx, "channel")?;
///         Ok(Room(channel.strip_prefix("presence-").unwrap_or(channel)))
///     }
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a handler parameter",
    label = "not readable from a Pusher event",
    note = "parameters are `&str`/`String`/number fields named like the parameter, `Option<_>` of those, \
            `&Event`, `&Webhook`, `PusherEvent`, `Shared<T>`, `&Shared<T>`, `ClientData<T>`, or a type with `#[derive(FromEvent)]`"
)]
pub trait FromEvent<'r>: Sized {
    /// Reads the parameter named `param` from `cx`.
    ///
    /// # Errors
    ///
    /// An [`ExtractError`] when the event lacks what the parameter needs: the handler then
    /// fails with that message and the webhook is answered with 500.
    fn from_event(cx: &EventContext<'r>, param: &'static str) -> Result<Self, ExtractError>;
}

/// A value that one event field can be read as.
trait FieldValue<'r>: Sized {
    const EXPECTED: &'static str;
    fn from_value(value: &'r Value<'r>) -> Option<Self>;
}

fn field<'r, T: FieldValue<'r>>(
    cx: &EventContext<'r>,
    param: &'static str,
) -> Result<Option<T>, ExtractError> {
    let event: &'r Event<'r> = cx.event;
    let value = match event.get(param) {
        None | Some(Value::Null) => return Ok(None),
        Some(value) => value,
    };
    T::from_value(value)
        .map(Some)
        .ok_or(ExtractError::WrongType {
            field: param,
            found: value.type_name(),
            expected: T::EXPECTED,
        })
}

macro_rules! field_values {
    ($($ty:ty => $expected:literal, $conv:expr;)*) => {$(
        impl<'r> FieldValue<'r> for $ty {
            const EXPECTED: &'static str = $expected;
            fn from_value(value: &'r Value<'r>) -> Option<Self> {
                let conv: fn(&'r Value<'r>) -> Option<Self> = $conv;
                conv(value)
            }
        }

        impl<'r> FromEvent<'r> for $ty {
            fn from_event(cx: &EventContext<'r>, param: &'static str) -> Result<Self, ExtractError> {
                field(cx, param)?.ok_or(ExtractError::Missing { field: param })
            }
        }

        impl<'r> FromEvent<'r> for Option<$ty> {
            fn from_event(cx: &EventContext<'r>, param: &'static str) -> Result<Self, ExtractError> {
                field(cx, param)
            }
        }
    )*};
}

field_values! {
    &'r str => "a string", Value::as_str;
    String => "a string", |v| v.as_str().map(str::to_owned);
    u64 => "a non-negative integer", Value::as_u64;
    u32 => "a 32-bit non-negative integer", |v| v.as_u64().and_then(|n| n.try_into().ok());
    u16 => "a 16-bit non-negative integer", |v| v.as_u64().and_then(|n| n.try_into().ok());
    usize => "a non-negative integer", |v| v.as_u64().and_then(|n| n.try_into().ok());
    i64 => "an integer", Value::as_i64;
    i32 => "a 32-bit integer", |v| v.as_i64().and_then(|n| n.try_into().ok());
    f64 => "a number", Value::as_f64;
    bool => "a boolean", Value::as_bool;
    &'r Value<'r> => "a JSON value", Some;
    serde_json::Value => "a JSON value", |v| Some(v.to_json());
}

impl<'r> FromEvent<'r> for &'r Event<'r> {
    fn from_event(cx: &EventContext<'r>, _param: &'static str) -> Result<Self, ExtractError> {
        Ok(cx.event)
    }
}

impl<'r> FromEvent<'r> for &'r Webhook<'r> {
    fn from_event(cx: &EventContext<'r>, _param: &'static str) -> Result<Self, ExtractError> {
        Ok(cx.webhook)
    }
}

impl<'r> FromEvent<'r> for PusherEvent<'r> {
    fn from_event(cx: &EventContext<'r>, _param: &'static str) -> Result<Self, ExtractError> {
        let event: &'r Event<'r> = cx.event;
        event.typed()
    }
}

impl<'r> FromEvent<'r> for EventContext<'r> {
    fn from_event(cx: &EventContext<'r>, _param: &'static str) -> Result<Self, ExtractError> {
        Ok(*cx)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn with_cx<R>(body: &[u8], f: impl FnOnce(&EventContext<'_>) -> R) -> R {
        with_state_cx(body, http::Extensions::new(), f)
    }

    /// The context of the first event of `body`, with `state` as the dispatcher's state.
    pub(crate) fn with_state_cx<R>(
        body: &[u8],
        state: http::Extensions,
        f: impl FnOnce(&EventContext<'_>) -> R,
    ) -> R {
        let hook = Webhook::parse(body).unwrap();
        let cx = EventContext {
            webhook: &hook,
            event: &hook.events()[0],
            index: 0,
            key: "k",
            state: &state,
        };
        f(&cx)
    }

    const SUB: &[u8] = br#"{"time_ms":1,"events":[{"name":"subscription_count","channel":"c","subscription_count":"17","n":null,"f":1.5}]}"#;

    #[test]
    fn strings_numbers_and_options() {
        with_cx(SUB, |cx| {
            assert_eq!(<&str>::from_event(cx, "channel").unwrap(), "c");
            assert_eq!(
                String::from_event(cx, "name").unwrap(),
                "subscription_count"
            );
            assert_eq!(u64::from_event(cx, "subscription_count").unwrap(), 17);
            assert_eq!(u32::from_event(cx, "subscription_count").unwrap(), 17);
            assert_eq!(f64::from_event(cx, "f").unwrap(), 1.5);
            assert_eq!(Option::<&str>::from_event(cx, "user_id").unwrap(), None);
            assert_eq!(Option::<&str>::from_event(cx, "n").unwrap(), None);
            assert_eq!(
                <&str>::from_event(cx, "user_id").unwrap_err(),
                ExtractError::Missing { field: "user_id" }
            );
            assert_eq!(
                u64::from_event(cx, "channel").unwrap_err().to_string(),
                "field `channel` is a string, expected a non-negative integer"
            );
            assert!(Option::<u64>::from_event(cx, "f").is_err());
            assert_eq!(
                <&Event<'_>>::from_event(cx, "x").unwrap().name(),
                "subscription_count"
            );
            assert_eq!(<&Webhook<'_>>::from_event(cx, "x").unwrap().time_ms(), 1);
        });
    }
}
