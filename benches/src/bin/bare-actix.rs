//! The bare actix-web app of `scripts/http-bench.sh`: `POST /pusher/webhooks` reads the whole
//! body (up to 1 MiB, like pwh's default limit) and answers 200 `ok`, verifying nothing. It is
//! what `example-actix` is compared with.
//!
//! Listens on `PWH_ADDR` (default `127.0.0.1:3001`) with actix-web's default workers. Stops on
//! SIGTERM or Ctrl-C.

use actix_web::web::{self, Payload};
use actix_web::{App, HttpResponse, HttpServer};

async fn webhooks(body: Payload) -> HttpResponse {
    match body.to_bytes_limited(1 << 20).await {
        Ok(Ok(bytes)) => {
            std::hint::black_box(bytes);
            HttpResponse::Ok().body("ok")
        }
        Ok(Err(_)) => HttpResponse::BadRequest().body("unreadable"),
        Err(_) => HttpResponse::PayloadTooLarge().body("too large"),
    }
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::var("PWH_ADDR").unwrap_or_else(|_| "127.0.0.1:3001".to_owned());
    let server = HttpServer::new(|| App::new().route("/pusher/webhooks", web::post().to(webhooks)))
        .bind(&addr)?;
    eprintln!("bare-actix listening on http://{addr}");
    server.run().await
}
