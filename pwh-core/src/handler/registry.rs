//! The handlers `#[on_event]` registered, collected at link time with `inventory`.

use crate::handler::{EventHandler, HandlerInfo};

/// One handler registered by `#[on_event]`. Generated code only.
#[doc(hidden)]
pub struct Registration {
    handler: &'static dyn EventHandler,
}

impl Registration {
    #[doc(hidden)]
    pub const fn new(handler: &'static dyn EventHandler) -> Self {
        Self { handler }
    }
}

inventory::collect!(Registration);

/// Every handler registered with `#[on_event]` in the running binary, in a stable order
/// (by name, then source location).
pub(crate) fn registered() -> Vec<&'static dyn EventHandler> {
    let mut handlers: Vec<(HandlerInfo, &'static dyn EventHandler)> =
        inventory::iter::<Registration>
            .into_iter()
            .map(|r| (r.handler.info(), r.handler))
            .collect();
    handlers.sort_by(|a, b| a.0.cmp(&b.0));
    handlers.into_iter().map(|(_, h)| h).collect()
}

/// The handlers registered with `#[on_event]` in the running binary: name (the function's
/// path), route and source location, sorted by name.
///
/// Only handlers in code the binary links are present (the usual `inventory` rule).
pub fn registered_handlers() -> Vec<HandlerInfo> {
    registered().into_iter().map(|h| h.info()).collect()
}
