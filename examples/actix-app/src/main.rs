//! An actix-web app receiving Pusher webhooks.
//!
//! `cargo run -p example-actix` serves on `PWH_ADDR` (default 127.0.0.1:3000);
//! `cargo run -p example-actix -- --demo` also fires signed webhooks of every kind at itself
//! and prints what happened. Configuration: `PUSHER_APP_KEY`, `PUSHER_APP_SECRET`,
//! `PUSHER_EXTRA_TOKENS`, `PWH_ADDR`, `PWH_MAX_AGE_SECS` (0 disables the freshness check),
//! `PWH_STORE`/`PWH_SQLITE_PATH` (the delivery memory and the deferred jobs, SQLite by
//! default), `PWH_REDIS_URL` or `PWH_REDIS_CLUSTER` (instead, both in Redis, shared by several
//! instances), `PWH_JOB_MAX_ATTEMPTS`, `PWH_JOB_BACKOFF_MS`, `PWH_EXAMPLE_SLOW_MS`,
//! `PWH_EXAMPLE_DEFERRED_FAIL` (the deferred handler `welcome_member`).
//! actix-web stops gracefully on Ctrl-C and SIGTERM; then the job workers stop, running jobs
//! getting a grace period.

use std::process::ExitCode;

use actix_web::HttpServer;
use example_shared::{demo, workers};

#[actix_web::main]
async fn main() -> ExitCode {
    // Installs a `tracing` subscriber: actix-web does not, and without one pwh's lines go nowhere.
    let Some(launch) = example_shared::launch("info") else {
        return ExitCode::FAILURE;
    };
    let config = &launch.config;
    let demo_mode = launch.demo;
    let state = launch.app.clone();
    let dispatcher = launch.dispatcher.clone();
    let jobs = workers::start(&launch.dispatcher);
    // The demo listens on a free port unless PWH_ADDR says otherwise.
    let addr = if demo_mode && std::env::var_os("PWH_ADDR").is_none() {
        std::net::SocketAddr::from(([127, 0, 0, 1], 0))
    } else {
        config.addr
    };
    let server = HttpServer::new(move || example_actix::app(state.clone(), dispatcher.clone()))
        .workers(if demo_mode { 1 } else { 2 })
        .bind(addr);
    let server = match server {
        Ok(server) => server,
        Err(e) => {
            tracing::error!("cannot listen on {addr}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let Some(addr) = server.addrs().first().copied() else {
        return ExitCode::FAILURE;
    };
    tracing::info!(
        "listening on http://{addr} (webhooks: POST /pusher/webhooks, state: GET /state)"
    );
    let server = server.run();
    let code = if demo_mode {
        let handle = server.handle();
        let running = actix_web::rt::spawn(server);
        let result = demo::run(addr, &config.keys).await;
        handle.stop(true).await;
        let _ = running.await;
        demo::exit_code(result)
    } else {
        match server.await {
            Ok(()) => ExitCode::SUCCESS,
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
