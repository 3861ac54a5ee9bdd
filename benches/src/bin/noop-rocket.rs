//! The pwh-only Rocket app of `scripts/http-bench.sh`: the `pwh_rocket::Webhooks` fairing at
//! `/pusher/webhooks` with one catch-all no-op handler ([`pwh_bench::Noop`]) and pwh's
//! defaults (10 minute max age, 64 MiB delivery memory, 3 s deadline), accepting the
//! demo token. Next to `bare-rocket` it measures what pwh itself costs over HTTP; next to
//! `example-rocket`, what the example app's own handlers cost.
//!
//! Listens on `PWH_ADDR` (default `127.0.0.1:3001`) with Rocket's defaults and logging off.

use std::process::ExitCode;

#[rocket::main]
async fn main() -> ExitCode {
    pwh_bench::launch_rocket("noop-rocket", |figment| {
        rocket::custom(figment).attach(
            pwh_rocket::Webhooks::new(pwh_bench::noop_app_dispatcher()).at("/pusher/webhooks"),
        )
    })
    .await
}
