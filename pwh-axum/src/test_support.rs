//! Fixtures of the unit tests: requests signed by `pwh_core::testing`, and bodies that stream,
//! never end or fail.

use std::convert::Infallible;

pub(crate) use axum::body::Body;
use axum::body::Bytes;
use axum::extract::Request;
use axum::response::Response;
use futures_util::stream;
use http::header;
use http_body_util::BodyExt;
use pwh_core::dispatcher::DispatcherBuilder;
use pwh_core::handler::EventRoute;
pub(crate) use pwh_core::testing::{sign, Failing, Recorder, TEST_KEY as KEY};
use pwh_core::testing::{Harness, SignedRequest, TEST_TIME_MS};
use pwh_core::Dispatcher;

/// The `time_ms` of fresh test webhooks; the dispatcher's clock is a second later.
pub(crate) const NOW_MS: u64 = TEST_TIME_MS;

/// Two events, `channel_occupied` on `a` then `channel_vacated` on `b`.
pub(crate) fn two_events(time_ms: u64) -> Vec<u8> {
    format!(
        r#"{{"time_ms":{time_ms},"events":[{{"name":"channel_occupied","channel":"a"}},{{"channel":"b","name":"channel_vacated"}}]}}"#
    )
    .into_bytes()
}

/// A one-event webhook padded to exactly `len` bytes (at least 80).
pub(crate) fn padded(time_ms: u64, len: usize) -> Vec<u8> {
    let head =
        format!(r#"{{"time_ms":{time_ms},"events":[{{"name":"cache_miss","channel":"p","pad":""#);
    let tail = r#""}]}"#;
    let pad = len
        .checked_sub(head.len() + tail.len())
        .expect("long enough");
    let body = format!("{head}{}{tail}", "x".repeat(pad));
    assert_eq!(body.len(), len);
    body.into_bytes()
}

/// A POST with the given Pusher headers and body.
pub(crate) fn post_with(
    path: &str,
    key: Option<&str>,
    signature: Option<&str>,
    body: Body,
) -> Request {
    let mut builder = Request::post(path).header(header::CONTENT_TYPE, "application/json");
    if let Some(key) = key {
        builder = builder.header("X-Pusher-Key", key);
    }
    if let Some(signature) = signature {
        builder = builder.header("X-Pusher-Signature", signature);
    }
    builder.body(body).unwrap()
}

/// A correctly signed POST of `body`, with a truthful `Content-Length`.
pub(crate) fn signed(path: &str, body: &[u8]) -> Request {
    SignedRequest::raw(body).to_http(path)
}

/// `bytes` streamed in chunks of `size`, with no known length.
pub(crate) fn chunked(bytes: &[u8], size: usize) -> Body {
    let chunks: Vec<Result<Bytes, Infallible>> = bytes
        .chunks(size)
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    Body::from_stream(stream::iter(chunks))
}

/// `future`'s output, or a panic after 10 s: a test of a body that never ends fails, not hangs.
pub(crate) async fn within<F: std::future::Future>(future: F) -> F::Output {
    tokio::time::timeout(std::time::Duration::from_secs(10), future)
        .await
        .expect("finished within 10 s")
}

/// A body that never ends (yielding to the runtime between chunks, so a timeout can fire).
pub(crate) fn endless() -> Body {
    Body::from_stream(stream::unfold((), |()| async {
        tokio::task::yield_now().await;
        Some((Ok::<_, Infallible>(Bytes::from_static(&[b' '; 16])), ()))
    }))
}

/// A body that never sends anything: reading it hangs.
pub(crate) fn never_ending() -> Body {
    Body::from_stream(stream::pending::<Result<Bytes, Infallible>>())
}

/// A body that fails after its first chunk.
pub(crate) fn failing_body() -> Body {
    Body::from_stream(stream::iter([
        Ok(Bytes::from_static(b"{\"time_ms\":")),
        Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "peer went away",
        )),
    ]))
}

/// A dispatcher trusting the test token, with only the handlers `configure` adds, its clock a
/// second after [`NOW_MS`].
pub(crate) fn dispatcher_with(
    configure: impl FnOnce(DispatcherBuilder) -> DispatcherBuilder,
) -> Dispatcher {
    let harness = Harness::configure(|b| configure(b.registered_handlers(false)));
    harness.set_now_ms(NOW_MS + 1_000);
    harness.dispatcher().clone()
}

/// A dispatcher whose catch-all [`Recorder`] writes down every event it sees.
pub(crate) fn recording_with(
    configure: impl FnOnce(DispatcherBuilder) -> DispatcherBuilder,
) -> (Dispatcher, Recorder) {
    let seen = Recorder::new();
    let dispatcher = dispatcher_with(|b| configure(b.handler(seen.clone())));
    (dispatcher, seen)
}

pub(crate) fn recording() -> (Dispatcher, Recorder) {
    recording_with(|b| b)
}

/// A handler that fails on `channel_vacated`.
pub(crate) fn failing() -> Failing {
    Failing::new(EventRoute::kind("channel_vacated"), "database unavailable")
}

pub(crate) fn content_type(response: &Response) -> &str {
    response.headers()[header::CONTENT_TYPE].to_str().unwrap()
}

pub(crate) async fn text(response: Response) -> String {
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    String::from_utf8(bytes.to_vec()).unwrap()
}
