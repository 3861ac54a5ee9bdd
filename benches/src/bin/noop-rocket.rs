//! The pwh-only Rocket app of `scripts/http-bench.sh`: the `pwh_rocket::Webhooks` fairing at
//! `/pusher/webhooks` with one catch-all no-op handler ([`pwh_bench::Noop`]) and pwh's
//! defaults (10 minute max age, 100,000-body redelivery memory, 3 s deadline), accepting the
//! demo token. Next to `bare-rocket` it measures what pwh itself costs over HTTP; next to
//! `example-rocket`, what the example app's own handlers cost.
//!
//! Listens on `PWH_ADDR` (default `127.0.0.1:3001`) with Rocket's defaults and logging off.

use std::net::SocketAddr;
use std::process::ExitCode;

use pwh_core::{Dispatcher, KeyRing, Token};

#[rocket::main]
async fn main() -> ExitCode {
    let addr = std::env::var("PWH_ADDR").unwrap_or_else(|_| "127.0.0.1:3001".to_owned());
    let Ok(addr) = addr.parse::<SocketAddr>() else {
        eprintln!("PWH_ADDR={addr:?} is not a socket address like 127.0.0.1:3001");
        return ExitCode::FAILURE;
    };
    let dispatcher = Dispatcher::builder(KeyRing::new([Token::new(
        pwh_bench::KEY,
        pwh_bench::SECRET,
    )]))
    .registered_handlers(false)
    .handler(pwh_bench::Noop)
    .build();
    let figment = rocket::Config::figment()
        .merge(("address", addr.ip()))
        .merge(("port", addr.port()))
        .merge(("log_level", rocket::config::LogLevel::Off))
        .merge(("cli_colors", false));
    eprintln!("noop-rocket listening on http://{addr}");
    match rocket::custom(figment)
        .attach(pwh_rocket::Webhooks::new(dispatcher).at("/pusher/webhooks"))
        .launch()
        .await
    {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("noop-rocket: {e}");
            ExitCode::FAILURE
        }
    }
}
