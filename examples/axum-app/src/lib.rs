//! The axum example app as a library, so that its tests can build the same router.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use example_shared::{App, StateReport};
use pwh_core::Dispatcher;

/// The app: the Pusher webhook endpoint, and the app's state as JSON.
///
/// - `POST /pusher/webhooks`: verified Pusher webhooks (other methods: 405)
/// - `GET /state`: channels worth publishing to, presence members, counters, deferred jobs
pub fn router(app: App, dispatcher: Dispatcher) -> Router {
    Router::new()
        .route("/pusher/webhooks", pwh_axum::webhooks(dispatcher.clone()))
        .route("/state", get(state))
        .with_state((app, dispatcher))
}

async fn state(State((app, dispatcher)): State<(App, Dispatcher)>) -> Json<StateReport> {
    Json(StateReport::read(&app, &dispatcher).await)
}
