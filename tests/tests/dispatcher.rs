//! The dispatcher end to end: statuses, routing, order, panics, clock, deadline, redelivery.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pwh_core::adapter::{Rejection, RunResult};
use pwh_core::dispatcher::FixedClock;
use pwh_core::testing::{test_token, Harness, TestWebhook, TEST_TIME_MS};
use pwh_core::{handler, on_event, Dispatcher, KeyRing, Shared};
use serde_json::json;

/// Counts calls per handler name.
#[derive(Clone, Default)]
struct Calls(Arc<Mutex<Vec<String>>>);

impl Calls {
    fn push(&self, s: impl Into<String>) {
        self.0.lock().unwrap().push(s.into());
    }
    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

#[on_event("channel_occupied")]
async fn occupied(channel: &str, Shared(calls): Shared<Calls>) {
    calls.push(format!("occupied {channel}"));
}

#[on_event(any)]
async fn everything(event: &pwh_core::Event<'_>, Shared(calls): Shared<Calls>) {
    calls.push(format!("any {}", event.name()));
}

#[on_event("channel_vacated")]
async fn panics(channel: &str) {
    if channel == "boom" {
        panic!("handler exploded on purpose");
    }
}

/// The same, in a plain `fn`: called at once (`EventHandler::call_now`), not through a future.
#[on_event("cache_miss")]
fn panics_at_once(channel: &str) {
    if channel == "boom" {
        panic!("plain handler exploded on purpose");
    }
}

#[on_event(custom = "member_updated")]
fn sync_custom(channel: &str, Shared(calls): Shared<Calls>) -> Result<(), String> {
    calls.push(format!("custom {channel}"));
    Err("custom handlers may fail".into())
}

fn harness(calls: &Calls) -> Harness {
    let calls = calls.clone();
    Harness::configure(move |b| {
        b.registered_handlers(false)
            .handler(handler!(occupied))
            .handler(handler!(everything))
            .handler(handler!(panics))
            .handler(handler!(sync_custom))
            .state(calls)
    })
}

#[tokio::test]
async fn routes_by_kind_and_to_catch_all_in_body_order() {
    let calls = Calls::default();
    let harness = harness(&calls);
    let delivery = harness
        .deliver(
            TestWebhook::new()
                .channel_occupied("a")
                .event(json!({"name": "future_kind", "x": 1}))
                .cache_miss("b"),
        )
        .await;
    delivery.assert_ok();
    let seen = calls.take();
    // Within one event, handlers run concurrently; across events, in body order.
    let position = |s: &str| seen.iter().position(|x| x == s).unwrap();
    assert!(position("occupied a") < position("any future_kind"));
    assert!(position("any channel_occupied") < position("any future_kind"));
    assert!(position("any future_kind") < position("any cache_miss"));
    assert_eq!(seen.len(), 4, "{seen:?}");
    assert_eq!(delivery.events_of("everything"), vec![0, 1, 2]);
    assert_eq!(delivery.events_of("occupied"), vec![0]);
}

#[tokio::test]
async fn a_panic_is_a_failure_of_that_handler_and_the_process_keeps_serving() {
    let calls = Calls::default();
    let harness = harness(&calls);
    let delivery = harness
        .deliver(TestWebhook::new().channel_vacated("boom"))
        .await;
    assert_eq!(delivery.status(), 500);
    let failed: Vec<_> = delivery.response().outcome().unwrap().failures().collect();
    assert_eq!(failed.len(), 1);
    assert!(failed[0].handler().ends_with("::panics"));
    assert_eq!(
        failed[0].result(),
        &RunResult::Panicked("handler exploded on purpose".into())
    );
    // The catch-all on the same event still ran and succeeded.
    assert!(delivery.ran("everything"));
    // And the next webhook is served normally.
    let next = harness
        .deliver(
            TestWebhook::new()
                .time_ms(TEST_TIME_MS + 1)
                .channel_vacated("calm"),
        )
        .await;
    next.assert_ok();
}

#[tokio::test]
async fn a_plain_fn_handler_panicking_is_caught_the_same_way() {
    let calls = Calls::default();
    let harness = Harness::configure(|b| {
        b.registered_handlers(false)
            .handler(handler!(panics_at_once))
            .handler(handler!(everything))
            .state(calls.clone())
    });
    let delivery = harness.deliver(TestWebhook::new().cache_miss("boom")).await;
    assert_eq!(delivery.status(), 500);
    let failed: Vec<_> = delivery.response().outcome().unwrap().failures().collect();
    assert_eq!(failed.len(), 1);
    assert!(failed[0].handler().ends_with("::panics_at_once"));
    assert_eq!(
        failed[0].result(),
        &RunResult::Panicked("plain handler exploded on purpose".into())
    );
    assert!(delivery.ran("everything"));
    harness
        .deliver(TestWebhook::new().cache_miss("calm"))
        .await
        .assert_ok();
}

#[tokio::test]
async fn custom_kinds_and_sync_handlers_and_failures() {
    let calls = Calls::default();
    let harness = harness(&calls);
    let delivery = harness
        .deliver(TestWebhook::new().event(json!({"name": "member_updated", "channel": "p"})))
        .await;
    assert_eq!(delivery.status(), 500);
    assert_eq!(
        delivery.failure("sync_custom").as_deref(),
        Some("custom handlers may fail")
    );
    assert!(calls.take().contains(&"custom p".to_owned()));
}

#[tokio::test]
async fn the_clock_decides_freshness() {
    let clock = Arc::new(FixedClock::new(0));
    let dispatcher = Dispatcher::builder(KeyRing::new([test_token()]))
        .registered_handlers(false)
        .clock(Arc::clone(&clock))
        .max_age(Some(Duration::from_secs(60)))
        .build();
    let request = TestWebhook::new()
        .time_ms(1_000_000)
        .channel_occupied("c")
        .signed();
    let send = || dispatcher.handle("POST", request.headers.as_slice(), &request.body);
    clock.set(1_000_000 + 60_000);
    assert_eq!(send().await.status(), 200);
    clock.set(1_000_000 + 60_001);
    let response = send().await;
    assert_eq!(response.status(), 401);
    assert_eq!(
        response.rejection(),
        Some(&Rejection::Stale {
            age_ms: 60_001,
            max_age_ms: 60_000
        })
    );
    // A webhook from the future is accepted within the max age (clock skew), refused past it.
    clock.set(1_000_000 - 60_000);
    assert_eq!(send().await.status(), 200);
    clock.set(1_000_000 - 60_001);
    assert_eq!(
        send().await.rejection(),
        Some(&Rejection::FromTheFuture {
            ahead_ms: 60_001,
            max_age_ms: 60_000
        })
    );
    let far_future = TestWebhook::new()
        .time_ms(u64::MAX)
        .channel_occupied("c")
        .signed();
    clock.set(1_000_000);
    let response = dispatcher
        .handle("POST", far_future.headers.as_slice(), &far_future.body)
        .await;
    assert_eq!(response.status(), 401, "u64::MAX is not fresh");
    // And the check can be turned off.
    let lenient = Dispatcher::builder(KeyRing::new([test_token()]))
        .registered_handlers(false)
        .clock(FixedClock::new(u64::MAX))
        .max_age(None)
        .build();
    assert_eq!(
        lenient
            .handle("POST", request.headers.as_slice(), &request.body)
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn every_rejection_gets_its_status_and_runs_nothing() {
    let calls = Calls::default();
    let harness = harness(&calls);
    let dispatcher = harness.dispatcher();
    let good = TestWebhook::new().channel_occupied("c").signed();
    harness.set_now_ms(TEST_TIME_MS);
    let key = (
        "X-Pusher-Key",
        good.header("x-pusher-key").unwrap().to_owned(),
    );
    let sig = (
        "X-Pusher-Signature",
        good.header("x-pusher-signature").unwrap().to_owned(),
    );
    let sign = |body: &[u8]| {
        (
            "X-Pusher-Signature",
            KeyRing::new([test_token()]).sign(&key.1, body).unwrap(),
        )
    };
    type Headers<'h> = Vec<(&'h str, String)>;
    let cases: Vec<(&str, Headers<'_>, Vec<u8>, u16)> = vec![
        (
            "GET",
            vec![key.clone(), sig.clone()],
            good.body.clone(),
            405,
        ),
        ("POST", vec![sig.clone()], good.body.clone(), 401),
        (
            "POST",
            vec![("x-pusher-key", "nope".into()), sig.clone()],
            good.body.clone(),
            401,
        ),
        ("POST", vec![key.clone()], good.body.clone(), 401),
        (
            "POST",
            vec![key.clone(), ("x-pusher-signature", "xyz".into())],
            good.body.clone(),
            401,
        ),
        (
            "POST",
            vec![key.clone(), sig.clone()],
            b"{\"time_ms\":1,\"events\":[]}".to_vec(),
            401,
        ),
        (
            "POST",
            vec![key.clone(), sign(b"{\"time_ms\":1}")],
            b"{\"time_ms\":1}".to_vec(),
            400,
        ),
        (
            "POST",
            vec![key.clone(), sign(&[b'x'; 2 << 20])],
            vec![b'x'; 2 << 20],
            413,
        ),
    ];
    for (method, headers, body, status) in cases {
        let response = dispatcher.handle(method, headers.as_slice(), &body).await;
        assert_eq!(
            response.status().as_u16(),
            status,
            "{method} {headers:?}: {:?}",
            response.rejection()
        );
        let reason = response.rejection().unwrap().to_string();
        assert!(!reason.contains("pwh-test-secret"), "{reason}");
    }
    assert!(
        calls.take().is_empty(),
        "no handler may run on a refused request"
    );
}

static SLOW_CALLS: AtomicUsize = AtomicUsize::new(0);

#[on_event("cache_miss")]
async fn slow(channel: &str) {
    let n = SLOW_CALLS.fetch_add(1, Ordering::SeqCst);
    if channel == "slow" && n == 0 {
        tokio::time::sleep(Duration::from_secs(30)).await;
    }
}

#[on_event("cache_miss")]
async fn quick(_channel: &str) {}

#[tokio::test(start_paused = true)]
async fn a_handler_past_the_deadline_gives_500_and_runs_again_on_retry() {
    let harness = Harness::configure(|b| {
        b.registered_handlers(false)
            .handler(handler!(slow))
            .handler(handler!(quick))
            .deadline(Some(Duration::from_millis(500)))
    });
    let hook = TestWebhook::new()
        .cache_miss("slow")
        .channel_occupied("after");
    let first = harness.deliver(hook.clone()).await;
    assert_eq!(first.status(), 500);
    assert_eq!(
        first.runs_of("slow").next().unwrap().result(),
        &RunResult::TimedOut
    );
    assert!(first.ran("quick"));
    // Pusher retries the same body: only the handler that timed out runs again.
    let retry = harness.deliver(hook).await;
    retry.assert_ok();
    assert!(retry.ran("slow"));
    assert_eq!(
        retry.runs_of("quick").next().unwrap().result(),
        &RunResult::AlreadyDone
    );
    assert_eq!(SLOW_CALLS.load(Ordering::SeqCst), 2);
}

static FLAKY_CALLS: AtomicUsize = AtomicUsize::new(0);
static STEADY_CALLS: AtomicUsize = AtomicUsize::new(0);

#[on_event("member_removed")]
async fn flaky(user_id: &str) -> Result<(), String> {
    if FLAKY_CALLS.fetch_add(1, Ordering::SeqCst) == 0 {
        return Err(format!("database unavailable while removing {user_id}"));
    }
    Ok(())
}

#[on_event("member_removed")]
async fn steady(_user_id: &str) {
    STEADY_CALLS.fetch_add(1, Ordering::SeqCst);
}

#[tokio::test]
async fn a_retry_runs_only_what_failed_and_a_replay_runs_nothing() {
    let harness = Harness::configure(|b| {
        b.registered_handlers(false)
            .handler(handler!(flaky))
            .handler(handler!(steady))
    });
    let hook = TestWebhook::new()
        .member_removed("presence-a", "1")
        .member_removed("presence-a", "2");
    let first = harness.deliver(hook.clone()).await;
    assert_eq!(first.status(), 500);
    assert_eq!(first.events_of("steady"), vec![0, 1]);
    assert_eq!(
        FLAKY_CALLS.load(Ordering::SeqCst),
        2,
        "flaky failed on event 0, then succeeded on 1"
    );

    let retry = harness.deliver(hook.clone()).await;
    retry.assert_ok();
    assert_eq!(
        retry.events_of("flaky"),
        vec![0],
        "only the failed (event, handler) runs again"
    );
    assert!(retry.events_of("steady").is_empty());
    assert_eq!(FLAKY_CALLS.load(Ordering::SeqCst), 3);
    assert_eq!(STEADY_CALLS.load(Ordering::SeqCst), 2);

    let replay = harness.deliver(hook).await;
    replay.assert_ok();
    assert!(replay.response().outcome().unwrap().is_replay());
    assert!(replay.runs().is_empty());
    assert_eq!(FLAKY_CALLS.load(Ordering::SeqCst), 3);
    assert_eq!(STEADY_CALLS.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn redelivery_memory_stays_within_its_capacity() {
    let log = Arc::new(pwh_core::delivery::MemoryLog::with_room_for(100));
    let harness =
        Harness::configure(|b| b.registered_handlers(false).delivery_log(Arc::clone(&log)));
    for n in 0..1_000u64 {
        harness
            .deliver(
                TestWebhook::new()
                    .time_ms(TEST_TIME_MS + n)
                    .channel_occupied("c"),
            )
            .await
            .assert_ok();
        assert!(log.len() <= 100);
    }
    assert_eq!(log.len(), 100);
    // The newest body is remembered: delivering it again is a replay.
    let again = harness
        .deliver(
            TestWebhook::new()
                .time_ms(TEST_TIME_MS + 999)
                .channel_occupied("c"),
        )
        .await;
    assert!(again.response().outcome().unwrap().is_replay());
}

static SLEEPY_CALLS: AtomicUsize = AtomicUsize::new(0);

#[on_event("subscription_count")]
async fn sleepy(subscription_count: u64) {
    if SLEEPY_CALLS.fetch_add(1, Ordering::SeqCst) == 0 {
        tokio::time::sleep(Duration::from_secs(subscription_count)).await;
    }
}

#[tokio::test(start_paused = true)]
async fn a_lone_handler_past_the_deadline_is_named_and_later_events_do_not_start() {
    let harness = Harness::configure(|b| {
        b.registered_handlers(false)
            .handler(handler!(sleepy))
            .handler(handler!(occupied))
            .state(Calls::default())
            .deadline(Some(Duration::from_secs(1)))
    });
    let hook = TestWebhook::new()
        .subscription_count("feed", 60)
        .channel_occupied("later");
    let first = harness.deliver(hook.clone()).await;
    assert_eq!(first.status(), 500);
    let results: Vec<_> = first
        .runs()
        .iter()
        .map(|r| {
            (
                r.event(),
                r.handler().rsplit("::").next().unwrap().to_owned(),
                r.result().clone(),
            )
        })
        .collect();
    assert_eq!(
        results,
        [
            (0, "sleepy".to_owned(), RunResult::TimedOut),
            (1, "occupied".to_owned(), RunResult::NotStarted),
        ]
    );
    let retry = harness.deliver(hook).await;
    retry.assert_ok();
    assert_eq!(retry.events_of("sleepy"), vec![0]);
    assert_eq!(retry.events_of("occupied"), vec![1]);
}

/// Two handlers of one event that can only finish together: run one after the other, the
/// first would wait forever.
#[derive(Clone, Default)]
struct Rendezvous(Arc<tokio::sync::Notify>);

#[on_event("channel_vacated")]
async fn waits_for_the_other(Shared(meet): Shared<Rendezvous>) {
    meet.0.notified().await;
}

#[on_event("channel_vacated")]
async fn wakes_the_other(Shared(meet): Shared<Rendezvous>) {
    tokio::task::yield_now().await;
    meet.0.notify_waiters();
}

#[on_event(any)]
async fn third_party() {
    tokio::task::yield_now().await;
}

#[tokio::test(start_paused = true)]
async fn handlers_of_one_event_run_concurrently_two_or_more() {
    for with_third in [false, true] {
        let harness = Harness::configure(|b| {
            let b = b
                .registered_handlers(false)
                .handler(handler!(waits_for_the_other))
                .handler(handler!(wakes_the_other))
                .state(Rendezvous::default())
                .deadline(Some(Duration::from_secs(1)));
            if with_third {
                b.handler(handler!(third_party))
            } else {
                b
            }
        });
        let delivery = harness
            .deliver(TestWebhook::new().channel_vacated("meet"))
            .await;
        delivery.assert_ok();
        assert_eq!(delivery.runs().len(), if with_third { 3 } else { 2 });
        // In the order they finished: the waker before the one it woke.
        let position = |name: &str| {
            delivery
                .runs()
                .iter()
                .position(|r| r.handler().ends_with(name))
                .unwrap()
        };
        assert!(
            position("wakes_the_other") < position("waits_for_the_other"),
            "{with_third}: {:?}",
            delivery.runs()
        );
    }
}

static BLOCKING_CALLS: AtomicUsize = AtomicUsize::new(0);

/// Blocks its thread (no `.await`) past the deadline on its first call.
#[on_event("member_added")]
fn blocking(user_id: &str, Shared(calls): Shared<Calls>) {
    if BLOCKING_CALLS.fetch_add(1, Ordering::SeqCst) == 0 {
        std::thread::sleep(Duration::from_millis(300));
    }
    calls.push(format!("blocking {user_id}"));
}

#[tokio::test]
async fn handlers_that_never_wait_are_held_to_the_deadline_between_events() {
    let calls = Calls::default();
    let harness = Harness::configure(|b| {
        b.registered_handlers(false)
            .handler(handler!(blocking))
            .handler(handler!(occupied))
            .state(calls.clone())
            .deadline(Some(Duration::from_millis(100)))
    });
    let hook = TestWebhook::new()
        .member_added("presence-a", "1")
        .channel_occupied("later");
    let first = harness.deliver(hook.clone()).await;
    assert_eq!(first.status(), 500);
    let results: Vec<_> = first
        .runs()
        .iter()
        .map(|r| (r.event(), r.result().clone()))
        .collect();
    // The blocking handler finished (it cannot be cut off), past the deadline: the next
    // event's handler does not start.
    assert_eq!(
        results,
        [(0, RunResult::Succeeded), (1, RunResult::NotStarted)]
    );
    assert!(first.runs()[0].elapsed() >= Duration::from_millis(300));
    assert_eq!(calls.take(), ["blocking 1"]);
    let retry = harness.deliver(hook).await;
    retry.assert_ok();
    assert_eq!(calls.take(), ["occupied later"]);
}

static DOUBLE_CALLS: AtomicUsize = AtomicUsize::new(0);

#[on_event("channel_vacated")]
async fn takes_a_while(_channel: &str) {
    DOUBLE_CALLS.fetch_add(1, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(300)).await;
}

#[tokio::test(start_paused = true)]
async fn two_copies_of_a_body_at_once_run_the_handlers_once() {
    let harness = Harness::with_handlers([handler!(takes_a_while)]);
    let hook = TestWebhook::new().channel_vacated("news");
    let (first, second) = tokio::join!(harness.deliver(hook.clone()), harness.deliver(hook));
    first.assert_ok();
    second.assert_ok();
    assert_eq!(DOUBLE_CALLS.load(Ordering::SeqCst), 1);
    // One of them ran the handler; the other waited for it and found it done.
    let replays = [&first, &second]
        .iter()
        .filter(|d| d.response().outcome().unwrap().is_replay())
        .count();
    assert_eq!(replays, 1);
}

#[tokio::test]
async fn a_cancelled_delivery_gives_its_lease_back() {
    let harness = Harness::with_handlers([handler!(sleepy_forever)]);
    let hook = TestWebhook::new().cache_miss("cache-x");
    // The request is dropped mid-way (the client went away)...
    let cancelled =
        tokio::time::timeout(Duration::from_millis(50), harness.deliver(hook.clone())).await;
    assert!(cancelled.is_err());
    // ...so a retry runs at once instead of waiting for a lease nobody holds.
    let started = std::time::Instant::now();
    let retry = tokio::time::timeout(Duration::from_secs(10), harness.deliver(hook)).await;
    assert!(retry.is_ok());
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

static FOREVER_CALLS: AtomicUsize = AtomicUsize::new(0);

#[on_event("cache_miss")]
async fn sleepy_forever(_channel: &str) {
    if FOREVER_CALLS.fetch_add(1, Ordering::SeqCst) == 0 {
        tokio::time::sleep(Duration::from_secs(3600)).await;
    }
}

#[tokio::test]
async fn closures_are_handlers_without_the_macro() {
    use pwh_core::handler::{async_handler_fn, handler_fn, EventRoute};
    use pwh_core::HandlerError;
    let calls = Calls::default();
    let (sync_calls, async_calls) = (calls.clone(), calls.clone());
    let harness = Harness::configure(move |b| {
        b.registered_handlers(false)
            .handler(handler_fn(
                "sync",
                EventRoute::kind("channel_occupied"),
                move |cx| {
                    sync_calls.push(format!("sync {}", cx.event().str("channel").unwrap()));
                    Ok::<_, HandlerError>(())
                },
            ))
            .handler(async_handler_fn("async", EventRoute::Any, move |cx| {
                let calls = async_calls.clone();
                Box::pin(async move {
                    tokio::task::yield_now().await;
                    calls.push(format!("async {}", cx.event().name()));
                    Err(HandlerError::permanent("async closures may fail for good"))
                })
            }))
    });
    let delivery = harness
        .deliver(TestWebhook::new().channel_occupied("c"))
        .await;
    assert_eq!(delivery.status(), 200);
    assert_eq!(
        delivery.failure("async").as_deref(),
        Some("async closures may fail for good")
    );
    let mut seen = calls.take();
    seen.sort();
    assert_eq!(seen, ["async channel_occupied", "sync c"]);
}

#[tokio::test(start_paused = true)]
async fn handlers_cut_off_at_the_deadline_are_reported_in_their_order() {
    use pwh_core::handler::{async_handler_fn, EventRoute};
    use pwh_core::HandlerError;
    let names = ["first", "second", "third"];
    let harness = Harness::configure(move |mut b| {
        b = b
            .registered_handlers(false)
            .deadline(Some(Duration::from_secs(1)));
        for name in names {
            b = b.handler(async_handler_fn(name, EventRoute::Any, |_cx| {
                Box::pin(async {
                    std::future::pending::<()>().await;
                    Ok::<_, HandlerError>(())
                })
            }));
        }
        b
    });
    let delivery = harness
        .deliver(TestWebhook::new().channel_occupied("c"))
        .await;
    assert_eq!(delivery.status(), 500);
    let runs: Vec<_> = delivery
        .runs()
        .iter()
        .map(|r| (r.handler().to_owned(), r.result().clone()))
        .collect();
    let expected: Vec<_> = names
        .iter()
        .map(|name| ((*name).to_owned(), RunResult::TimedOut))
        .collect();
    assert_eq!(runs, expected);
}
