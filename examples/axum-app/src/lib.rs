//! The axum example app as a library, so that its tests can build the same router.

use axum::routing::get;
use axum::{Json, Router};
use example_shared::{App, Snapshot};
use pwh_core::Dispatcher;

/// The app: the Pusher webhook endpoint, and the tracker's state as JSON.
///
/// - `POST /pusher/webhooks`: verified Pusher webhooks (other methods: 405)
/// - `GET /state`: channels worth publishing to, presence members, counters
pub fn router(app: App, dispatcher: Dispatcher) -> Router {
    Router::new()
        .route("/pusher/webhooks", pwh_axum::webhooks(dispatcher))
        .route("/state", get(state))
        .with_state(app)
}

async fn state(axum::extract::State(app): axum::extract::State<App>) -> Json<Snapshot> {
    Json(app.tracker.snapshot())
}
