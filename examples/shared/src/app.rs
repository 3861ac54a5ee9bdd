//! The application state handlers receive.

use std::sync::Arc;

use pwh_core::Dispatcher;

use crate::{Config, Faults, Tracker};

/// The application state: the tracker, and the fault injector used by the load script.
#[derive(Clone, Default)]
pub struct App {
    /// Channel occupancy, presence members, counters.
    pub tracker: Arc<Tracker>,
    /// Fails a chosen fraction of handler calls once (off unless configured).
    pub faults: Arc<Faults>,
}

impl App {
    /// The state for `config`.
    pub fn new(config: &Config) -> Self {
        Self {
            tracker: Arc::default(),
            faults: Arc::new(Faults::new(config.fail_once_ratio)),
        }
    }

    /// The dispatcher for `config`: its tokens and max age, this state, and every handler.
    pub fn dispatcher(&self, config: &Config) -> Dispatcher {
        Dispatcher::builder(config.keys.clone())
            .max_age(config.max_age)
            .state(self.clone())
            .build()
    }
}
