//! What an app's `main` does before it serves: logging, configuration, `--demo`'s adaptations,
//! the stores and the dispatcher.

use pwh_core::Dispatcher;

use crate::demo::{self, DemoFiles};
use crate::{App, Config};

/// What an app serves with.
pub struct Launch {
    /// Its configuration (adapted to `--demo`).
    pub config: Config,
    /// Whether it was started with `--demo`.
    pub demo: bool,
    /// Its state.
    pub app: App,
    /// Its dispatcher, on the stores the configuration names.
    pub dispatcher: Dispatcher,
    /// The demo's temporary SQLite file, deleted when dropped: keep it until the app stops.
    pub demo_files: Option<DemoFiles>,
}

/// Starts an app: logs to stdout (`RUST_LOG`, default `default_filter`), reads the
/// configuration, adapts it to `--demo` (a temporary SQLite file, a slow `welcome_member`),
/// opens the stores and builds the dispatcher. `None`, after logging why, when something
/// cannot be used.
pub fn launch(default_filter: &str) -> Option<Launch> {
    let mut config = crate::start(default_filter)?;
    let demo = crate::demo_mode();
    let demo_files = if demo {
        match demo::prepare(&mut config, |name| std::env::var(name).ok()) {
            Ok(files) => Some(files),
            Err(e) => {
                tracing::error!("demo: cannot make a temporary directory: {e}");
                return None;
            }
        }
    } else {
        None
    };
    let app = App::new(&config);
    let dispatcher = match app.dispatcher(&config) {
        Ok(dispatcher) => dispatcher,
        Err(e) => {
            tracing::error!("configuration error: {e}");
            return None;
        }
    };
    Some(Launch {
        config,
        demo,
        app,
        dispatcher,
        demo_files,
    })
}
