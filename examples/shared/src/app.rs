//! The application state handlers receive.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use pwh_core::dispatcher::DispatcherBuilder;
use pwh_core::Dispatcher;

use crate::handlers::WelcomeMember;
use crate::{Config, ConfigError, Faults, Tracker};

/// The application state: the tracker, the fault injector used by the load script, and the
/// count of members welcomed.
#[derive(Clone, Default)]
pub struct App {
    /// Channel occupancy, presence members, counters.
    pub tracker: Arc<Tracker>,
    /// Fails a chosen fraction of handler calls once (off unless configured).
    pub faults: Arc<Faults>,
    /// `welcome_member`'s completions in this process.
    welcomed: Arc<AtomicU64>,
}

impl App {
    /// The state for `config`.
    pub fn new(config: &Config) -> Self {
        Self {
            tracker: Arc::new(Tracker::new(Tracker::DEFAULT_CAPACITY, config.max_age)),
            faults: Arc::new(Faults::new(config.fail_once_ratio)),
            welcomed: Arc::default(),
        }
    }

    /// The dispatcher for `config`: its tokens and max age, this state, every handler, the
    /// delivery memory and the job store it names (SQLite by default, both on Redis when
    /// `PWH_REDIS_URL` is set, in the process with `PWH_STORE=memory`).
    ///
    /// # Errors
    ///
    /// [`ConfigError::Sqlite`] when the SQLite file cannot be opened.
    pub fn dispatcher(&self, config: &Config) -> Result<Dispatcher, ConfigError> {
        let builder = Dispatcher::builder(config.keys.clone()).max_age(config.max_age);
        let builder = crate::stores::with_stores(self.configure(builder, config), config)?;
        Ok(builder.build())
    }

    /// Adds this state and the handlers the configuration makes (the deferred
    /// `welcome_member`, with its retry policy) to `builder`; the `#[on_event]` handlers are
    /// registered already. For tests, with `pwh_core::testing::Harness::configure`.
    pub fn configure(&self, builder: DispatcherBuilder, config: &Config) -> DispatcherBuilder {
        builder
            .state(self.clone())
            .handler(WelcomeMember::new(config.welcome))
    }

    /// How many times `welcome_member` completed in this process.
    pub fn welcomed_total(&self) -> u64 {
        self.welcomed.load(Ordering::Relaxed)
    }

    /// Counts one completion of `welcome_member`; the new total.
    pub(crate) fn count_welcome(&self) -> u64 {
        self.welcomed.fetch_add(1, Ordering::Relaxed) + 1
    }
}

#[cfg(test)]
mod tests {
    use pwh_core::testing::TestWebhook;
    use pwh_core::Token;

    use super::*;
    use crate::{DEMO_KEY, DEMO_SECRET};

    #[tokio::test]
    async fn with_redis_down_the_app_starts_and_answers_503() {
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap().port()
        };
        let url = format!("redis://127.0.0.1:{port}/");
        let config = Config::from_vars(|name| match name {
            "PWH_REDIS_URL" => Some(url.clone()),
            "PWH_STORE" => Some("memory".into()),
            _ => None,
        })
        .expect("Redis down is no configuration error");
        let app = App::new(&config);
        let dispatcher = app.dispatcher(&config).unwrap();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap();
        let now_ms = u64::try_from(now.as_millis()).unwrap();
        let request = TestWebhook::new()
            .time_ms(now_ms)
            .channel_occupied("news")
            .signed_by(&Token::new(DEMO_KEY, DEMO_SECRET));
        let response = dispatcher
            .handle("POST", request.headers.as_slice(), &request.body)
            .await;
        assert_eq!(response.status(), 503);
        assert!(app.tracker.snapshot().occupied.is_empty(), "no handler ran");
    }
}
