//! The pwh-only actix-web app of `scripts/http-bench.sh`: `pwh_actix::webhooks` at
//! `/pusher/webhooks` with one catch-all no-op handler ([`pwh_bench::Noop`]) and pwh's defaults
//! (10 minute max age, 64 MiB delivery memory, 3 s deadline), accepting the demo
//! token. Next to `bare-actix` it measures what pwh itself costs over HTTP; next to
//! `example-actix`, what the example app's own handlers cost.
//!
//! Listens on `PWH_ADDR` (default `127.0.0.1:3001`) with actix-web's default workers.

use actix_web::{App, HttpServer};

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::var("PWH_ADDR").unwrap_or_else(|_| "127.0.0.1:3001".to_owned());
    let dispatcher = pwh_bench::noop_app_dispatcher();
    let server = HttpServer::new(move || {
        App::new().service(pwh_actix::webhooks("/pusher/webhooks", dispatcher.clone()))
    })
    .bind(&addr)?;
    eprintln!("noop-actix listening on http://{addr}");
    server.run().await
}
