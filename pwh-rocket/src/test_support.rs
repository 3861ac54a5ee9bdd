//! Shared pieces of the unit tests: a quiet Rocket, a dispatcher, signed requests, handlers.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

pub(crate) use pwh_core::testing::Recorder;
use pwh_core::{
    async_trait, Dispatcher, DispatcherBuilder, EventContext, EventHandler, EventRoute, FixedClock,
    HandlerError, HandlerInfo, KeyRing, Token,
};
use rocket::http::Header;
use rocket::local::asynchronous::{Client, LocalResponse};

pub(crate) const KEY: &str = "app-key";
pub(crate) const SECRET: &str = "app-secret";
pub(crate) const TIME_MS: u64 = 1_327_078_148_132;
pub(crate) const NOW_MS: u64 = TIME_MS + 1_000;
pub(crate) const PATH: &str = "/pusher/webhooks";

/// Rocket's debug configuration, without its log output.
pub(crate) fn quiet_config() -> rocket::Config {
    rocket::Config {
        log_level: rocket::config::LogLevel::Off,
        ..rocket::Config::debug_default()
    }
}

pub(crate) fn keys() -> KeyRing {
    KeyRing::new([Token::new(KEY, SECRET)])
}

/// A dispatcher with only `handlers`, the clock at [`NOW_MS`], changed by `configure`.
pub(crate) fn dispatcher_with(
    configure: impl FnOnce(DispatcherBuilder) -> DispatcherBuilder,
    handlers: Vec<Box<dyn EventHandler>>,
) -> Dispatcher {
    let mut builder = Dispatcher::builder(keys())
        .registered_handlers(false)
        .clock(FixedClock::new(NOW_MS));
    for handler in handlers {
        builder = builder.handler(Boxed(handler));
    }
    configure(builder).build()
}

pub(crate) fn dispatcher(handlers: Vec<Box<dyn EventHandler>>) -> Dispatcher {
    dispatcher_with(|b| b, handlers)
}

/// A webhook body with one `channel_occupied` event.
pub(crate) fn occupied(channel: &str) -> Vec<u8> {
    format!(
        r#"{{"time_ms":{TIME_MS},"events":[{{"name":"channel_occupied","channel":"{channel}"}}]}}"#
    )
    .into_bytes()
}

pub(crate) fn sign(body: &[u8]) -> String {
    keys().sign(KEY, body).unwrap()
}

/// POSTs `body` to `path`, signed with [`KEY`].
pub(crate) async fn post_signed<'c>(
    client: &'c Client,
    path: &'static str,
    body: &[u8],
) -> LocalResponse<'c> {
    client
        .post(path)
        .header(Header::new("X-Pusher-Key", KEY))
        .header(Header::new("X-Pusher-Signature", sign(body)))
        .header(Header::new("Content-Type", "application/json"))
        .body(body)
        .dispatch()
        .await
}

struct Boxed(Box<dyn EventHandler>);

#[async_trait]
impl EventHandler for Boxed {
    fn info(&self) -> HandlerInfo {
        self.0.info()
    }
    async fn call(&self, cx: &EventContext<'_>) -> Result<(), HandlerError> {
        self.0.call(cx).await
    }
}

/// A catch-all handler that always fails, counting its calls.
#[derive(Default)]
pub(crate) struct Failing {
    pub(crate) calls: Arc<AtomicUsize>,
}

impl Failing {
    pub(crate) const SECRET_MESSAGE: &'static str = "database password rejected";
}

#[async_trait]
impl EventHandler for Failing {
    fn info(&self) -> HandlerInfo {
        HandlerInfo::new("failing", EventRoute::Any)
    }
    async fn call(&self, _: &EventContext<'_>) -> Result<(), HandlerError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        Err(HandlerError::new(Self::SECRET_MESSAGE))
    }
}
