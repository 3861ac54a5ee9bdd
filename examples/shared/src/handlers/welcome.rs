//! `welcome_member`: a deferred handler on `member_added`, the kind of work (a welcome
//! message, a CRM call) that should not hold Pusher's request. The webhook is answered as soon
//! as its job is recorded; workers run the job later, retried by the policy the configuration
//! gives.
//!
//! Made by hand rather than with `#[on_event("member_added", deferred(...))]`: its retry policy
//! comes from the environment (`PWH_JOB_MAX_ATTEMPTS`, `PWH_JOB_BACKOFF_MS`), known only at
//! run time, while `#[on_event]`'s options are constants and its handlers register themselves
//! in every dispatcher of the binary. A hand-made [`EventHandler`] carries its settings as a
//! value and is added with `DispatcherBuilder::handler` where the app builds its dispatcher.

use pwh_core::handler::{async_trait, EventHandler, EventRoute, HandlerInfo, StateNeeds};
use pwh_core::{EventContext, HandlerError};

use crate::config::Welcome;
use crate::App;

/// The deferred handler `welcome_member` with its settings.
#[derive(Debug, Clone, Copy)]
pub struct WelcomeMember {
    settings: Welcome,
}

impl WelcomeMember {
    /// The handler's name, and the name its jobs are recorded under.
    pub const NAME: &'static str = "welcome_member";

    /// `welcome_member` retried by `settings.policy`, sleeping `settings.slow` per attempt,
    /// failing every attempt when `settings.fail_always`.
    pub fn new(settings: Welcome) -> Self {
        Self { settings }
    }
}

#[async_trait]
impl EventHandler for WelcomeMember {
    fn info(&self) -> HandlerInfo {
        let mut needs = StateNeeds::default();
        needs.add::<App>();
        HandlerInfo::new(Self::NAME, EventRoute::kind("member_added"))
            .deferred(self.settings.policy)
            .needs(needs)
            .at(file!(), line!())
    }

    async fn call(&self, cx: &EventContext<'_>) -> Result<(), HandlerError> {
        let app = cx
            .state::<App>()
            .ok_or_else(|| HandlerError::permanent("the dispatcher has no App state"))?;
        let channel = cx.event().str("channel").unwrap_or("-");
        if !self.settings.slow.is_zero() {
            tokio::time::sleep(self.settings.slow).await;
        }
        if self.settings.fail_always {
            return Err(HandlerError::new(
                "PWH_EXAMPLE_DEFERRED_FAIL=always: welcome_member fails on purpose",
            ));
        }
        let total = app.count_welcome();
        // The job's span names the handler, the attempt and the job; the member's id is the
        // app's data, not logged.
        tracing::info!(channel, total, "welcomed a member");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use pwh_core::jobs::{JobPolicy, JobState};
    use pwh_core::testing::{Harness, TestWebhook};

    use super::*;

    fn harness(app: &App, settings: Welcome) -> Harness {
        Harness::configure(|b| {
            b.registered_handlers(false)
                .state(app.clone())
                .handler(WelcomeMember::new(settings))
        })
    }

    #[tokio::test]
    async fn answered_at_once_and_run_later_once() {
        let app = App::default();
        let harness = harness(&app, Welcome::default());
        let hook = TestWebhook::new().member_added("presence-lobby", "alice");
        let delivery = harness.deliver(hook.clone()).await;
        delivery.assert_ok();
        assert!(delivery.deferred(WelcomeMember::NAME));
        assert_eq!(app.welcomed_total(), 0, "not run while Pusher waits");
        let jobs = harness.jobs().await;
        assert_eq!(jobs.len(), 1);
        assert_eq!(
            (
                jobs[0].handler.as_str(),
                jobs[0].state,
                jobs[0].max_attempts
            ),
            (WelcomeMember::NAME, JobState::Pending, 10)
        );
        // A redelivery records nothing more.
        harness.deliver(hook).await.assert_ok();
        assert_eq!(harness.jobs().await.len(), 1);
        assert_eq!(harness.run_due_jobs().await, 1);
        assert_eq!(app.welcomed_total(), 1);
        assert_eq!(harness.job_counts().await.done, 1);
        assert_eq!(harness.run_due_jobs().await, 0);
        assert_eq!(app.welcomed_total(), 1);
    }

    #[tokio::test]
    async fn failing_it_is_retried_after_its_backoff_then_dead() {
        let app = App::default();
        let settings = Welcome {
            policy: JobPolicy::default()
                .max_attempts(3)
                .backoff(Duration::from_secs(1)),
            fail_always: true,
            ..Welcome::default()
        };
        let harness = harness(&app, settings);
        harness
            .deliver(TestWebhook::new().member_added("presence-lobby", "bob"))
            .await
            .assert_ok();
        assert_eq!(harness.run_due_jobs().await, 1);
        let jobs = harness.jobs().await;
        assert_eq!((jobs[0].state, jobs[0].attempts), (JobState::Pending, 1));
        assert!(
            jobs[0]
                .last_error
                .as_deref()
                .is_some_and(|e| e.contains("on purpose")),
            "{:?}",
            jobs[0].last_error
        );
        assert_eq!(harness.run_due_jobs().await, 0, "waiting for its backoff");
        for _ in 0..2 {
            // At most 2^(n-1) s plus a quarter.
            harness.advance(Duration::from_secs(3));
            assert_eq!(harness.run_due_jobs().await, 1);
        }
        let counts = harness.job_counts().await;
        assert_eq!((counts.dead, counts.done, counts.pending), (1, 0, 0));
        assert_eq!(harness.jobs().await[0].attempts, 3);
        assert_eq!(app.welcomed_total(), 0);
    }

    #[tokio::test]
    async fn the_slow_mode_sleeps_then_succeeds() {
        let app = App::default();
        let settings = Welcome {
            slow: Duration::from_millis(50),
            ..Welcome::default()
        };
        let harness = harness(&app, settings);
        harness
            .deliver(TestWebhook::new().member_added("presence-lobby", "carol"))
            .await
            .assert_ok();
        let started = std::time::Instant::now();
        assert_eq!(harness.run_due_jobs().await, 1);
        assert!(started.elapsed() >= Duration::from_millis(50));
        assert_eq!(app.welcomed_total(), 1);
    }
}
