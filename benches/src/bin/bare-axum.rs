//! The bare axum app of `scripts/http-bench.sh`: `POST /pusher/webhooks` reads the whole body
//! and answers 200 `ok`, verifying nothing. It is what `example-axum` is compared with.
//!
//! Listens on `PWH_ADDR` (default `127.0.0.1:3001`) with Tokio's default multi-thread runtime,
//! like the example app. Stops on SIGTERM or Ctrl-C (the default signal action).

use axum::body::Bytes;
use axum::routing::post;
use axum::Router;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::var("PWH_ADDR").unwrap_or_else(|_| "127.0.0.1:3001".to_owned());
    let app = Router::new().route(
        "/pusher/webhooks",
        post(|body: Bytes| async move {
            std::hint::black_box(body);
            "ok"
        }),
    );
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    eprintln!("bare-axum listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await
}
