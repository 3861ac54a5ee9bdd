#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_auto_cfg))]
#![cfg_attr(
    not(test),
    warn(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

/// Visitor methods refusing strings without quoting them: serde's default messages quote the
/// unexpected value, and error messages must never carry the body's content.
macro_rules! refuse_strings_quietly {
    () => {
        fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Err(E::invalid_type(
                serde::de::Unexpected::Other("a string"),
                &self,
            ))
        }
        fn visit_bytes<E: serde::de::Error>(self, _: &[u8]) -> Result<Self::Value, E> {
            Err(E::invalid_type(
                serde::de::Unexpected::Other("bytes"),
                &self,
            ))
        }
    };
}

mod adapter;
mod clock;
mod context;
mod delivery;
mod dispatcher;
mod event;
mod extract;
mod fields;
mod handler;
mod headers;
mod keyring;
mod kind;
mod outcome;
mod registry;
mod rejection;
mod response;
mod routes;
#[cfg(feature = "tower")]
mod service;
mod token;
mod value;
mod webhook;

#[cfg(feature = "testing")]
pub mod testing;

pub use clock::{Clock, FixedClock, SystemClock};
pub use context::EventContext;
pub use delivery::{
    Begin, DeliveryId, DeliveryLog, End, LeaseToken, MemoryLog, Progress, StoreError,
    StoreErrorKind,
};
pub use dispatcher::{Dispatcher, DispatcherBuilder};
pub use event::Event;
pub use extract::{ClientData, ExtractError, FromEvent, Shared};
pub use handler::{EventHandler, EventRoute, HandlerError, HandlerInfo, IntoHandlerResult};
pub use headers::{Headers, KEY as KEY_HEADER, SIGNATURE as SIGNATURE_HEADER};
pub use keyring::{KeyRing, KeyRingError, Verified, ENV_EXTRA_TOKENS, ENV_KEY, ENV_SECRET};
pub use kind::{PusherEvent, KNOWN_KINDS};
pub use outcome::{HandlerRun, RunResult, WebhookOutcome};
pub use registry::registered_handlers;
pub use rejection::Rejection;
pub use response::WebhookResponse;
pub use token::{Secret, Token};
pub use value::Value;
pub use webhook::Webhook;

pub use async_trait::async_trait;
pub use pwh_macros::{on_event, FromEvent};

/// The handle `#[on_event]` generates next to a function, to add it to a dispatcher by hand.
///
/// ```
/// use pwh_core::{handler, on_event, Dispatcher, KeyRing, Token};
///
/// #[on_event("channel_vacated")]
/// async fn stop(channel: &str) {}
///
/// let dispatcher = Dispatcher::builder(KeyRing::new([Token::new("k", "s")]))
///     .registered_handlers(false)
///     .handler(handler!(stop))
///     .build();
/// assert_eq!(dispatcher.handlers().len(), 1);
/// ```
#[macro_export]
macro_rules! handler {
    ($($path:ident)::+) => {
        $($path)::+ {}
    };
}

/// What generated code names; not public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::registry::Registration;
    pub use async_trait::async_trait;
    pub use inventory;
}
