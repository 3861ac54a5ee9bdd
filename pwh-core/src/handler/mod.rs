//! Handlers beyond `#[on_event]`: the [`EventHandler`] trait to implement by hand, closures
//! made handlers ([`handler_fn`], [`async_handler_fn`]), what a handler says of itself
//! ([`HandlerInfo`], [`EventRoute`]), and the handlers the binary registered.
//!
//! A handler written with `#[on_event]` needs none of this: the crate root has what it
//! takes as parameters and returns.
//!
//! ```
//! use pwh_core::handler::{handler_fn, EventRoute};
//! use pwh_core::{Dispatcher, HandlerError, KeyRing, Token};
//!
//! let audit = handler_fn("audit", EventRoute::Any, |cx| {
//!     println!("{} #{}", cx.event().name(), cx.index());
//!     Ok::<_, HandlerError>(())
//! });
//! let dispatcher = Dispatcher::builder(KeyRing::new([Token::new("k", "s")]))
//!     .registered_handlers(false)
//!     .handler(audit)
//!     .build();
//! assert_eq!(dispatcher.handlers()[0].name(), "audit");
//! ```

mod error;
mod event_handler;
mod handler_fn;
mod registry;

pub use error::{HandlerError, IntoHandlerResult, Permanent};
pub use event_handler::{EventHandler, EventRoute, HandlerInfo};
pub use handler_fn::{async_handler_fn, handler_fn, AsyncFnHandler, FnHandler, HandlerFuture};
pub(crate) use registry::registered;
pub use registry::registered_handlers;
#[doc(hidden)]
pub use registry::Registration;

pub use crate::extract::{ExtractError, StateNeeds};
pub use crate::kind::KNOWN_KINDS;
pub use async_trait::async_trait;
pub use serde_json::value::RawValue;
