//! The hand-written endpoint over HTTP with Rocket: a POST route that reads the body (up to
//! 1 MiB) and the two Pusher headers and does what `pwh_bench::baseline::Baseline` does, for
//! `scripts/http-bench.sh` to compare pwh with what a user would write without it.
//!
//! ```sh
//! PWH_ADDR=127.0.0.1:3001 cargo run --release -p pwh-bench --bin hand-rocket
//! ```

use std::convert::Infallible;
use std::process::ExitCode;

use pwh_bench::baseline::{Baseline, Refused};
use rocket::data::{Data, ToByteUnit};
use rocket::http::Status;
use rocket::request::{FromRequest, Outcome, Request};

/// The two Pusher headers, empty when absent.
struct Signed<'r> {
    key: &'r str,
    signature: &'r str,
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Signed<'r> {
    type Error = Infallible;

    async fn from_request(request: &'r Request<'_>) -> Outcome<Self, Infallible> {
        let header = |name| request.headers().get_one(name).unwrap_or_default();
        Outcome::Success(Signed {
            key: header("x-pusher-key"),
            signature: header("x-pusher-signature"),
        })
    }
}

#[rocket::post("/pusher/webhooks", data = "<body>")]
async fn webhooks(
    signed: Signed<'_>,
    body: Data<'_>,
    receiver: &rocket::State<Baseline>,
) -> (Status, &'static str) {
    let body = match body.open(1.mebibytes()).into_bytes().await {
        Ok(bytes) if bytes.is_complete() => bytes.into_inner(),
        Ok(_) => return (Status::PayloadTooLarge, "too large"),
        Err(_) => return (Status::BadRequest, "unreadable"),
    };
    let pairs = [
        ("x-pusher-key", signed.key),
        ("x-pusher-signature", signed.signature),
    ];
    match receiver.handle(&pairs, &body, pwh_bench::now_ms()) {
        Ok(_) => (Status::Ok, "ok"),
        Err(Refused::Unauthorized) => (Status::Unauthorized, "unauthorized"),
        Err(Refused::BadRequest) => (Status::BadRequest, "not a webhook"),
        Err(Refused::TooLarge) => (Status::PayloadTooLarge, "too large"),
    }
}

#[rocket::main]
async fn main() -> ExitCode {
    pwh_bench::launch_rocket("hand-rocket", |figment| {
        rocket::custom(figment)
            .manage(pwh_bench::hand_receiver())
            .mount("/", rocket::routes![webhooks])
    })
    .await
}
