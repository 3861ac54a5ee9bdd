//! The Rocket example app as a library, so that its tests can build the same Rocket.

use example_shared::App;
use pwh_core::Dispatcher;
use rocket::http::ContentType;
use rocket::{Build, Rocket};

/// The app: the Pusher webhook endpoint, and the tracker's state as JSON.
///
/// - `POST /pusher/webhooks`: verified Pusher webhooks (other methods: 405)
/// - `GET /state`: channels worth publishing to, presence members, counters
pub fn rocket(
    figment: rocket::figment::Figment,
    app: App,
    dispatcher: Dispatcher,
) -> Rocket<Build> {
    rocket::custom(figment)
        .manage(app)
        .attach(pwh_rocket::Webhooks::new(dispatcher).at("/pusher/webhooks"))
        .mount("/", rocket::routes![state])
}

#[rocket::get("/state")]
fn state(app: &rocket::State<App>) -> (ContentType, String) {
    let json = serde_json::to_string(&app.tracker.snapshot()).unwrap_or_else(|_| "{}".into());
    (ContentType::JSON, json)
}
