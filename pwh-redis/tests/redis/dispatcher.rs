//! Dispatchers over `RedisLog`, end to end: what a retry, a replay and two instances run.

use std::time::Duration;

use pwh_core::testing::{Counted, Harness, TestWebhook};
use pwh_redis::RedisLog;

use crate::common::{fresh_log, fresh_prefix, require_redis};

fn harness(log: RedisLog, handlers: &[&Counted]) -> Harness {
    Harness::configure(|builder| {
        handlers
            .iter()
            .map(|h| (*h).clone())
            .fold(builder.registered_handlers(false), |b, h| b.handler(h))
            .delivery_log(log)
    })
}

#[tokio::test]
async fn a_retry_runs_only_what_failed_and_a_replay_runs_nothing() {
    let url = require_redis!();
    let (steady, flaky) = (
        Counted::new("app::steady"),
        Counted::new("app::flaky").failing_once(),
    );
    let harness = harness(fresh_log(&url), &[&steady, &flaky]);
    let hook = TestWebhook::new()
        .channel_occupied("news")
        .member_added("presence-room", "7");

    let first = harness.deliver(hook.clone()).await;
    assert_eq!(first.status(), 500);
    assert_eq!(first.events_of("app::steady"), [0, 1]);
    assert_eq!(first.failure("app::flaky").as_deref(), Some("failing once"));

    let retry = harness.deliver(hook.clone()).await;
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

    let replay = harness.deliver(hook).await;
    replay.assert_ok();
    assert!(replay.response().outcome().is_some_and(|o| o.is_replay()));
    assert!(replay.runs().is_empty());
    assert_eq!((steady.calls(), flaky.calls()), (2, 3));
}

#[tokio::test]
async fn two_instances_run_a_body_delivered_to_both_at_once_once() {
    let url = require_redis!();
    let prefix = fresh_prefix();
    let log = || {
        RedisLog::builder(url.as_str())
            .prefix(prefix.as_str())
            .timeout(Duration::from_secs(2))
            .build()
            .unwrap()
    };
    let slow = Counted::new("app::slow").taking(Duration::from_millis(300));
    // Two dispatchers with their own connections: two instances of one app.
    let (one, two) = (harness(log(), &[&slow]), harness(log(), &[&slow]));
    let hook = TestWebhook::new()
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
    assert_eq!(
        replays, 1,
        "one instance ran it, the other waited and found it done"
    );

    // Either instance knows it now.
    let again = two.deliver(hook).await;
    again.assert_ok();
    assert!(again.runs().is_empty());
    assert_eq!(slow.calls(), 2);
}

#[tokio::test]
async fn instances_under_other_prefixes_run_the_body_again() {
    let url = require_redis!();
    let handler = Counted::new("app::h");
    let (one, two) = (
        harness(fresh_log(&url), &[&handler]),
        harness(fresh_log(&url), &[&handler]),
    );
    let hook = TestWebhook::new().cache_miss("cache-a");
    one.deliver(hook.clone()).await.assert_ok();
    two.deliver(hook).await.assert_ok();
    assert_eq!(handler.calls(), 2, "two apps, two memories");
}
