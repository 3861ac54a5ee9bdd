//! The app tested as a user of pwh would: `pwh_core::testing` signs webhooks, and Rocket's own
//! local client delivers them through the real routes.

use example_shared::App;
use pwh_core::testing::{Harness, SignedRequest, TestWebhook};
use rocket::http::{Header, Status};
use rocket::local::asynchronous::Client;

/// The app with a dispatcher that trusts the test token and a fixed clock.
async fn client() -> (App, Client) {
    let app = App::default();
    let harness = Harness::configure(|b| b.state(app.clone()));
    let figment = rocket::Config::figment().merge(("log_level", rocket::config::LogLevel::Off));
    let rocket = example_rocket::rocket(figment, app.clone(), harness.dispatcher().clone());
    (app, Client::tracked(rocket).await.unwrap())
}

async fn post(client: &Client, signed: &SignedRequest) -> (Status, String) {
    let mut request = client.post("/pusher/webhooks").body(&signed.body);
    for (name, value) in &signed.headers {
        request = request.header(Header::new(*name, value.clone()));
    }
    let response = request.dispatch().await;
    (
        response.status(),
        response.into_string().await.unwrap_or_default(),
    )
}

#[rocket::async_test]
async fn occupancy_follows_the_webhooks_and_shows_on_the_state_route() {
    let (app, client) = client().await;
    let hook = TestWebhook::new()
        .channel_occupied("news")
        .member_added("presence-lobby", "alice")
        .client_event(
            "presence-lobby",
            "client-typing",
            serde_json::json!({"text": "hi"}),
            "1.2",
            Some("alice"),
        );
    assert_eq!(
        post(&client, &hook.signed()).await,
        (Status::Ok, "ok".into())
    );
    assert!(app.tracker.should_publish("news"));
    let state = client.get("/state").dispatch().await;
    assert_eq!(state.status(), Status::Ok);
    let json: serde_json::Value =
        serde_json::from_str(&state.into_string().await.unwrap()).unwrap();
    assert_eq!(json["occupied"], serde_json::json!(["news"]));
    assert_eq!(json["last_client_event"]["text"], "hi");
    assert_eq!(json["handled_total"], 3);

    let t = hook.created_ms();
    let vacated = TestWebhook::new()
        .time_ms(t + 2_000)
        .channel_vacated("news");
    let late = TestWebhook::new()
        .time_ms(t + 1_000)
        .channel_occupied("news");
    assert_eq!(post(&client, &vacated.signed()).await.0, Status::Ok);
    assert_eq!(post(&client, &late.signed()).await.0, Status::Ok);
    assert!(!app.tracker.should_publish("news"));
}

#[rocket::async_test]
async fn forged_webhooks_and_other_methods_are_refused_and_change_nothing() {
    let (app, client) = client().await;
    let forged = TestWebhook::new()
        .channel_occupied("evil")
        .signed()
        .with_signature(&"ab".repeat(32));
    assert_eq!(post(&client, &forged).await.0, Status::Unauthorized);
    assert_eq!(
        client.get("/pusher/webhooks").dispatch().await.status(),
        Status::MethodNotAllowed
    );
    assert_eq!(app.tracker.snapshot().handled_total, 0);
}

#[rocket::async_test]
async fn a_redelivered_webhook_is_handled_once() {
    let (app, client) = client().await;
    let hook = TestWebhook::new().cache_miss("cache-prices").signed();
    for _ in 0..3 {
        assert_eq!(post(&client, &hook).await.0, Status::Ok);
    }
    assert_eq!(app.tracker.snapshot().cache_misses["cache-prices"], 1);
}

async fn state(client: &Client) -> serde_json::Value {
    let response = client.get("/state").dispatch().await;
    assert_eq!(response.status(), Status::Ok);
    serde_json::from_str(&response.into_string().await.unwrap()).unwrap()
}

#[rocket::async_test]
async fn client_events_of_any_shape_are_answered_200_and_run_once() {
    let (_app, client) = client().await;
    for (n, (what, hook)) in example_shared::cases::unreadable_client_events()
        .into_iter()
        .enumerate()
    {
        let signed = hook.signed();
        assert_eq!(post(&client, &signed).await.0, Status::Ok, "{what}");
        let counted = state(&client).await;
        assert_eq!(counted["client_events"], n + 1, "{what}");
        assert_eq!(counted["client_events_unreadable"], n + 1, "{what}");
        // A redelivery of the same body runs nothing: the counters do not move.
        assert_eq!(post(&client, &signed).await.0, Status::Ok, "{what}");
        assert_eq!(state(&client).await, counted, "{what}");
    }
}

#[rocket::async_test]
async fn a_retried_member_added_older_than_a_member_removed_is_ignored() {
    let (app, client) = client().await;
    for hook in example_shared::cases::member_added_after_a_newer_removal() {
        assert_eq!(post(&client, &hook.signed()).await.0, Status::Ok);
    }
    let json = state(&client).await;
    assert_eq!(json["members"], serde_json::json!({}));
    assert_eq!(json["ignored_late"], 1);
    assert!(app.tracker.snapshot().members.is_empty());
}

#[rocket::async_test]
async fn the_state_route_counts_deferred_jobs_from_the_store() {
    let app = App::default();
    let config = example_shared::Config::from_vars(|_| None).unwrap();
    let harness = Harness::configure(|b| app.configure(b, &config));
    let figment = rocket::Config::figment().merge(("log_level", rocket::config::LogLevel::Off));
    let rocket = example_rocket::rocket(figment, app.clone(), harness.dispatcher().clone());
    let client = Client::tracked(rocket).await.unwrap();
    let hook = TestWebhook::new().member_added("presence-lobby", "alice");
    assert_eq!(post(&client, &hook.signed()).await.0, Status::Ok);
    let json = state(&client).await;
    assert_eq!(
        json["jobs"],
        serde_json::json!({"pending": 1, "running": 0, "done": 0, "dead": 0})
    );
    assert_eq!(json["welcomed_total"], 0);
    assert_eq!(harness.run_due_jobs().await, 1);
    let json = state(&client).await;
    assert_eq!(
        json["jobs"],
        serde_json::json!({"pending": 0, "running": 0, "done": 1, "dead": 0})
    );
    assert_eq!(json["welcomed_total"], 1);
    assert_eq!(
        json["members"]["presence-lobby"],
        serde_json::json!(["alice"])
    );
}
