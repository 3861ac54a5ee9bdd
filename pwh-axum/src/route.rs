//! The endpoint: every method reaches the dispatcher, which answers.

use axum::routing::{any_service, MethodRouter};
use pwh_core::Dispatcher;

/// The webhook endpoint, to mount at a path of your app:
/// `Router::new().route("/pusher/webhooks", pwh_axum::webhooks(dispatcher))`.
///
/// It accepts every method so that the dispatcher answers them all: `POST` is verified and its
/// events handed to the dispatcher's handlers (200, or 500 when one failed so that Pusher
/// retries); anything else is answered 405 with `Allow: POST`. It reads the raw body itself,
/// up to [`Dispatcher::body_limit`] and no further (413), whatever axum's `DefaultBodyLimit`
/// says; a body that fails to arrive is answered 400. Answers are short plain text.
///
/// It is the dispatcher's own `tower::Service` ([`Endpoint::handle_http`](pwh_core::adapter::Endpoint::handle_http)), so it works in an
/// app of any state type `S`: the dispatcher travels with the route.
pub fn webhooks<S>(dispatcher: Dispatcher) -> MethodRouter<S>
where
    S: Clone + Send + Sync + 'static,
{
    any_service(dispatcher)
}

#[cfg(test)]
mod tests {
    use axum::extract::{DefaultBodyLimit, Request, State};
    use axum::response::Response;
    use axum::routing::get;
    use axum::Router;
    use http::{header, Method};
    use tower::ServiceExt;

    use super::*;
    use crate::test_support::*;

    const PATH: &str = "/pusher/webhooks";

    fn app(dispatcher: Dispatcher) -> Router {
        Router::new().route(PATH, webhooks(dispatcher))
    }

    async fn send(dispatcher: Dispatcher, request: Request) -> Response {
        within(app(dispatcher).oneshot(request)).await.unwrap()
    }

    #[tokio::test]
    async fn a_signed_webhook_reaches_the_handlers_and_is_answered_200() {
        let (dispatcher, seen) = recording();
        let response = send(dispatcher, signed(PATH, &two_events(NOW_MS))).await;
        assert_eq!(response.status(), 200);
        assert_eq!(content_type(&response), "text/plain; charset=utf-8");
        assert_eq!(text(response).await, "ok");
        assert_eq!(seen.lines(), ["channel_occupied a", "channel_vacated b"]);
    }

    #[tokio::test]
    async fn content_type_does_not_matter() {
        for content_type in [
            None,
            Some("application/json; charset=utf-8"),
            Some("text/plain"),
        ] {
            let (dispatcher, seen) = recording();
            let mut request = signed(PATH, &two_events(NOW_MS));
            request.headers_mut().remove(header::CONTENT_TYPE);
            if let Some(value) = content_type {
                request
                    .headers_mut()
                    .insert(header::CONTENT_TYPE, value.parse().unwrap());
            }
            assert_eq!(
                send(dispatcher, request).await.status(),
                200,
                "{content_type:?}"
            );
            assert_eq!(seen.lines().len(), 2);
        }
    }

    #[tokio::test]
    async fn a_bad_signature_is_401_and_runs_nothing() {
        let body = two_events(NOW_MS);
        let cases = [
            ("wrong", Some(KEY), Some(sign(b"another body"))),
            ("missing signature", Some(KEY), None),
            ("not hex", Some(KEY), Some("zz".repeat(32))),
            ("unknown key", Some("nobody"), Some(sign(&body))),
            ("missing key", None, Some(sign(&body))),
        ];
        for (case, key, signature) in cases {
            let (dispatcher, seen) = recording();
            let request = post_with(PATH, key, signature.as_deref(), Body::from(body.clone()));
            let response = send(dispatcher, request).await;
            assert_eq!(response.status(), 401, "{case}");
            assert!(seen.lines().is_empty(), "{case}");
        }
    }

