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
            tracker: Arc::new(Tracker::new(Tracker::DEFAULT_CAPACITY, config.max_age)),
            faults: Arc::new(Faults::new(config.fail_once_ratio)),
        }
    }

    /// The dispatcher for `config`: its tokens and max age, this state, every handler, and
    /// the delivery memory in Redis when `PWH_REDIS_URL` is set (else in this process).
    pub fn dispatcher(&self, config: &Config) -> Dispatcher {
        let builder = Dispatcher::builder(config.keys.clone())
            .max_age(config.max_age)
            .state(self.clone());
        match &config.redis {
            Some(log) => builder.delivery_log(log.clone()),
            None => builder,
        }
        .build()
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
        let config = Config::from_vars(|name| (name == "PWH_REDIS_URL").then(|| url.clone()))
            .expect("Redis down is no configuration error");
        let app = App::new(&config);
        let dispatcher = app.dispatcher(&config);
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
