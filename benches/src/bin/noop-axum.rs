//! The pwh-only axum app of `scripts/http-bench.sh`: `pwh_axum::webhooks` at
//! `POST /pusher/webhooks` with one catch-all no-op handler ([`pwh_bench::Noop`]) and pwh's
//! defaults (10 minute max age, 64 MiB delivery memory, 3 s deadline), accepting the
//! demo token. Next to `bare-axum` it measures what pwh itself costs over HTTP; next to
//! `example-axum`, what the example app's own handlers cost.
//!
//! Listens on `PWH_ADDR` (default `127.0.0.1:3001`) with Tokio's default multi-thread runtime.

use axum::Router;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::var("PWH_ADDR").unwrap_or_else(|_| "127.0.0.1:3001".to_owned());
    let dispatcher = pwh_bench::noop_app_dispatcher();
    let app: Router = Router::new().route("/pusher/webhooks", pwh_axum::webhooks(dispatcher));
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    eprintln!("noop-axum listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await
}
