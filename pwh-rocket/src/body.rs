//! Reading a webhook body within the limit, never buffering past it.

use pwh_core::{Dispatcher, Rejection};
use rocket::data::{ByteUnit, Data};
use rocket::Request;

use crate::WebhookError;

/// The name of the Rocket data limit that can lower the body limit of webhooks.
///
/// Bodies are read up to the **smaller** of the dispatcher's
/// [`body_limit`](pwh_core::DispatcherBuilder::body_limit) (1 MiB by default) and this limit,
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
pub(crate) fn limit(req: &Request<'_>, dispatcher: &Dispatcher) -> u64 {
    let own = u64::try_from(dispatcher.body_limit()).unwrap_or(u64::MAX);
    match req.limits().get(LIMIT) {
        Some(rocket_limit) => own.min(rocket_limit.as_u64()),
        None => own,
    }
}

/// Reads the whole body if it fits within [`limit`].
///
/// # Errors
///
/// [`Rejection::PayloadTooLarge`] (413) as soon as `Content-Length` or the bytes read go past
/// the limit, [`WebhookError::Read`] (400) when the body cannot be read. Both are logged at
/// `warn`, without the body.
pub(crate) async fn read(
    req: &Request<'_>,
    data: Data<'_>,
    dispatcher: &Dispatcher,
) -> Result<Vec<u8>, WebhookError> {
    let limit = limit(req, dispatcher);
    let announced = req
        .headers()
        .get_one("content-length")
        .and_then(|n| n.trim().parse::<u64>().ok());
    if announced.is_some_and(|n| n > limit) {
        return Err(too_large(limit));
    }
    match data.open(ByteUnit::from(limit)).into_bytes().await {
        Ok(capped) if capped.is_complete() => Ok(capped.into_inner()),
        Ok(_) => Err(too_large(limit)),
        Err(e) => {
            tracing::warn!(status = 400, error = %e, "could not read a Pusher webhook body");
            Err(WebhookError::Read(e))
        }
    }
}

fn too_large(limit: u64) -> WebhookError {
    let rejection = Rejection::PayloadTooLarge {
        limit: usize::try_from(limit).unwrap_or(usize::MAX),
    };
    tracing::warn!(status = 413, reason = %rejection, "rejected Pusher webhook");
    WebhookError::Rejected(rejection)
}

#[cfg(test)]
mod tests {
    use rocket::data::{Limits, ToByteUnit};
    use rocket::local::asynchronous::Client;

    use super::*;
    use crate::test_support::{dispatcher_with, quiet_config};

    async fn limit_with(dispatcher_limit: usize, rocket_limit: Option<u64>) -> u64 {
        let mut config = quiet_config();
        if let Some(bytes) = rocket_limit {
            config.limits = Limits::default().limit(LIMIT, bytes.bytes());
        }
        let client = Client::tracked(rocket::custom(config)).await.unwrap();
        let req = client.post("/");
        let dispatcher = dispatcher_with(|b| b.body_limit(dispatcher_limit), Vec::new());
        limit(req.inner(), &dispatcher)
    }

    #[rocket::async_test]
    async fn the_smaller_limit_wins() {
        assert_eq!(limit_with(1000, None).await, 1000);
        assert_eq!(limit_with(1000, Some(10)).await, 10);
        assert_eq!(limit_with(10, Some(1000)).await, 10);
    }
}
