//! Shared pieces of the unit tests: a quiet Rocket, a dispatcher trusting `pwh_core::testing`'s
//! token, signed requests.

use pwh_core::dispatcher::DispatcherBuilder;
use pwh_core::handler::EventRoute;
pub(crate) use pwh_core::testing::{sign, Failing, Recorder, TEST_KEY as KEY};
use pwh_core::testing::{Harness, SignedRequest, TestWebhook, TEST_TIME_MS};
use pwh_core::Dispatcher;
use rocket::http::Header;
use rocket::local::asynchronous::{Client, LocalResponse};

pub(crate) const NOW_MS: u64 = TEST_TIME_MS + 1_000;
pub(crate) const PATH: &str = "/pusher/webhooks";
/// What [`failing`] handlers fail with: it must not reach the answer.
pub(crate) const SECRET_MESSAGE: &str = "database password rejected";

/// Rocket's debug configuration, without its log output.
pub(crate) fn quiet_config() -> rocket::Config {
    rocket::Config {
        log_level: rocket::config::LogLevel::Off,
        ..rocket::Config::debug_default()
    }
}

/// A dispatcher trusting the test token, with only the handlers `configure` adds, its clock
/// at [`NOW_MS`].
pub(crate) fn dispatcher(
    configure: impl FnOnce(DispatcherBuilder) -> DispatcherBuilder,
) -> Dispatcher {
    let harness = Harness::configure(|b| configure(b.registered_handlers(false)));
    harness.set_now_ms(NOW_MS);
    harness.dispatcher().clone()
}

/// A webhook body with one `channel_occupied` event.
pub(crate) fn occupied(channel: &str) -> Vec<u8> {
    TestWebhook::new().channel_occupied(channel).body()
}

/// A catch-all handler that always fails, counting its calls.
pub(crate) fn failing() -> Failing {
    Failing::new(EventRoute::Any, SECRET_MESSAGE)
}

/// POSTs `body` to `path`, signed with the test token.
pub(crate) async fn post_signed<'c>(
    client: &'c Client,
    path: &'static str,
    body: &[u8],
) -> LocalResponse<'c> {
    let signed = SignedRequest::raw(body);
    let mut request = client.post(path).body(&signed.body);
    for (name, value) in signed.headers {
        request = request.header(Header::new(name, value));
    }
    request.dispatch().await
}
