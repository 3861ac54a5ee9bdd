//! Extractors: how each handler parameter is read from the event.

mod client_data;
mod error;
mod job;
mod shared;

pub use client_data::ClientData;
#[doc(hidden)]
pub use client_data::ClientDataParam;
pub use error::ExtractError;
pub use shared::{Shared, StateNeeds};

use std::str::FromStr;

use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

use crate::context::EventContext;
use crate::event::Event;
use crate::fields::Field;
use crate::json;
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
/// | `bool`, `&RawValue`, `serde_json::Value` | the field named like the parameter |
/// | `&Event` | the whole event, every field |
/// | `&Webhook` | the webhook: `time_ms`, age, all events |
/// | `PusherEvent` | the typed view of the event |
/// | [`Shared<T>`], `&Shared<T>` | state registered with `DispatcherBuilder::state`, cloned or borrowed |
/// | [`ClientData<T>`] | a client event's `data`, parsed from JSON into `T` |
/// | `EventContext` | everything above |
/// | `Option<T>` of any of these | `None` when the field is absent or `null`; other errors stay errors |
/// | `Result<T, ExtractError>` of any of these | every error, for the handler to decide |
///
/// ```
/// use pwh_core::handler::ExtractError;
/// use pwh_core::{EventContext, FromEvent};
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
    note = "parameters are `&str`/`String`/number fields named like the parameter, \
            `&Event`, `&Webhook`, `PusherEvent`, `Shared<T>`, `&Shared<T>`, \
            `ClientData<T>` (a client event's `data` parsed into `T`), \
            a struct with `#[derive(FromEvent)]` (read from the event's own fields), \
            `Job` (in a deferred handler), and `Option<_>` or `Result<_, ExtractError>` of any of these",
    note = "for the dispatcher's state, take `pwh_core::Shared<T>` (given to `DispatcherBuilder::state`), \
            not axum's or Rocket's `State`"
)]
pub trait FromEvent<'r>: Sized {
    /// Reads the parameter named `param` from `cx`.
    ///
    /// # Errors
    ///
    /// An [`ExtractError`] when the event lacks what the parameter needs: the handler does
    /// not run, and the event is reported as unprocessable (see [`ExtractError`]).
    fn from_event(cx: &EventContext<'r>, param: &'static str) -> Result<Self, ExtractError>;

    /// Adds the dispatcher state this parameter cannot do without (as [`Shared<T>`] does),
    /// so that a missing one is reported when the dispatcher is built, not by the first
    /// webhook. The default: none.
    fn required_state(needs: &mut StateNeeds) {
        let _ = needs;
    }
}

/// A value that one event field can be read as.
pub(crate) trait FieldValue<'r>: Sized {
    const EXPECTED: &'static str;
    fn from_field(field: &'r Field<'r>) -> Option<Self>;
    /// From the event's `name`, for a parameter called `name`.
    fn from_name(name: &'r str) -> Option<Self> {
        let _ = name;
        None
    }
}

/// The field `name` of `event` as a `T`: `None` when absent or `null`.
pub(crate) fn read_field<'r, T: FieldValue<'r>>(
    event: &'r Event<'r>,
    name: &'static str,
) -> Result<Option<T>, ExtractError> {
    if name == "name" {
        return T::from_name(event.name())
            .map(Some)
            .ok_or(ExtractError::WrongType {
                field: name,
                found: "a string",
                expected: T::EXPECTED,
            });
    }
    let field = match event.field(name) {
        Some(field) if !field.is_null() => field,
        _ => return Ok(None),
    };
    T::from_field(field)
        .map(Some)
        .ok_or(ExtractError::WrongType {
            field: name,
            found: json::type_name(field.raw()),
            expected: T::EXPECTED,
        })
}

/// A number given as a JSON number or as a string holding one.
fn number<T: FromStr + DeserializeOwned>(field: &Field<'_>) -> Option<T> {
    match field.text() {
        Some(text) => text.trim().parse().ok(),
        None => serde_json::from_str(field.raw().get()).ok(),
    }
}

macro_rules! field_values {
    ($($ty:ty as $spelled:literal => $expected:literal, $conv:expr $(, name: $name:expr)?;)*) => {
        /// The field types, by the last segment of their path as a handler spells them: what
        /// `#[on_event]` checks against the kind's fields. pwh-macros keeps a copy (this crate
        /// depends on it), which a test of that crate compares with this one in full.
        pub const FIELD_TYPES: &[&str] = &[$($spelled),*];
        $(
        impl<'r> FieldValue<'r> for $ty {
            const EXPECTED: &'static str = $expected;
            fn from_field(field: &'r Field<'r>) -> Option<Self> {
                let conv: fn(&'r Field<'r>) -> Option<Self> = $conv;
                conv(field)
            }
            $(fn from_name(name: &'r str) -> Option<Self> {
                let conv: fn(&'r str) -> Self = $name;
                Some(conv(name))
            })?
        }

        impl<'r> FromEvent<'r> for $ty {
            fn from_event(cx: &EventContext<'r>, param: &'static str) -> Result<Self, ExtractError> {
                read_field(cx.event, param)?.ok_or(ExtractError::Missing { field: param })
            }
        }
    )*};
}

field_values! {
    &'r str as "str" => "a string", Field::text, name: |name| name;
    String as "String" => "a string", |f| f.text().map(str::to_owned), name: str::to_owned;
    u64 as "u64" => "a non-negative integer", number;
    u32 as "u32" => "a 32-bit non-negative integer", number;
    u16 as "u16" => "a 16-bit non-negative integer", number;
    usize as "usize" => "a non-negative integer", number;
    i64 as "i64" => "an integer", number;
    i32 as "i32" => "a 32-bit integer", number;
    f64 as "f64" => "a number", number;
    bool as "bool" => "a boolean", |f| serde_json::from_str(f.raw().get()).ok();
    &'r RawValue as "RawValue" => "a JSON value", |f| Some(f.raw());
    serde_json::Value as "Value" => "a JSON value", |f| serde_json::from_str(f.raw().get()).ok();
}

impl<'r, T: FromEvent<'r>> FromEvent<'r> for Option<T> {
    /// `None` when what `T` reads is absent (or `null`); any other error stays an error.
    fn from_event(cx: &EventContext<'r>, param: &'static str) -> Result<Self, ExtractError> {
        match T::from_event(cx, param) {
            Ok(value) => Ok(Some(value)),
            Err(ExtractError::Missing { .. }) => Ok(None),
            Err(error) => Err(error),
        }
    }
}

impl<'r, T: FromEvent<'r>> FromEvent<'r> for Result<T, ExtractError> {
    /// Every error, for the handler to decide what bad data means.
    fn from_event(cx: &EventContext<'r>, param: &'static str) -> Result<Self, ExtractError> {
        Ok(T::from_event(cx, param))
    }
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
            job: None,
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
                Result::<u64, ExtractError>::from_event(cx, "user_id").unwrap(),
                Err(ExtractError::Missing { field: "user_id" })
            );
            assert_eq!(
                Option::<Option<&str>>::from_event(cx, "channel").unwrap(),
                Some(Some("c"))
            );
            assert_eq!(
                <&Event<'_>>::from_event(cx, "x").unwrap().name(),
                "subscription_count"
            );
            assert_eq!(<&Webhook<'_>>::from_event(cx, "x").unwrap().time_ms(), 1);
        });
    }
}
