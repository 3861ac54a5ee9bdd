//! The actix-web example app as a library, so that its tests can build the same app.

use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::{web, App, HttpResponse};
use example_shared::{App as AppState, StateReport};
use pwh_core::Dispatcher;

/// The app: the Pusher webhook endpoint, and the app's state as JSON.
///
/// - `POST /pusher/webhooks`: verified Pusher webhooks (other methods: 405)
/// - `GET /state`: channels worth publishing to, presence members, counters, deferred jobs
pub fn app(
    state: AppState,
    dispatcher: Dispatcher,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    App::new()
        .app_data(web::Data::new(state))
        .app_data(web::Data::new(dispatcher.clone()))
        .service(pwh_actix::webhooks("/pusher/webhooks", dispatcher))
        .route("/state", web::get().to(snapshot))
}

async fn snapshot(state: web::Data<AppState>, dispatcher: web::Data<Dispatcher>) -> HttpResponse {
    HttpResponse::Ok().json(StateReport::read(&state, &dispatcher).await)
}
