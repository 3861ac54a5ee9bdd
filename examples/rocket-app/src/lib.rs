//! The Rocket example app as a library, so that its tests can build the same Rocket.

use example_shared::{App, StateReport};
use pwh_core::Dispatcher;
use rocket::http::ContentType;
use rocket::{Build, Rocket};

/// The app: the Pusher webhook endpoint, and the app's state as JSON.
///
/// - `POST /pusher/webhooks`: verified Pusher webhooks (other methods: 405)
/// - `GET /state`: channels worth publishing to, presence members, counters, deferred jobs
pub fn rocket(
    figment: rocket::figment::Figment,
    app: App,
    dispatcher: Dispatcher,
) -> Rocket<Build> {
    rocket::custom(figment)
        .manage(app)
        .manage(dispatcher.clone())
        .attach(pwh_rocket::Webhooks::new(dispatcher).at("/pusher/webhooks"))
        .mount("/", rocket::routes![state])
}

#[rocket::get("/state")]
async fn state(
    app: &rocket::State<App>,
    dispatcher: &rocket::State<Dispatcher>,
) -> (ContentType, String) {
    let report = StateReport::read(app, dispatcher).await;
    (ContentType::JSON, report.to_json())
}
