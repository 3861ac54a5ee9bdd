//! What the example apps share, whatever their web framework: a channel occupancy tracker (the
//! seed's use case: publish only to channels that have subscribers), the `#[on_event]` handlers
//! that feed it (among them the deferred `welcome_member`), configuration from the
//! environment, the stores it names, the job workers, the `/state` document, and the demo
//! sender.
//!
//! The handlers register themselves: an app that links this crate and builds a `Dispatcher`
//! runs them.

mod app;
#[cfg(any(test, feature = "testing"))]
pub mod cases;
mod config;
pub mod demo;
mod faults;
mod handlers;
pub mod http;
mod last_changes;
mod launch;
mod state;
mod stores;
#[cfg(any(test, feature = "testing"))]
pub mod test_redis;
mod tracker;
pub mod workers;

pub use app::App;
pub use config::{
    Config, ConfigError, RedisStores, Store, Welcome, DEMO_KEY, DEMO_SECRET, ENV_REDIS_CLUSTER,
    ENV_REDIS_URL, ENV_SQLITE_PATH, ENV_STORE,
};
pub use faults::Faults;
pub use handlers::WelcomeMember;
pub use launch::{launch, Launch};
pub use state::{Jobs, StateReport};
pub use tracker::{ClientEventSeen, Dropped, Snapshot, Stamp, Tracker};

/// Starts an app: logs to stdout (`RUST_LOG`, default `default_filter`) and reads the
/// configuration, logging it. `None`, after logging why, when it cannot be used.
pub fn start(default_filter: &str) -> Option<Config> {
    use tracing_subscriber::EnvFilter;
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter)),
        )
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .compact()
        .init();
    match Config::from_env() {
        Ok(config) => {
            config.log();
            Some(config)
        }
        Err(e) => {
            tracing::error!("configuration error: {e}");
            None
        }
    }
}

/// Whether the app was started with `--demo`.
pub fn demo_mode() -> bool {
    std::env::args().skip(1).any(|a| a == "--demo")
}

/// Resolves when the process is asked to stop (Ctrl-C or SIGTERM).
pub async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
    tracing::info!(
        "shutting down: finishing webhooks in flight, refusing new ones, then the job workers"
    );
}
