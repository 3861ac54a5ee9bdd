//! The bare Rocket app of `scripts/http-bench.sh`: `POST /pusher/webhooks` reads the whole
//! body (up to 1 MiB, like pwh's default limit) and answers 200 `ok`, verifying nothing. It is
//! what `example-rocket` is compared with.
//!
//! Listens on `PWH_ADDR` (default `127.0.0.1:3001`) with Rocket's default configuration and
//! logging off, like the example app. Stops on SIGTERM or Ctrl-C.

use std::process::ExitCode;

use rocket::data::{Data, ToByteUnit};
use rocket::http::Status;

#[rocket::post("/pusher/webhooks", data = "<body>")]
async fn webhooks(body: Data<'_>) -> (Status, &'static str) {
    match body.open(1.mebibytes()).into_bytes().await {
        Ok(bytes) if bytes.is_complete() => {
            std::hint::black_box(bytes.into_inner());
            (Status::Ok, "ok")
        }
        Ok(_) => (Status::PayloadTooLarge, "too large"),
        Err(_) => (Status::BadRequest, "unreadable"),
    }
}

#[rocket::main]
async fn main() -> ExitCode {
    pwh_bench::launch_rocket("bare-rocket", |figment| {
        rocket::custom(figment).mount("/", rocket::routes![webhooks])
    })
    .await
}