    #[tokio::test]
    async fn authenticated_garbage_is_400_and_a_stale_webhook_401() {
        let (dispatcher, seen) = recording();
        let response = send(
            dispatcher.clone(),
            signed(PATH, br#"{"time_ms":1,"events":{}}"#),
        )
        .await;
        assert_eq!(response.status(), 400);
        assert!(text(response).await.starts_with("not a Pusher webhook"));

        let stale = two_events(NOW_MS - 11 * 60 * 1000);
        assert_eq!(send(dispatcher, signed(PATH, &stale)).await.status(), 401);
        assert!(seen.lines().is_empty());
    }

    #[tokio::test]
    async fn other_methods_are_405_with_allow_post() {
        for method in [
            Method::GET,
            Method::PUT,
            Method::DELETE,
            Method::HEAD,
            Method::OPTIONS,
        ] {
            let (dispatcher, seen) = recording();
            let mut request = signed(PATH, &two_events(NOW_MS));
            *request.method_mut() = method.clone();
            let response = send(dispatcher, request).await;
            assert_eq!(response.status(), 405, "{method}");
            assert_eq!(response.headers()[header::ALLOW], "POST", "{method}");
            if method != Method::HEAD {
                assert!(text(response).await.contains(method.as_str()));
            }
            assert!(seen.lines().is_empty());
        }
    }

    #[tokio::test]
    async fn another_method_is_refused_without_reading_its_body() {
        let (dispatcher, _) = recording();
        let request = Request::builder()
            .method(Method::PUT)
            .uri(PATH)
            .body(never_ending())
            .unwrap();
        assert_eq!(send(dispatcher, request).await.status(), 405);
    }

    #[tokio::test]
    async fn a_body_over_the_limit_is_413_when_declared() {
        let (dispatcher, seen) = recording_with(|b| b.body_limit(64));
        let body = padded(NOW_MS, 100);
        let request = signed(PATH, &body);
        assert_eq!(
            request.headers()[header::CONTENT_LENGTH],
            body.len().to_string()
        );
        let response = send(dispatcher, request).await;
        assert_eq!(response.status(), 413);
        assert_eq!(text(response).await, "body larger than the 64-byte limit");
        assert!(seen.lines().is_empty());
    }

    #[tokio::test]
    async fn a_declared_length_over_the_limit_is_refused_before_reading() {
        let (dispatcher, _) = recording_with(|b| b.body_limit(64));
        let mut request = post_with(PATH, Some(KEY), Some(&sign(b"x")), never_ending());
        request
            .headers_mut()
            .insert(header::CONTENT_LENGTH, "65".parse().unwrap());
        assert_eq!(send(dispatcher, request).await.status(), 413);
    }

    #[tokio::test]
    async fn a_streamed_body_over_the_limit_is_413() {
        let (dispatcher, seen) = recording_with(|b| b.body_limit(64));
        let body = padded(NOW_MS, 100);
        let request = post_with(PATH, Some(KEY), Some(&sign(&body)), chunked(&body, 7));
        assert!(request.headers().get(header::CONTENT_LENGTH).is_none());
        assert_eq!(send(dispatcher.clone(), request).await.status(), 413);

        let endless = post_with(PATH, Some(KEY), Some(&sign(b"x")), endless());
        assert_eq!(send(dispatcher, endless).await.status(), 413);
        assert!(seen.lines().is_empty());
    }

    #[tokio::test]
    async fn a_streamed_body_within_the_limit_is_read_whole() {
        let (dispatcher, seen) = recording();
        let body = two_events(NOW_MS);
        let request = post_with(PATH, Some(KEY), Some(&sign(&body)), chunked(&body, 5));
        assert_eq!(send(dispatcher, request).await.status(), 200);
        assert_eq!(seen.lines().len(), 2);
    }

    #[tokio::test]
    async fn a_body_that_fails_to_arrive_is_400() {
        let (dispatcher, seen) = recording();
        let request = post_with(PATH, Some(KEY), Some(&sign(b"x")), failing_body());
        let response = send(dispatcher, request).await;
        assert_eq!(response.status(), 400);
        assert_eq!(text(response).await, "could not read the request body");
        assert!(seen.lines().is_empty());
    }

    #[tokio::test]
    async fn the_dispatcher_limit_counts_not_axums() {
        // 2.5 MiB: over axum's default 2 MiB, under the dispatcher's 3 MiB.
        let (dispatcher, seen) = recording_with(|b| b.body_limit(3 << 20));
        let body = padded(NOW_MS, (5 << 20) / 2);
        let response = send(dispatcher, signed(PATH, &body)).await;
        assert_eq!(response.status(), 200);
        assert_eq!(seen.lines().len(), 1);

        // A DefaultBodyLimit layer neither lets more through nor cuts it shorter.
        let (small, small_seen) = recording_with(|b| b.body_limit(64));
        let layered = app(small).layer(DefaultBodyLimit::max(1 << 20));
        let response = layered
            .oneshot(signed(PATH, &padded(NOW_MS, 100)))
            .await
            .unwrap();
        assert_eq!(response.status(), 413);
        assert!(small_seen.lines().is_empty());

        let (large, large_seen) = recording();
        let layered = app(large).layer(DefaultBodyLimit::max(16));
        let response = layered
            .oneshot(signed(PATH, &two_events(NOW_MS)))
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(large_seen.lines().len(), 2);
    }

    #[tokio::test]
    async fn a_failing_handler_is_500() {
        let dispatcher = dispatcher_with(|b| b.handler(failing()));
        let response = send(dispatcher, signed(PATH, &two_events(NOW_MS))).await;
        assert_eq!(response.status(), 500);
        let body = text(response).await;
        assert_eq!(body, "a handler failed; deliver again");
        assert!(
            !body.contains("database"),
            "handler errors stay in the logs"
        );
    }

    #[derive(Clone)]
    struct AppState {
        greeting: &'static str,
    }

    #[tokio::test]
    async fn mounts_in_an_app_with_its_own_state() {
        async fn hello(State(state): State<AppState>) -> &'static str {
            state.greeting
        }
        let (dispatcher, seen) = recording();
        let app: Router = Router::new()
            .route("/", get(hello))
            .route(PATH, webhooks(dispatcher))
            .with_state(AppState { greeting: "hi" });
        let response = app
            .clone()
            .oneshot(signed(PATH, &two_events(NOW_MS)))
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(seen.lines().len(), 2);
        let hello = app
            .oneshot(Request::get("/").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(text(hello).await, "hi");
    }
}
