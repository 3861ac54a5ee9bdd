//! A data guard that verifies a webhook for a route of your own.

use pwh_core::adapter::Rejection;
use pwh_core::Dispatcher;
use rocket::data::{self, Data, FromData};
use rocket::outcome::Outcome;
use rocket::Request;

use crate::body;
use crate::headers::RocketHeaders;

pwh_core::__adapter_types! {
    /// A verified webhook, as a data guard for a route of your own.
    ///
    /// It checks the request as the endpoint does (method, size, signature, body, freshness)
    /// with the [`Dispatcher`] Rocket manages ([`Webhooks`](crate::Webhooks) manages it;
    /// without the endpoint, call `.manage(dispatcher)`), and runs no handler. The body is read
    /// up to the same limit as the endpoint's (see [`LIMIT`](crate::LIMIT)). It derefs to the
    /// [`Webhook`](pwh_core::Webhook), and has the [`key`](Self::key) that signed it.
    ///
    /// On failure Rocket forwards the [`WebhookRejection`]'s status (401, 400, 413, 405, or
    /// 500 when no dispatcher is managed) to its catchers; take
    /// `Result<VerifiedWebhook, WebhookRejection>` to see why, and return the rejection to
    /// answer with its status and reason.
    ///
    /// Unlike the endpoint, the guard keeps no memory of deliveries: a body Pusher delivers
    /// again (after an answer other than 2xx) yields the same events again.
    ///
    /// ```
    /// use pwh_rocket::{VerifiedWebhook, WebhookRejection};
    ///
    /// #[rocket::post("/my-hooks", data = "<hook>")]
    /// fn my_hooks(
    ///     hook: Result<VerifiedWebhook, WebhookRejection>,
    /// ) -> Result<&'static str, WebhookRejection> {
    ///     let hook = hook?;
    ///     for event in hook.events() {
    ///         println!("{}: {} on {:?}", hook.key(), event.name(), event.str("channel"));
    ///     }
    ///     Ok("ok")
    /// }
    /// ```
    pub struct VerifiedWebhook;

    /// Why the [`VerifiedWebhook`] data guard failed: a [`Rejection`](pwh_core::adapter::Rejection),
    /// with the status to answer with ([`status`](Self::status)).
    ///
    /// Rocket hands the status to its catchers; take `Result<VerifiedWebhook,
    /// WebhookRejection>` in your route to see the reason, and return the rejection (it is a
    /// [`Responder`](rocket::response::Responder): its status and its message as plain text)
    /// or answer as you like. The messages never contain the body or a secret.
    pub struct WebhookRejection {
        not_configured: "no pwh_core::Dispatcher is managed: attach pwh_rocket::Webhooks::new(dispatcher) or call .manage(dispatcher) on the Rocket"
    };
}

#[rocket::async_trait]
impl<'r> FromData<'r> for VerifiedWebhook {
    type Error = WebhookRejection;

    async fn from_data(req: &'r Request<'_>, data: Data<'r>) -> data::Outcome<'r, Self> {
        let result = match req.rocket().state::<Dispatcher>() {
            Some(dispatcher) => verify(dispatcher, req, data).await,
            None => {
                tracing::error!(
                    "VerifiedWebhook needs a pwh_core::Dispatcher in Rocket's state: attach \
                     pwh_rocket::Webhooks::new(dispatcher) or call .manage(dispatcher)"
                );
                Err(Rejection::NotConfigured)
            }
        };
        match result {
            Ok(webhook) => Outcome::Success(webhook),
            Err(rejection) => {
                let rejection = WebhookRejection::from(rejection);
                Outcome::Error((rejection.status(), rejection))
            }
        }
    }
}

async fn verify(
    dispatcher: &Dispatcher,
    req: &Request<'_>,
    data: Data<'_>,
) -> Result<VerifiedWebhook, Rejection> {
    let body = body::read(req, data, dispatcher).await?;
    let headers = RocketHeaders(req.headers());
    let webhook = dispatcher.verify(req.method().as_str(), &headers, &body)?;
    Ok(VerifiedWebhook::new(webhook))
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
    fn guarded(hook: Result<VerifiedWebhook, WebhookRejection>) -> (Status, String) {
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
        hook: Result<VerifiedWebhook, WebhookRejection>,
    ) -> Result<&'static str, WebhookRejection> {
        hook.map(|_| "fine")
    }

    fn app(config: rocket::Config) -> rocket::Rocket<rocket::Build> {
        rocket::custom(config).mount("/", routes![guarded, strict, responder])
    }

    #[rocket::async_test]
    async fn yields_the_events_of_a_valid_request_without_running_handlers() {
        let seen = Recorder::new();
        let handler = seen.clone();
        let rocket = app(quiet_config()).manage(dispatcher(|b| b.handler(handler)));
        let client = Client::tracked(rocket).await.unwrap();
        let response = post_signed(&client, "/guarded", &occupied("c-1")).await;
        assert_eq!(response.status(), Status::Ok);
        assert_eq!(
            response.into_string().await.as_deref(),
            Some(format!("{KEY} channel_occupied c-1").as_str())
        );
        let strict = post_signed(&client, "/strict", &occupied("c-2")).await;
        assert_eq!(strict.into_string().await.as_deref(), Some("1"));
        assert!(seen.lines().is_empty(), "the guard runs no handler");
    }

    #[rocket::async_test]
    async fn works_beside_the_endpoint_with_its_dispatcher() {
        let rocket = app(quiet_config()).attach(Webhooks::new(dispatcher(|b| b)));
        let client = Client::tracked(rocket).await.unwrap();
        let response = post_signed(&client, "/guarded", &occupied("c-1")).await;
        assert_eq!(response.status(), Status::Ok);
    }

    #[rocket::async_test]
    async fn refuses_with_the_right_status_and_reason() {
        let dispatcher = dispatcher(|b| b.body_limit(200));
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
        let client = Client::tracked(app(config).manage(dispatcher(|b| b)))
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
