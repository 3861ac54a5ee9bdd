//! An extractor for hand-written axum handlers: the verified webhook, no handlers run.

use axum::extract::{FromRef, FromRequest, Request};
use pwh_core::adapter::Endpoint;
use pwh_core::Dispatcher;

pwh_core::__adapter_types! {
    /// A webhook verified by the app's [`Dispatcher`], for your own axum handler.
    ///
    /// It reads the body under the dispatcher's limit and checks method, size, signature, body
    /// and freshness exactly as [`webhooks`](crate::webhooks) does, then hands you the parsed
    /// [`Webhook`](pwh_core::Webhook) (it derefs to it) and the [`key`](Self::key) that signed
    /// it. It runs **no** handler and keeps no delivery memory: what you do with the events,
    /// and the status you answer with, are yours (answer 2xx only once they are handled:
    /// anything else makes Pusher deliver them again).
    ///
    /// The dispatcher comes from the router's state: `Dispatcher: FromRef<S>`, which holds when
    /// the state *is* a `Dispatcher` or when you implement `FromRef` for your own state type.
    /// As it reads the body, it must be the last argument of the handler. A refused request is
    /// answered with a [`WebhookRejection`]: 401, 400, 405 (with `Allow: POST`) or 413, and its
    /// reason as plain text.
    ///
    /// ```
    /// use axum::{routing::post, Router};
    /// use pwh_axum::VerifiedWebhook;
    /// use pwh_core::{Dispatcher, KeyRing, Token};
    ///
    /// async fn receive(hook: VerifiedWebhook) -> String {
    ///     let names: Vec<&str> = hook.events().iter().map(|e| e.name()).collect();
    ///     format!("{}: {}", hook.key(), names.join(","))
    /// }
    ///
    /// let dispatcher = Dispatcher::builder(KeyRing::new([Token::new("key", "secret")])).build();
    /// let app: Router = Router::new()
    ///     .route("/pusher/webhooks", post(receive))
    ///     .with_state(dispatcher);
    /// ```
    pub struct VerifiedWebhook;

    /// Why [`VerifiedWebhook`] refused a request: a [`Rejection`](pwh_core::adapter::Rejection),
    /// answered with its [`status`](Self::status) and its message as plain text.
    ///
    /// The message never contains the body or a secret.
    pub struct WebhookRejection;
}

impl<S> FromRequest<S> for VerifiedWebhook
where
    Dispatcher: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = WebhookRejection;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let dispatcher = Dispatcher::from_ref(state);
        let (parts, body) = request.into_parts();
        let body = Endpoint::new(&dispatcher).read_body(&parts, body).await?;
        let webhook = dispatcher.verify(parts.method.as_str(), &parts.headers, &body)?;
        Ok(Self::new(webhook))
    }
}

#[cfg(test)]
mod tests {
    use axum::response::Response;
    use axum::routing::post;
    use axum::Router;
    use http::{header, Method};
    use tower::ServiceExt;

    use pwh_core::Webhook;

    use super::*;
    use crate::test_support::*;

    const PATH: &str = "/mine";

    async fn names(hook: VerifiedWebhook) -> String {
        let names: Vec<String> = hook
            .events()
            .iter()
            .map(|e| format!("{}:{}", e.name(), e.str("channel").unwrap_or("-")))
            .collect();
        format!("{} {}", hook.time_ms(), names.join(","))
    }

    async fn send(dispatcher: Dispatcher, request: Request) -> Response {
        let app: Router = Router::new()
            .route(PATH, post(names).get(names).put(names))
            .with_state(dispatcher);
        within(app.oneshot(request)).await.unwrap()
    }

    #[tokio::test]
    async fn yields_the_verified_events_and_runs_no_handler() {
        let (dispatcher, seen) = recording();
        let response = send(dispatcher, signed(PATH, &two_events(NOW_MS))).await;
        assert_eq!(response.status(), 200);
        assert_eq!(
            text(response).await,
            format!("{NOW_MS} channel_occupied:a,channel_vacated:b")
        );
        assert!(seen.lines().is_empty(), "the extractor only verifies");
    }

    #[tokio::test]
    async fn refuses_with_the_right_status_and_reason() {
        let (dispatcher, seen) = recording_with(|b| b.body_limit(256));
        let body = two_events(NOW_MS);
        let mut get = signed(PATH, &body);
        *get.method_mut() = Method::GET;
        let cases = [
            (
                "bad signature",
                post_with(
                    PATH,
                    Some(KEY),
                    Some(&sign(b"other")),
                    Body::from(body.clone()),
                ),
                401,
                "X-Pusher-Signature does not match the body",
            ),
            (
                "stale",
                signed(PATH, &two_events(NOW_MS - 11 * 60 * 1000)),
                401,
                "more than the 600000 ms allowed",
            ),
            (
                "not a webhook",
                signed(PATH, br#"{"time_ms":1}"#),
                400,
                "not a Pusher webhook",
            ),
            ("get", get, 405, "method GET not allowed"),
            (
                "too large",
                signed(PATH, &padded(NOW_MS, 300)),
                413,
                "256-byte limit",
            ),
            (
                "too large, streamed",
                post_with(PATH, Some(KEY), Some(&sign(b"x")), endless()),
                413,
                "256-byte limit",
            ),
            (
                "unreadable",
                post_with(PATH, Some(KEY), Some(&sign(b"x")), failing_body()),
                400,
                "could not read the request body",
            ),
        ];
        for (case, request, status, reason) in cases {
            let response = send(dispatcher.clone(), request).await;
            assert_eq!(response.status(), status, "{case}");
            assert_eq!(
                content_type(&response),
                "text/plain; charset=utf-8",
                "{case}"
            );
            if status == 405 {
                assert_eq!(response.headers()[header::ALLOW], "POST");
            }
            let text = text(response).await;
            assert!(text.contains(reason), "{case}: {text:?}");
        }
        assert!(seen.lines().is_empty());
    }

    #[derive(Clone)]
    struct AppState {
        dispatcher: Dispatcher,
        label: &'static str,
    }

    impl FromRef<AppState> for Dispatcher {
        fn from_ref(state: &AppState) -> Self {
            state.dispatcher.clone()
        }
    }

    #[tokio::test]
    async fn takes_the_dispatcher_from_the_apps_own_state() {
        async fn labelled(
            axum::extract::State(state): axum::extract::State<AppState>,
            hook: VerifiedWebhook,
        ) -> String {
            format!("{} {}", state.label, hook.into_inner().events().len())
        }
        let (dispatcher, _) = recording();
        let app: Router = Router::new()
            .route(PATH, post(labelled))
            .route("/hooks", crate::webhooks(dispatcher.clone()))
            .with_state(AppState {
                dispatcher,
                label: "mine",
            });
        let response = app
            .clone()
            .oneshot(signed(PATH, &two_events(NOW_MS)))
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(text(response).await, "mine 2");
        let bad = post_with(PATH, Some(KEY), None, Body::from(two_events(NOW_MS)));
        assert_eq!(app.oneshot(bad).await.unwrap().status(), 401);
    }

    #[tokio::test]
    async fn owns_its_webhook_past_the_request() {
        let (dispatcher, _) = recording();
        let request = signed(PATH, &two_events(NOW_MS));
        let hook = VerifiedWebhook::from_request(request, &dispatcher)
            .await
            .unwrap();
        let owned: Webhook<'static> = hook.clone().into_inner();
        assert_eq!(owned.events().len(), 2);
        assert_eq!(hook.as_ref().received_ms(), Some(NOW_MS + 1_000));
        assert_eq!(owned.events()[1].str("channel"), Some("b"));
    }
}
