//! The app tested as a user of pwh would: `pwh_core::testing` signs webhooks, and axum's own
//! `oneshot` delivers them through the real router.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use example_shared::{App, Config, Snapshot};
use http_body_util::BodyExt;
use pwh_core::testing::{Harness, SignedRequest, TestWebhook};
use tower::ServiceExt;

/// The app's router with a dispatcher that trusts the test token and a fixed clock.
fn app() -> (App, axum::Router) {
    let app = App::default();
    let harness = Harness::configure(|b| b.state(app.clone()));
    let router = example_axum::router(app.clone(), harness.dispatcher().clone());
    (app, router)
}

async fn post(router: &axum::Router, signed: &SignedRequest) -> (StatusCode, String) {
    let mut request = Request::post("/pusher/webhooks");
    for (name, value) in &signed.headers {
        request = request.header(*name, value);
    }
    let response = router
        .clone()
        .oneshot(request.body(Body::from(signed.body.clone())).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

async fn state(router: &axum::Router) -> serde_json::Value {
    let response = router
        .clone()
        .oneshot(Request::get("/state").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    serde_json::from_slice(&body).unwrap()
}

#[tokio::test]
async fn occupancy_follows_the_webhooks_and_shows_on_the_state_route() {
    let (app, router) = app();
    let hook = TestWebhook::new()
        .channel_occupied("news")
        .member_added("presence-lobby", "alice")
        .subscription_count("news", 2);
    assert_eq!(
        post(&router, &hook.signed()).await,
        (StatusCode::OK, "ok".into())
    );
    assert!(app.tracker.should_publish("news"));
    let json = state(&router).await;
    assert_eq!(json["occupied"], serde_json::json!(["news"]));
    assert_eq!(
        json["members"]["presence-lobby"],
        serde_json::json!(["alice"])
    );
    assert_eq!(json["handled_total"], 3);

    // A late channel_occupied older than a channel_vacated does not bring the channel back.
    let t = hook.created_ms();
    let vacated = TestWebhook::new()
        .time_ms(t + 2_000)
        .channel_vacated("news");
    let late = TestWebhook::new()
        .time_ms(t + 1_000)
        .channel_occupied("news");
    assert_eq!(post(&router, &vacated.signed()).await.0, StatusCode::OK);
    assert_eq!(post(&router, &late.signed()).await.0, StatusCode::OK);
    assert!(!app.tracker.should_publish("news"));
    let snapshot: Snapshot = app.tracker.snapshot();
    assert_eq!(snapshot.ignored_late, 1);
}

#[tokio::test]
async fn forged_and_malformed_webhooks_are_refused_and_change_nothing() {
    let (app, router) = app();
    let forged = TestWebhook::new()
        .channel_occupied("evil")
        .signed()
        .with_signature(&"ab".repeat(32));
    assert_eq!(post(&router, &forged).await.0, StatusCode::UNAUTHORIZED);
    let get = router
        .clone()
        .oneshot(
            Request::get("/pusher/webhooks")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(get.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(app.tracker.snapshot().handled_total, 0);
}

#[tokio::test]
async fn a_redelivered_webhook_is_handled_once() {
    let (app, router) = app();
    let hook = TestWebhook::new().cache_miss("cache-prices").signed();
    for _ in 0..3 {
        assert_eq!(post(&router, &hook).await.0, StatusCode::OK);
    }
    assert_eq!(app.tracker.snapshot().cache_misses["cache-prices"], 1);
}

#[tokio::test]
async fn client_events_of_any_shape_are_answered_200_and_run_once() {
    let (_app, router) = app();
    for (n, (what, hook)) in example_shared::cases::unreadable_client_events()
        .into_iter()
        .enumerate()
    {
        let signed = hook.signed();
        assert_eq!(post(&router, &signed).await.0, StatusCode::OK, "{what}");
        let counted = state(&router).await;
        assert_eq!(counted["client_events"], n + 1, "{what}");
        assert_eq!(counted["client_events_unreadable"], n + 1, "{what}");
        // A redelivery of the same body runs nothing: the counters do not move.
        assert_eq!(post(&router, &signed).await.0, StatusCode::OK, "{what}");
        assert_eq!(state(&router).await, counted, "{what}");
    }
}

#[tokio::test]
async fn a_retried_member_added_older_than_a_member_removed_is_ignored() {
    let (app, router) = app();
    for hook in example_shared::cases::member_added_after_a_newer_removal() {
        assert_eq!(post(&router, &hook.signed()).await.0, StatusCode::OK);
    }
    let json = state(&router).await;
    assert_eq!(json["members"], serde_json::json!({}));
    assert_eq!(json["ignored_late"], 1);
    assert!(app.tracker.snapshot().members.is_empty());
}

#[tokio::test]
async fn the_state_route_counts_deferred_jobs_from_the_store() {
    let app = App::default();
    let config = Config::from_vars(|_| None).unwrap();
    let harness = Harness::configure(|b| app.configure(b, &config));
    let router = example_axum::router(app.clone(), harness.dispatcher().clone());
    let hook = TestWebhook::new().member_added("presence-lobby", "alice");
    assert_eq!(post(&router, &hook.signed()).await.0, StatusCode::OK);
    let json = state(&router).await;
    assert_eq!(
        json["jobs"],
        serde_json::json!({"pending": 1, "running": 0, "done": 0, "dead": 0})
    );
    assert_eq!(json["welcomed_total"], 0);
    assert_eq!(json["handled_total"], 1, "the inline member_added ran");
    assert_eq!(harness.run_due_jobs().await, 1);
    let json = state(&router).await;
    assert_eq!(
        json["jobs"],
        serde_json::json!({"pending": 0, "running": 0, "done": 1, "dead": 0})
    );
    assert_eq!(json["welcomed_total"], 1);
}
