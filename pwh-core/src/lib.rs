#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_auto_cfg))]
// Outside tests: no `unwrap` and no indexing that can panic; an invariant that cannot
// break says why with `expect("...")`.
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::indexing_slicing))]

pub mod adapter;
mod clock;
mod context;
pub mod delivery;
pub mod dispatcher;
mod event;
mod extract;
mod fields;
pub mod handler;
mod headers;
pub mod jobs;
mod json;
pub mod keyring;
mod kind;
mod observe;
mod outcome;
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

// What a handler author needs; the rest is in the modules above.
pub use context::EventContext;
pub use dispatcher::Dispatcher;
pub use event::Event;
pub use extract::{ClientData, FromEvent, Shared};
pub use handler::{HandlerError, Permanent};
pub use jobs::Job;
pub use keyring::KeyRing;
pub use kind::PusherEvent;
pub use token::Token;
pub use webhook::Webhook;

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
    pub use crate::extract::{ClientDataParam, FIELD_TYPES};
    pub use crate::handler::Registration;
    pub use async_trait::async_trait;
    pub use inventory;
    pub use serde_json::value::RawValue;
}
