//! The hand-written endpoint over HTTP with actix-web: a POST route that reads the body (up to
//! 1 MiB) and the two Pusher headers and does what `pwh_bench::baseline::Baseline` does, for
//! `scripts/http-bench.sh` to compare pwh with what a user would write without it.
//!
//! ```sh
//! PWH_ADDR=127.0.0.1:3001 cargo run --release -p pwh-bench --bin hand-actix
//! ```

use actix_web::web::{self, Payload};
use actix_web::{App, HttpRequest, HttpResponse, HttpServer};
use pwh_bench::baseline::{Baseline, Refused};

async fn webhooks(req: HttpRequest, body: Payload, receiver: web::Data<Baseline>) -> HttpResponse {
    let body = match body.to_bytes_limited(1 << 20).await {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(_)) => return HttpResponse::BadRequest().body("unreadable"),
        Err(_) => return HttpResponse::PayloadTooLarge().body("too large"),
    };
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    };
    let pairs = [
        ("x-pusher-key", header("x-pusher-key")),
        ("x-pusher-signature", header("x-pusher-signature")),
    ];
    match receiver.handle(&pairs, &body, pwh_bench::now_ms()) {
        Ok(_) => HttpResponse::Ok().body("ok"),
        Err(Refused::Unauthorized) => HttpResponse::Unauthorized().body("unauthorized"),
        Err(Refused::BadRequest) => HttpResponse::BadRequest().body("not a webhook"),
        Err(Refused::TooLarge) => HttpResponse::PayloadTooLarge().body("too large"),
    }
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::var("PWH_ADDR").unwrap_or_else(|_| "127.0.0.1:3001".to_owned());
    let receiver = web::Data::new(pwh_bench::hand_receiver());
    let server = HttpServer::new(move || {
        App::new()
            .app_data(receiver.clone())
            .route("/pusher/webhooks", web::post().to(webhooks))
    })
    .bind(&addr)?;
    eprintln!("hand-actix listening on http://{addr}");
    server.run().await
}
