#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_auto_cfg))]
// Outside tests: no `unwrap` and no indexing that can panic; an invariant that cannot
// break says why with `expect("...")`.
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::indexing_slicing))]

mod adapter;
mod clock;
mod context;
mod delivery;
mod dispatcher;
mod event;
mod extract;
mod fields;
mod handler;
mod handler_fn;
mod headers;
mod json;
mod keyring;
mod kind;
mod observe;
mod outcome;
mod registry;
mod rejection;
mod response;
mod routes;
#[cfg(feature = "tower")]
mod service;
mod store_error;
mod token;
mod webhook;

#[cfg(feature = "testing")]
pub mod testing;

pub use clock::{Clock, FixedClock, SystemClock};
pub use context::EventContext;
pub use delivery::{
    Begin, DeliveryId, DeliveryLog, Done, LeaseTerms, LeaseToken, MemoryLog, Pairs, Progress,
    StoreFuture,
};
pub use dispatcher::{BuildError, Dispatcher, DispatcherBuilder};
pub use event::Event;
pub use extract::{ClientData, ExtractError, FromEvent, Shared, StateNeeds};
pub use handler::{
    EventHandler, EventRoute, HandlerError, HandlerInfo, IntoHandlerResult, Permanent,
};
pub use handler_fn::{async_handler_fn, handler_fn, AsyncFnHandler, FnHandler, HandlerFuture};
pub use headers::{Headers, KEY as KEY_HEADER, SIGNATURE as SIGNATURE_HEADER};
pub use keyring::{KeyRing, KeyRingError, Verified, ENV_EXTRA_TOKENS, ENV_KEY, ENV_SECRET};
pub use kind::{PusherEvent, KNOWN_KINDS};
pub use outcome::{HandlerRun, RunResult, Verdict, WebhookOutcome};
pub use registry::registered_handlers;
pub use rejection::Rejection;
pub use response::WebhookResponse;
pub use store_error::{StoreError, StoreErrorKind};
pub use token::{Secret, Token};
pub use webhook::Webhook;

pub use async_trait::async_trait;
pub use pwh_macros::{on_event, FromEvent};
pub use serde_json::value::RawValue;

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
    pub use crate::extract::{ClientDataParam, FIELD_TYPES};
    pub use crate::registry::Registration;
    pub use async_trait::async_trait;
    pub use inventory;
    pub use serde_json::value::RawValue;
}
