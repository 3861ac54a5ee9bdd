//! How the typed view reads each field type from an event: [`ReadField`].

use serde_json::value::RawValue;

use crate::event::Event;
use crate::extract::{read_field, ExtractError};
use crate::fields::Field;
use crate::json;

/// A field type of [`PusherEvent`](super::PusherEvent), read from the event's field of that
/// name. The definition's shape and presence choose the type; the type chooses the reading.
pub(super) trait ReadField<'e>: Sized {
    /// The field `field` of `event`.
    fn read(event: &'e Event<'e>, field: &'static str) -> Result<Self, ExtractError>;
}

/// The text of `found`, the field `field`.
#[inline]
fn text<'e>(found: &'e Field<'e>, field: &'static str) -> Result<&'e str, ExtractError> {
    found.text().ok_or(ExtractError::WrongType {
        field,
        found: json::type_name(found.raw()),
        expected: "a string",
    })
}

impl<'e> ReadField<'e> for &'e str {
    #[inline]
    fn read(event: &'e Event<'e>, field: &'static str) -> Result<Self, ExtractError> {
        match event.field(field) {
            Some(found) => text(found, field),
            None => Err(ExtractError::Missing { field }),
        }
    }
}

/// Absent or `null`: `None`.
impl<'e> ReadField<'e> for Option<&'e str> {
    #[inline]
    fn read(event: &'e Event<'e>, field: &'static str) -> Result<Self, ExtractError> {
        match event.field(field) {
            None => Ok(None),
            Some(found) if found.is_null() => Ok(None),
            Some(found) => text(found, field).map(Some),
        }
    }
}

/// Any JSON, `null` included.
impl<'e> ReadField<'e> for &'e RawValue {
    #[inline]
    fn read(event: &'e Event<'e>, field: &'static str) -> Result<Self, ExtractError> {
        event.raw(field).ok_or(ExtractError::Missing { field })
    }
}

/// Any JSON, `null` included; `None` when absent.
impl<'e> ReadField<'e> for Option<&'e RawValue> {
    #[inline]
    fn read(event: &'e Event<'e>, field: &'static str) -> Result<Self, ExtractError> {
        Ok(event.raw(field))
    }
}

/// A number, or a string holding one.
impl<'e> ReadField<'e> for u64 {
    #[inline]
    fn read(event: &'e Event<'e>, field: &'static str) -> Result<Self, ExtractError> {
        read_field(event, field)?.ok_or(ExtractError::Missing { field })
    }
}

/// A number, or a string holding one; absent or `null`: `None`.
impl<'e> ReadField<'e> for Option<u64> {
    #[inline]
    fn read(event: &'e Event<'e>, field: &'static str) -> Result<Self, ExtractError> {
        read_field(event, field)
    }
}
