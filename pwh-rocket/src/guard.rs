//! A data guard that verifies a webhook for a route of your own.

use std::ops::Deref;

use pwh_core::{Dispatcher, Webhook};
use rocket::data::{self, Data, FromData};
use rocket::outcome::Outcome;
use rocket::Request;

use crate::headers::RocketHeaders;
use crate::{body, WebhookError};

/// A verified webhook, as a data guard for a route of your own.
///
/// It checks the request as the endpoint does (method, size, signature, body, freshness) with
/// the [`Dispatcher`] Rocket manages ([`Webhooks`](crate::Webhooks) manages it; without the
/// endpoint, call `.manage(dispatcher)`), and runs no handler. The body is read up to the
/// same limit as the endpoint's (see [`LIMIT`](crate::LIMIT)).
///
/// On failure Rocket forwards the [`WebhookError`]'s status (401, 400, 413, 405, or 500 when
/// no dispatcher is managed) to its catchers; take `Result<VerifiedWebhook, WebhookError>`
/// to see why, and return the error to answer with its status and reason.
///
/// Unlike the endpoint, the guard keeps no memory of deliveries: a body Pusher delivers again
/// (after an answer other than 2xx) yields the same events again.
///
/// ```
/// use pwh_rocket::{VerifiedWebhook, WebhookError};
///
/// #[rocket::post("/my-hooks", data = "<hook>")]
/// fn my_hooks(hook: Result<VerifiedWebhook, WebhookError>) -> Result<&'static str, WebhookError> {
///     for event in hook?.events() {
///         println!("{} on {:?}", event.name(), event.str("channel"));
///     }
///     Ok("ok")
/// }
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedWebhook {
    webhook: Webhook<'static>,
    key: String,
}

impl VerifiedWebhook {
    /// The webhook: its `time_ms` and its events, in body order.
    pub fn webhook(&self) -> &Webhook<'static> {
        &self.webhook
    }

    /// The key of the token that signed it (`X-Pusher-Key`), to tell apps apart.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The webhook, by value.
    pub fn into_inner(self) -> Webhook<'static> {
        self.webhook
    }
}

impl Deref for VerifiedWebhook {
    type Target = Webhook<'static>;

    fn deref(&self) -> &Self::Target {
        &self.webhook
    }
}

#[rocket::async_trait]
impl<'r> FromData<'r> for VerifiedWebhook {
    type Error = WebhookError;

    async fn from_data(req: &'r Request<'_>, data: Data<'r>) -> data::Outcome<'r, Self> {
        let Some(dispatcher) = req.rocket().state::<Dispatcher>() else {
            tracing::error!(
                "VerifiedWebhook needs a pwh_core::Dispatcher in Rocket's state: attach \
                 pwh_rocket::Webhooks::new(dispatcher) or call .manage(dispatcher)"
            );
            return fail(WebhookError::NoDispatcher);
        };
        let body = match body::read(req, data, dispatcher).await {
            Ok(body) => body,
            Err(error) => return fail(error),
        };
        let headers = RocketHeaders(req.headers());
        match dispatcher.verify(req.method().as_str(), &headers, &body) {
            Ok(webhook) => {
                // Verified, so the key header names a token of the ring.
                let key = pwh_core::Headers::header(&headers, "x-pusher-key")
                    .map(str::trim)
                    .and_then(|key| dispatcher.keys().get(key))
                    .map(|token| token.key().to_owned())
                    .unwrap_or_default();
                Outcome::Success(Self {
                    webhook: webhook.into_owned(),
                    key,
                })
            }
            Err(rejection) => fail(rejection.into()),
        }
    }
}

fn fail<'r>(error: WebhookError) -> data::Outcome<'r, VerifiedWebhook> {
    Outcome::Error((error.status(), error))
}

#[cfg(test)]
mod tests {
    use rocket::data::{Limits, ToByteUnit};
    use rocket::http::{Header, Status};
    use rocket::local::asynchronous::Client;
    use rocket::{post, routes};

    use super::*;
    use crate::test_support::*;
    use crate::Webhooks;

    /// Echoes what the guard gave: the events, or the error's status and message.
    #[post("/guarded", data = "<hook>")]
    fn guarded(hook: Result<VerifiedWebhook, WebhookError>) -> (Status, String) {
        match hook {
            Ok(hook) => {
                let events: Vec<String> = hook
                    .events()
                    .iter()
                    .map(|e| format!("{} {}", e.name(), e.str("channel").unwrap_or("-")))
                    .collect();
                (Status::Ok, format!("{} {}", hook.key(), events.join(",")))
            }
            Err(error) => (error.status(), error.to_string()),
        }
    }

    /// Fails through Rocket's catchers when the guard fails.
    #[post("/strict", data = "<hook>")]
    fn strict(hook: VerifiedWebhook) -> String {
        hook.events().len().to_string()
    }

