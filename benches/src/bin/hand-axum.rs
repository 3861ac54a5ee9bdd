//! The hand-written endpoint over HTTP: axum with a POST route that does what
//! `pwh_bench::baseline::Baseline` does (key, HMAC-SHA256 with `verify_slice`, one borrowed
//! parse, freshness, a `match` per event), for `scripts/http-bench.sh` to compare pwh with
//! what a user would write without it. The demo token (`demo-key` / `demo-secret`), no
//! delivery memory, no deadline, no panic catching.
//!
//! ```sh
//! PWH_ADDR=127.0.0.1:3001 cargo run --release -p pwh-bench --bin hand-axum
//! ```

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use pwh_bench::baseline::Refused;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::var("PWH_ADDR").unwrap_or_else(|_| "127.0.0.1:3001".to_owned());
    let receiver = pwh_bench::hand_receiver();
    let app = Router::new().route(
        "/pusher/webhooks",
        post(move |headers: HeaderMap, body: Bytes| async move {
            let header = |name: &str| {
                headers
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
            };
            let pairs = [
                ("x-pusher-key", header("x-pusher-key")),
                ("x-pusher-signature", header("x-pusher-signature")),
            ];
            match receiver.handle(&pairs, &body, pwh_bench::now_ms()) {
                Ok(_) => (StatusCode::OK, "ok"),
                Err(Refused::Unauthorized) => (StatusCode::UNAUTHORIZED, "unauthorized"),
                Err(Refused::BadRequest) => (StatusCode::BAD_REQUEST, "not a webhook"),
                Err(Refused::TooLarge) => (StatusCode::PAYLOAD_TOO_LARGE, "too large"),
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    eprintln!("hand-axum listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await
}
