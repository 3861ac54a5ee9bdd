//! A Rocket app receiving Pusher webhooks.
//!
//! `cargo run -p example-rocket` serves on `PWH_ADDR` (default 127.0.0.1:3000);
//! `cargo run -p example-rocket -- --demo` also fires signed webhooks of every kind at itself
//! and prints what happened. Configuration: `PUSHER_APP_KEY`, `PUSHER_APP_SECRET`,
//! `PUSHER_EXTRA_TOKENS`, `PWH_ADDR`, `PWH_MAX_AGE_SECS` (0 disables the freshness check),
//! `PWH_STORE`/`PWH_SQLITE_PATH` (the delivery memory and the deferred jobs, SQLite by
//! default), `PWH_REDIS_URL` or `PWH_REDIS_CLUSTER` (instead, both in Redis, shared by several
//! instances), `PWH_JOB_MAX_ATTEMPTS`, `PWH_JOB_BACKOFF_MS`, `PWH_EXAMPLE_SLOW_MS`,
//! `PWH_EXAMPLE_DEFERRED_FAIL` (the deferred handler `welcome_member`).
//! Rocket stops gracefully on Ctrl-C and SIGTERM: webhooks in flight finish, new ones are
//! refused; then the job workers stop, running jobs getting a grace period.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use example_shared::{demo, workers};

#[rocket::main]
async fn main() -> ExitCode {
    // Installs a `tracing` subscriber: Rocket does not, and without one pwh's lines go nowhere.
    let Some(launch) = example_shared::launch("info,rocket=warn") else {
        return ExitCode::FAILURE;
    };
    let config = &launch.config;
    let demo_mode = launch.demo;
    // The demo listens on a free port unless PWH_ADDR says otherwise.
    let addr = if demo_mode && std::env::var_os("PWH_ADDR").is_none() {
        free_port().unwrap_or(config.addr)
    } else {
        config.addr
    };
    let figment = rocket::Config::figment()
        .merge(("address", addr.ip()))
        .merge(("port", addr.port()))
        .merge(("log_level", rocket::config::LogLevel::Off))
        .merge(("cli_colors", false));
    let rocket = example_rocket::rocket(figment, launch.app.clone(), launch.dispatcher.clone());
    let jobs = workers::start(&launch.dispatcher);
    tracing::info!(
        "listening on http://{addr} (webhooks: POST /pusher/webhooks, state: GET /state)"
    );
    let code = if demo_mode {
        run_demo(rocket, addr, config).await
    } else {
        match rocket.launch().await {
            Ok(_) => ExitCode::SUCCESS,
            Err(e) => {
                tracing::error!("server error: {e}");
                ExitCode::FAILURE
            }
        }
    };
    // Then the job workers: running jobs get a grace period.
    workers::stop(jobs).await;
    code
}

async fn run_demo(
    rocket: rocket::Rocket<rocket::Build>,
    addr: SocketAddr,
    config: &example_shared::Config,
) -> ExitCode {
    let ignited = match rocket.ignite().await {
        Ok(ignited) => ignited,
        Err(e) => {
            tracing::error!("cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    let shutdown = ignited.shutdown();
    let server = rocket::tokio::spawn(ignited.launch());
    if !wait_until_listening(addr).await {
        tracing::error!("the app did not start listening on {addr}");
        return ExitCode::FAILURE;
    }
    let result = demo::run(addr, &config.keys).await;
    shutdown.notify();
    let _ = server.await;
    demo::exit_code(result)
}

/// A port nobody listens on now.
fn free_port() -> Option<SocketAddr> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .ok()
}

async fn wait_until_listening(addr: SocketAddr) -> bool {
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(addr).await.is_ok() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}
