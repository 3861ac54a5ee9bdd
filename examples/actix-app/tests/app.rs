//! The app tested as a user of pwh would: `pwh_core::testing` signs webhooks, and
//! `actix_web::test` delivers them through the real app.

use actix_web::body::to_bytes;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::test::{call_service, init_service, TestRequest};
use example_shared::App;
use pwh_core::testing::{Harness, SignedRequest, TestWebhook};

async fn post<S>(app: &S, signed: &SignedRequest) -> (u16, String)
where
    S: Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error>,
{
    let mut request = TestRequest::post()
        .uri("/pusher/webhooks")
        .set_payload(signed.body.clone());
    for (name, value) in &signed.headers {
        request = request.insert_header((*name, value.as_str()));
    }
    let response = call_service(app, request.to_request()).await;
    let status = response.status().as_u16();
    let body = to_bytes(response.into_body()).await.unwrap();
    (status, String::from_utf8_lossy(&body).into_owned())
}

#[actix_web::test]
async fn occupancy_follows_the_webhooks_and_forgeries_change_nothing() {
    let state = App::default();
    let harness = Harness::configure(|b| b.state(state.clone()));
    let app = init_service(example_actix::app(
        state.clone(),
        harness.dispatcher().clone(),
    ))
    .await;
    let hook = TestWebhook::new()
        .channel_occupied("news")
        .member_added("presence-lobby", "alice");
    assert_eq!(post(&app, &hook.signed()).await, (200, "ok".into()));
    assert!(state.tracker.should_publish("news"));
    let json: serde_json::Value = serde_json::from_slice(
        &to_bytes(
            call_service(&app, TestRequest::get().uri("/state").to_request())
                .await
                .into_body(),
        )
        .await
        .unwrap(),
    )
    .unwrap();
    assert_eq!(json["occupied"], serde_json::json!(["news"]));
    assert_eq!(json["handled_total"], 2);

    // A redelivery runs nothing; a forged webhook and a GET are refused.
    assert_eq!(post(&app, &hook.signed()).await.0, 200);
    let forged = TestWebhook::new()
        .channel_vacated("news")
        .signed()
        .with_signature(&"ab".repeat(32));
    assert_eq!(post(&app, &forged).await.0, 401);
    let get = call_service(
        &app,
        TestRequest::get().uri("/pusher/webhooks").to_request(),
    )
    .await;
    assert_eq!(get.status(), 405);
    assert_eq!(state.tracker.snapshot().handled_total, 2);
    assert!(state.tracker.should_publish("news"));
}

async fn state<S>(app: &S) -> serde_json::Value
where
    S: Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error>,
{
    let response = call_service(app, TestRequest::get().uri("/state").to_request()).await;
    assert_eq!(response.status(), 200);
    serde_json::from_slice(&to_bytes(response.into_body()).await.unwrap()).unwrap()
}

#[actix_web::test]
async fn client_events_of_any_shape_are_answered_200_and_run_once() {
    let tracked = App::default();
    let harness = Harness::configure(|b| b.state(tracked.clone()));
    let app = init_service(example_actix::app(
        tracked.clone(),
        harness.dispatcher().clone(),
    ))
    .await;
    for (n, (what, hook)) in example_shared::cases::unreadable_client_events()
        .into_iter()
        .enumerate()
    {
        let signed = hook.signed();
        assert_eq!(post(&app, &signed).await.0, 200, "{what}");
        let counted = state(&app).await;
        assert_eq!(counted["client_events"], n + 1, "{what}");
        assert_eq!(counted["client_events_unreadable"], n + 1, "{what}");
        // A redelivery of the same body runs nothing: the counters do not move.
        assert_eq!(post(&app, &signed).await.0, 200, "{what}");
        assert_eq!(state(&app).await, counted, "{what}");
    }
}

#[actix_web::test]
async fn a_retried_member_added_older_than_a_member_removed_is_ignored() {
    let tracked = App::default();
    let harness = Harness::configure(|b| b.state(tracked.clone()));
    let app = init_service(example_actix::app(
        tracked.clone(),
        harness.dispatcher().clone(),
    ))
    .await;
    for hook in example_shared::cases::member_added_after_a_newer_removal() {
        assert_eq!(post(&app, &hook.signed()).await.0, 200);
    }
    let json = state(&app).await;
    assert_eq!(json["members"], serde_json::json!({}));
    assert_eq!(json["ignored_late"], 1);
    assert!(tracked.tracker.snapshot().members.is_empty());
}

#[actix_web::test]
async fn the_state_route_counts_deferred_jobs_from_the_store() {
    let tracked = App::default();
    let config = example_shared::Config::from_vars(|_| None).unwrap();
    let harness = Harness::configure(|b| tracked.configure(b, &config));
    let app = init_service(example_actix::app(
        tracked.clone(),
        harness.dispatcher().clone(),
    ))
    .await;
    let hook = TestWebhook::new().member_added("presence-lobby", "alice");
    assert_eq!(post(&app, &hook.signed()).await.0, 200);
    let json = state(&app).await;
    assert_eq!(
        json["jobs"],
        serde_json::json!({"pending": 1, "running": 0, "done": 0, "dead": 0})
    );
    assert_eq!(json["welcomed_total"], 0);
    assert_eq!(harness.run_due_jobs().await, 1);
    let json = state(&app).await;
    assert_eq!(
        json["jobs"],
        serde_json::json!({"pending": 0, "running": 0, "done": 1, "dead": 0})
    );
    assert_eq!(json["welcomed_total"], 1);
}
