//! Reading a webhook body within the limit, never buffering past it.

use pwh_core::adapter::Rejection;
use pwh_core::Dispatcher;
use rocket::data::{ByteUnit, Data};
use rocket::Request;

use crate::headers::RocketHeaders;

/// The name of the Rocket data limit that can lower the body limit of webhooks.
///
/// Bodies are read up to the **smaller** of the dispatcher's
/// [`body_limit`](pwh_core::dispatcher::DispatcherBuilder::body_limit) (1 MiB by default) and this limit,
/// when Rocket's configuration sets it; a larger body is answered with 413. Set it in
/// `Rocket.toml` (`[default.limits]` then `pusher-webhook = "256 KiB"`) or in code:
///
/// ```
/// use rocket::data::{Limits, ToByteUnit};
///
/// let limits = Limits::default().limit(pwh_rocket::LIMIT, 256.kibibytes());
/// let config = rocket::Config { limits, ..rocket::Config::default() };
/// let rocket = rocket::custom(config);
/// ```
pub const LIMIT: &str = "pusher-webhook";

/// The limit bodies are read up to: the smaller of the dispatcher's and Rocket's [`LIMIT`].
pub(crate) fn limit(req: &Request<'_>, dispatcher: &Dispatcher) -> usize {
    let own = dispatcher.body_limit();
    match req.limits().get(LIMIT) {
        Some(rocket_limit) => usize::try_from(rocket_limit.as_u64()).map_or(own, |r| own.min(r)),
        None => own,
    }
}

/// Reads the whole body with `data.open(limit)` if the dispatcher lets it be read
/// ([`Endpoint::read_body_with`](pwh_core::adapter::Endpoint::read_body_with)).
///
/// # Errors
///
/// The [`Rejection`] (logged by the dispatcher): 405 for another method than `POST`, 413 as
/// soon as `Content-Length` or the bytes read go past the limit, 400 when the body cannot be
/// read.
pub(crate) async fn read(
    req: &Request<'_>,
    data: Data<'_>,
    dispatcher: &Dispatcher,
) -> Result<Vec<u8>, Rejection> {
    let headers = RocketHeaders(req.headers());
    let limit = limit(req, dispatcher);
    let read = |limit: usize| async move {
        let capped = data.open(ByteUnit::from(limit)).into_bytes().await?;
        Ok::<_, std::io::Error>(capped.is_complete().then(|| capped.into_inner()))
    };
    pwh_core::adapter::Endpoint::new(dispatcher)
        .read_body_with(req.method().as_str(), &headers, limit, read)
        .await
}

#[cfg(test)]
mod tests {
    use rocket::data::{Limits, ToByteUnit};
    use rocket::local::asynchronous::Client;

    use super::*;
    use crate::test_support::{dispatcher, quiet_config};

    async fn limit_with(dispatcher_limit: usize, rocket_limit: Option<u64>) -> usize {
        let mut config = quiet_config();
        if let Some(bytes) = rocket_limit {
            config.limits = Limits::default().limit(LIMIT, bytes.bytes());
        }
        let client = Client::tracked(rocket::custom(config)).await.unwrap();
        let req = client.post("/");
        let dispatcher = dispatcher(|b| b.body_limit(dispatcher_limit));
        limit(req.inner(), &dispatcher)
    }

    #[rocket::async_test]
    async fn the_smaller_limit_wins() {
        assert_eq!(limit_with(1000, None).await, 1000);
        assert_eq!(limit_with(1000, Some(10)).await, 10);
        assert_eq!(limit_with(10, Some(1000)).await, 10);
    }
}