    /// Answers with the error itself (its `Responder`).
    #[post("/responder", data = "<hook>")]
    fn responder(
        hook: Result<VerifiedWebhook, WebhookError>,
    ) -> Result<&'static str, WebhookError> {
        hook.map(|_| "fine")
    }

    fn app(config: rocket::Config) -> rocket::Rocket<rocket::Build> {
        rocket::custom(config).mount("/", routes![guarded, strict, responder])
    }

    #[rocket::async_test]
    async fn yields_the_events_of_a_valid_request_without_running_handlers() {
        let seen = Recorder::new();
        let handler = seen.clone();
        let rocket = app(quiet_config()).manage(dispatcher(vec![Box::new(handler)]));
        let client = Client::tracked(rocket).await.unwrap();
        let response = post_signed(&client, "/guarded", &occupied("c-1")).await;
        assert_eq!(response.status(), Status::Ok);
        assert_eq!(
            response.into_string().await.as_deref(),
            Some("app-key channel_occupied c-1")
        );
        let strict = post_signed(&client, "/strict", &occupied("c-2")).await;
        assert_eq!(strict.into_string().await.as_deref(), Some("1"));
        assert!(seen.lines().is_empty(), "the guard runs no handler");
    }

    #[rocket::async_test]
    async fn works_beside_the_endpoint_with_its_dispatcher() {
        let rocket = app(quiet_config()).attach(Webhooks::new(dispatcher(Vec::new())));
        let client = Client::tracked(rocket).await.unwrap();
        let response = post_signed(&client, "/guarded", &occupied("c-1")).await;
        assert_eq!(response.status(), Status::Ok);
    }

    #[rocket::async_test]
    async fn refuses_with_the_right_status_and_reason() {
        let dispatcher = dispatcher_with(|b| b.body_limit(200), Vec::new());
        let client = Client::tracked(app(quiet_config()).manage(dispatcher))
            .await
            .unwrap();

        let unsigned = client.post("/guarded").body(occupied("c")).dispatch().await;
        assert_eq!(unsigned.status(), Status::Unauthorized);
        assert_eq!(
            unsigned.into_string().await.as_deref(),
            Some("missing X-Pusher-Key header")
        );

        let wrong = client
            .post("/guarded")
            .header(Header::new("X-Pusher-Key", KEY))
            .header(Header::new("X-Pusher-Signature", "0".repeat(64)))
            .body(occupied("c"))
            .dispatch()
            .await;
        assert_eq!(wrong.status(), Status::Unauthorized);

        let not_a_webhook = post_signed(&client, "/guarded", b"[1,2,3]").await;
        assert_eq!(not_a_webhook.status(), Status::BadRequest);
        assert!(not_a_webhook
            .into_string()
            .await
            .is_some_and(|t| t.starts_with("not a Pusher webhook")));

        let stale = format!(r#"{{"time_ms":{},"events":[]}}"#, NOW_MS - 3_600_000);
        let stale = post_signed(&client, "/guarded", stale.as_bytes()).await;
        assert_eq!(stale.status(), Status::Unauthorized);

        let big = occupied(&"x".repeat(300));
        let too_large = post_signed(&client, "/guarded", &big).await;
        assert_eq!(too_large.status(), Status::PayloadTooLarge);

        let strict = client.post("/strict").body(occupied("c")).dispatch().await;
        assert_eq!(strict.status(), Status::Unauthorized);

        let responder = client
            .post("/responder")
            .body(occupied("c"))
            .dispatch()
            .await;
        assert_eq!(responder.status(), Status::Unauthorized);
        assert_eq!(
            responder.into_string().await.as_deref(),
            Some("missing X-Pusher-Key header")
        );
    }

    #[rocket::async_test]
    async fn honours_rocket_s_limit() {
        let mut config = quiet_config();
        config.limits = Limits::default().limit(crate::LIMIT, 32.bytes());
        let client = Client::tracked(app(config).manage(dispatcher(Vec::new())))
            .await
            .unwrap();
        let response = post_signed(&client, "/guarded", &occupied("c")).await;
        assert_eq!(response.status(), Status::PayloadTooLarge);
    }

    #[rocket::async_test]
    async fn without_a_dispatcher_fails_with_500() {
        let client = Client::tracked(app(quiet_config())).await.unwrap();
        let response = post_signed(&client, "/guarded", &occupied("c")).await;
        assert_eq!(response.status(), Status::InternalServerError);
        assert!(response
            .into_string()
            .await
            .is_some_and(|t| t.contains(".manage(dispatcher)")));
        let responder = post_signed(&client, "/responder", &occupied("c")).await;
        assert_eq!(responder.status(), Status::InternalServerError);
        assert_eq!(
            responder.into_string().await.as_deref(),
            Some("webhook receiver not configured")
        );
    }
}
