//! The typed view of the event kinds Pusher documents, generated from their one definition
//! (`pwh_kinds::with_kinds!`): [`PusherEvent`] and [`KNOWN_KINDS`].

mod field;
mod known_kinds;
mod model;
mod read;

use crate::context::EventContext;
use crate::event::Event;
use crate::extract::{ExtractError, FromEvent};

pub use known_kinds::KNOWN_KINDS;
pub use model::PusherEvent;

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
