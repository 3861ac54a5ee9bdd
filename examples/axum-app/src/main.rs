//! An axum app receiving Pusher webhooks.
//!
//! `cargo run -p example-axum` serves on `PWH_ADDR` (default 127.0.0.1:3000);
//! `cargo run -p example-axum -- --demo` also fires signed webhooks of every kind at itself and
//! prints what happened. Configuration: `PUSHER_APP_KEY`, `PUSHER_APP_SECRET`,
//! `PUSHER_EXTRA_TOKENS`, `PWH_ADDR`, `PWH_MAX_AGE_SECS` (0 disables the freshness check),
//! `PWH_STORE`/`PWH_SQLITE_PATH` (the delivery memory and the deferred jobs, SQLite by
//! default), `PWH_REDIS_URL` or `PWH_REDIS_CLUSTER` (instead, both in Redis, shared by several
//! instances), `PWH_JOB_MAX_ATTEMPTS`, `PWH_JOB_BACKOFF_MS`, `PWH_EXAMPLE_SLOW_MS`,
//! `PWH_EXAMPLE_DEFERRED_FAIL` (the deferred handler `welcome_member`).

use std::future::IntoFuture;
use std::process::ExitCode;

use example_shared::{demo, shutdown_signal, workers};

#[tokio::main]
async fn main() -> ExitCode {
    let Some(launch) = example_shared::launch("info") else {
        return ExitCode::FAILURE;
    };
    let config = &launch.config;
    let jobs = workers::start(&launch.dispatcher);
    let router = example_axum::router(launch.app.clone(), launch.dispatcher.clone());
    // The demo listens on a free port unless PWH_ADDR says otherwise.
    let addr = if launch.demo && std::env::var_os("PWH_ADDR").is_none() {
        std::net::SocketAddr::from(([127, 0, 0, 1], 0))
    } else {
        config.addr
    };
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(listener) => listener,
        Err(e) => {
            tracing::error!("cannot listen on {addr}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let Ok(addr) = listener.local_addr() else {
        return ExitCode::FAILURE;
    };
    tracing::info!(
        "listening on http://{addr} (webhooks: POST /pusher/webhooks, state: GET /state)"
    );
    let code = if launch.demo {
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(
            axum::serve(listener, router)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .into_future(),
        );
        let result = demo::run(addr, &config.keys).await;
        let _ = stop.send(());
        let _ = server.await;
        demo::exit_code(result)
    } else {
        // On Ctrl-C or SIGTERM: stop accepting, let webhooks in flight finish.
        match axum::serve(listener, router)
            .with_graceful_shutdown(shutdown_signal())
            .await
        {
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
