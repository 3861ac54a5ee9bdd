//! What dispatchers sharing one delivery memory run: the suite of a store shared by the
//! instances of an app, or kept across its restarts.

use std::time::Duration;

use super::{Counted, Harness, TestWebhook};
use crate::delivery::DeliveryLog;
use crate::dispatcher::DispatcherBuilder;

/// A harness running `handlers` over `log`.
fn harness<L: DeliveryLog>(log: L, handlers: &[&Counted]) -> Harness {
    Harness::configure(|builder| {
        handlers
            .iter()
            .map(|h| (*h).clone())
            .fold(
                builder.registered_handlers(false),
                DispatcherBuilder::handler,
            )
            .delivery_log(log)
    })
}

/// Checks, end to end through dispatchers, that the handles `open` makes share one delivery
/// memory (the instances of an app on one store, or one app restarted on a durable one),
/// panicking with what broke: a retry through a new dispatcher runs only what failed, a
/// replay through a third runs nothing, and a body delivered to two dispatchers at once is
/// handled once in all (one runs it, the other waits and finds it done). Each call of `open`
/// must give a new handle on the same memory; the suite's bodies are its own.
///
/// ```
/// # #[tokio::main(flavor = "multi_thread", worker_threads = 2)] async fn main() {
/// use std::sync::Arc;
///
/// // One memory in the process, shared by two dispatchers through `Arc`s.
/// let memory = Arc::new(pwh_core::delivery::MemoryLog::with_room_for(1_000));
/// pwh_core::testing::check_shared_delivery(|| Arc::clone(&memory)).await;
/// # }
/// ```
pub async fn check_shared_delivery<L: DeliveryLog>(open: impl Fn() -> L) {
    a_retry_runs_only_what_failed_and_a_replay_nothing(&open).await;
    a_body_delivered_to_two_at_once_runs_once(&open).await;
}

async fn a_retry_runs_only_what_failed_and_a_replay_nothing<L: DeliveryLog>(open: &impl Fn() -> L) {
    let (steady, flaky) = (
        Counted::new("app::steady"),
        Counted::new("app::flaky").failing_once(),
    );
    let hook = TestWebhook::new()
        .time_ms(super::TEST_TIME_MS + 17)
        .channel_occupied("news")
        .member_added("presence-room", "7");

    let first = harness(open(), &[&steady, &flaky])
        .deliver(hook.clone())
        .await;
    assert_eq!(first.status(), 500);
    assert_eq!(first.events_of("app::steady"), [0, 1]);
    assert_eq!(first.failure("app::flaky").as_deref(), Some("failing once"));

    let retry = harness(open(), &[&steady, &flaky])
        .deliver(hook.clone())
        .await;
    retry.assert_ok();
    assert!(
        retry.events_of("app::steady").is_empty(),
        "steady already succeeded"
    );
    assert_eq!(
        retry.events_of("app::flaky"),
        [0],
        "only the event it failed on"
    );

    let replay = harness(open(), &[&steady, &flaky]).deliver(hook).await;
    replay.assert_ok();
    assert!(replay.response().outcome().is_some_and(|o| o.is_replay()));
    assert!(replay.runs().is_empty());
    assert_eq!((steady.calls(), flaky.calls()), (2, 3));
}

async fn a_body_delivered_to_two_at_once_runs_once<L: DeliveryLog>(open: &impl Fn() -> L) {
    let slow = Counted::new("app::slow").taking(Duration::from_millis(300));
    let (one, two) = (harness(open(), &[&slow]), harness(open(), &[&slow]));
    let hook = TestWebhook::new()
        .time_ms(super::TEST_TIME_MS + 18)
        .channel_vacated("news")
        .channel_vacated("sport");

    let (a, b) = tokio::join!(one.deliver(hook.clone()), two.deliver(hook.clone()));
    a.assert_ok();
    b.assert_ok();
    assert_eq!(
        slow.calls(),
        2,
        "each of the two events handled once in all"
    );
    let replays = [&a, &b]
        .iter()
        .filter(|d| d.response().outcome().is_some_and(|o| o.is_replay()))
        .count();
    assert_eq!(replays, 1, "one ran it, the other waited and found it done");

    // Either knows it now.
    let again = two.deliver(hook).await;
    again.assert_ok();
    assert!(again.runs().is_empty());
    assert_eq!(slow.calls(), 2);
}
