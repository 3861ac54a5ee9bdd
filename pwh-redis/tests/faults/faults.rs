//! Real faults of the shared store under dispatchers: a Redis stalled by `DEBUG SLEEP` (on a
//! server of the test's own, so that no other test stalls), an instance cut off from Redis
//! mid-delivery, every worker blocked, a body signed by two tokens, and the retry of a large
//! partly failed batch.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use pwh_core::delivery::StoreErrorKind;
use pwh_core::dispatcher::FixedClock;
use pwh_core::handler::{EventHandler, EventRoute, HandlerInfo};
use pwh_core::testing::{Harness, TestWebhook, TEST_TIME_MS};
use pwh_core::{Dispatcher, EventContext, HandlerError, KeyRing, Token};
use pwh_redis::RedisLog;

use crate::common::{fresh_log, fresh_prefix, raw, require_redis, OwnServer};
use crate::proxy::Proxy;

/// A catch-all handler that counts its calls and how many run at once; its first call takes
/// `first`, the others `then`.
#[derive(Clone)]
struct Watched {
    name: &'static str,
    calls: Arc<AtomicUsize>,
    running: Arc<AtomicUsize>,
    most: Arc<AtomicUsize>,
    first: Duration,
    then: Duration,
}

impl Watched {
    fn new(name: &'static str, first: Duration, then: Duration) -> Self {
        Self {
            name,
            calls: Arc::default(),
            running: Arc::default(),
            most: Arc::default(),
            first,
            then,
        }
    }

    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    fn most_at_once(&self) -> usize {
        self.most.load(Ordering::SeqCst)
    }
}

/// Counts one running call while it lives (a stopped handler's future is dropped).
struct Running(Arc<AtomicUsize>);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

#[pwh_core::handler::async_trait]
impl EventHandler for Watched {
    fn info(&self) -> HandlerInfo {
        HandlerInfo::new(self.name, EventRoute::Any)
    }

    async fn call(&self, _cx: &EventContext<'_>) -> Result<(), HandlerError> {
        let call = self.calls.fetch_add(1, Ordering::SeqCst);
        let now = self.running.fetch_add(1, Ordering::SeqCst) + 1;
        let _running = Running(Arc::clone(&self.running));
        self.most.fetch_max(now, Ordering::SeqCst);
        let takes = if call == 0 { self.first } else { self.then };
        if !takes.is_zero() {
            tokio::time::sleep(takes).await;
        }
        Ok(())
    }
}

fn log_on(url: &str, prefix: &str) -> RedisLog {
    RedisLog::builder(url)
        .prefix(prefix)
        .build()
        .expect("a Redis URL")
}

fn harness(log: RedisLog, handler: &Watched, deadline: Option<Duration>) -> Arc<Harness> {
    let handler = handler.clone();
    Arc::new(Harness::configure(move |b| {
        b.registered_handlers(false)
            .handler(handler)
            .delivery_log(log)
            .deadline(deadline)
    }))
}

async fn wait_until_awake(url: &str) {
    let mut conn = raw(url).await;
    let _: String = redis::cmd("PING")
        .query_async(&mut conn)
        .await
        .expect("redis answers once awake");
}

fn store_error(delivery: &pwh_core::testing::Delivery) -> Option<StoreErrorKind> {
    delivery
        .response()
        .outcome()
        .and_then(|o| o.store_error())
        .map(|e| e.kind())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_that_loses_its_lease_stops_before_another_can_take_it() {
    let Some((_server, url)) = OwnServer::ready().await else {
        return;
    };
    let prefix = fresh_prefix();
    // No deadline: the lease (4 s) is all that bounds the first instance.
    let slow = Watched::new("app::slow", Duration::from_secs(9), Duration::ZERO);
    let one = harness(log_on(&url, &prefix), &slow, None);
    let two = harness(log_on(&url, &prefix), &slow, None);
    let hook = TestWebhook::new().channel_vacated("news");
    let began = Instant::now();
    let first = tokio::spawn({
        let (one, hook) = (Arc::clone(&one), hook.clone());
        async move {
            let delivery = one.deliver(hook).await;
            (delivery, began.elapsed())
        }
    });
    tokio::time::sleep(Duration::from_millis(2_200)).await;
    // Redis sleeps from 2.25 s to 6.75 s: the lease, last renewed at about 2 s, runs out at
    // about 6 s by Redis's clock.
    let stalled = OwnServer::stall(&url, 4.5).await;
    let (first, answered) = first.await.unwrap();
    assert_eq!(first.status(), 503, "{:?}", first.response());
    assert_eq!(store_error(&first), Some(StoreErrorKind::LeaseLost));
    assert!(
        answered < Duration::from_millis(6_000),
        "stopped at {answered:?}, after the store could have let the lease go"
    );
    stalled.await.unwrap();
    wait_until_awake(&url).await;
    let second = two.deliver(hook).await;
    second.assert_ok();
    assert_eq!(
        second.events_of("app::slow"),
        [0],
        "the copy ran what did not finish"
    );
    assert_eq!(slow.calls(), 2);
    assert_eq!(slow.most_at_once(), 1, "never twice at once");
}

/// Per channel: calls, calls running now, most calls at once.
type PerChannel = std::collections::HashMap<String, (usize, usize, usize)>;

/// A catch-all handler that blocks its thread for 4 s, counting calls and calls at once per
/// channel.
#[derive(Clone, Default)]
struct BlocksPerChannel {
    seen: Arc<Mutex<PerChannel>>,
}

impl BlocksPerChannel {
    /// Calls, and the most at once, on `channel`.
    fn of(&self, channel: &str) -> (usize, usize) {
        let seen = self.seen.lock().unwrap();
        seen.get(channel)
            .map_or((0, 0), |&(calls, _, most)| (calls, most))
    }
}

#[pwh_core::handler::async_trait]
impl EventHandler for BlocksPerChannel {
    fn info(&self) -> HandlerInfo {
        HandlerInfo::new("app::blocking", EventRoute::Any)
    }

    async fn call(&self, cx: &EventContext<'_>) -> Result<(), HandlerError> {
        let channel = cx.event().str("channel").unwrap_or_default().to_owned();
        {
            let mut seen = self.seen.lock().unwrap();
            let (calls, now, most) = seen.entry(channel.clone()).or_default();
            *calls += 1;
            *now += 1;
            *most = (*most).max(*now);
        }
        std::thread::sleep(Duration::from_secs(4));
        if let Some((_, now, _)) = self.seen.lock().unwrap().get_mut(&channel) {
            *now -= 1;
        }
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handlers_blocking_every_worker_keep_their_lease_on_redis() {
    let url = require_redis!();
    let prefix = fresh_prefix();
    let blocking = BlocksPerChannel::default();
    let harness_of = |blocking: &BlocksPerChannel| {
        // A timeout of 1 s rather than 300 ms: what is tested is a renewal that the blocked
        // workers cannot delay, not one that a busy machine's Redis answers late.
        let log = RedisLog::builder(url.as_str())
            .prefix(prefix.as_str())
            .timeout(Duration::from_secs(1))
            .build()
            .expect("a Redis URL");
        let blocking = blocking.clone();
        // Deadline 1 s: the lease would run out at 2 s, while the handlers block both
        // workers for 4 s.
        Arc::new(Harness::configure(move |b| {
            b.registered_handlers(false)
                .handler(blocking)
                .delivery_log(log)
                .deadline(Some(Duration::from_secs(1)))
        }))
    };
    let one = harness_of(&blocking);
    let hooks = [
        TestWebhook::new().cache_miss("a"),
        TestWebhook::new().time_ms(TEST_TIME_MS + 1).cache_miss("b"),
    ];
    let running: Vec<_> = hooks
        .iter()
        .map(|hook| {
            let (one, hook) = (Arc::clone(&one), hook.clone());
            tokio::spawn(async move { one.deliver(hook).await })
        })
        .collect();
    // A second instance, on a thread and a runtime of its own, gets a copy of each at 2.5 s
    // (past the lease's first term; its deadline passes at 3.5 s, before the handlers end).
    let two = harness_of(&blocking);
    let copies = std::thread::spawn({
        let hooks = hooks.clone();
        move || {
            std::thread::sleep(Duration::from_millis(2_500));
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime");
            let [a, b] = hooks;
            let (a, b) = runtime.block_on(async { tokio::join!(two.deliver(a), two.deliver(b)) });
            [a.status(), b.status()]
        }
    });
    let copies = copies.join().expect("the copies' thread");
    let firsts: Vec<u16> = futures_util::future::join_all(running)
        .await
        .into_iter()
        .map(|d| d.unwrap().status())
        .collect();
    for (channel, (first, copy)) in ["a", "b"].iter().zip(firsts.iter().zip(copies)) {
        let (calls, most) = blocking.of(channel);
        // The first instance's begin may itself be starved by the blocked workers (503, no
        // handler run): then the copy runs the body. Never both, never at once.
        assert_eq!(
            calls, 1,
            "{channel}: ran once in all (first {first}, copy {copy})"
        );
        assert_eq!(most, 1, "{channel}: never twice at once");
        if *first == 200 {
            assert_eq!(
                copy, 500,
                "{channel}: the copy found it still being delivered"
            );
        }
    }
}

#[tokio::test]
async fn bodies_refused_during_a_stall_are_handled_at_once_after_it() {
    let Some((_server, url)) = OwnServer::ready().await else {
        return;
    };
    let handler = Watched::new("app::h", Duration::ZERO, Duration::ZERO);
    let one = harness(
        log_on(&url, &fresh_prefix()),
        &handler,
        Some(Duration::from_secs(3)),
    );
    let hooks: Vec<TestWebhook> = (0..5)
        .map(|n| {
            TestWebhook::new()
                .time_ms(TEST_TIME_MS + n)
                .channel_occupied("news")
        })
        .collect();
    let stalled = OwnServer::stall(&url, 2.0).await;
    for hook in &hooks {
        let sent = Instant::now();
        let refused = one.deliver(hook.clone()).await;
        assert_eq!(refused.status(), 503, "{:?}", refused.response());
        assert!(
            sent.elapsed() < Duration::from_secs(1),
            "{:?}",
            sent.elapsed()
        );
    }
    stalled.await.unwrap();
    for hook in &hooks {
        let sent = Instant::now();
        let handled = one.deliver(hook.clone()).await;
        assert_eq!(handled.status(), 200, "{:?}", handled.response());
        assert!(handled.ran("app::h"));
        assert!(
            sent.elapsed() < Duration::from_secs(1),
            "answered after {:?}: a lease taken by a late request?",
            sent.elapsed()
        );
    }
    assert_eq!(handler.calls(), 5, "each body handled once");
}

#[tokio::test]
async fn successes_recorded_while_the_store_is_unreachable_are_kept() {
    let url = require_redis!();
    let prefix = fresh_prefix();
    let mut proxy = Proxy::start(&url).await;
    let handler = Watched::new("app::h", Duration::from_millis(400), Duration::ZERO);
    let deadline = Some(Duration::from_secs(3));
    let cut_off = harness(log_on(&proxy.url(), &prefix), &handler, deadline);
    let direct = harness(log_on(&url, &prefix), &handler, deadline);
    let hook = TestWebhook::new().member_added("presence-a", "1");
    let first = tokio::spawn({
        let (cut_off, hook) = (Arc::clone(&cut_off), hook.clone());
        async move { cut_off.deliver(hook).await }
    });
    // The handler runs; the instance loses Redis before it finishes.
    tokio::time::sleep(Duration::from_millis(200)).await;
    proxy.cut().await;
    let first = first.await.unwrap();
    first.assert_ok();
    // Back a little later: the record made in the background lands.
    tokio::time::sleep(Duration::from_millis(300)).await;
    proxy.listen().await;
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    let sent = Instant::now();
    let copy = direct.deliver(hook).await;
    copy.assert_ok();
    assert!(
        copy.response().outcome().unwrap().is_replay(),
        "the success was recorded: {:?}",
        copy.runs()
    );
    assert!(
        sent.elapsed() < Duration::from_secs(1),
        "{:?}",
        sent.elapsed()
    );
    assert_eq!(handler.calls(), 1);
}

#[tokio::test]
async fn the_answer_leaves_within_the_deadline_whatever_the_store_does_at_the_end() {
    let Some((_server, url)) = OwnServer::ready().await else {
        return;
    };
    let deadline = Duration::from_secs(1);
    let handler = Watched::new("app::h", Duration::from_millis(900), Duration::ZERO);
    let one = harness(log_on(&url, &fresh_prefix()), &handler, Some(deadline));
    let hook = TestWebhook::new().channel_vacated("news");
    let arrived = Instant::now();
    let delivery = tokio::spawn({
        let (one, hook) = (Arc::clone(&one), hook.clone());
        async move { one.deliver(hook).await }
    });
    // The store stalls just before the handler ends, and past the deadline.
    tokio::time::sleep(Duration::from_millis(800)).await;
    let stalled = OwnServer::stall(&url, 1.5).await;
    let delivery = delivery.await.unwrap();
    let took = arrived.elapsed();
    delivery.assert_ok();
    assert!(
        took <= deadline + Duration::from_millis(100),
        "answered {took:?} after arrival, deadline {deadline:?}"
    );
    stalled.await.unwrap();
    wait_until_awake(&url).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let replay = one.deliver(hook).await;
    replay.assert_ok();
    assert!(replay.response().outcome().unwrap().is_replay());
    assert_eq!(handler.calls(), 1);
}

#[tokio::test]
async fn a_body_signed_by_two_tokens_of_one_app_is_one_delivery_on_redis() {
    let url = require_redis!();
    let handler = Watched::new("app::h", Duration::ZERO, Duration::ZERO);
    let (old, new) = (
        Token::new("old-key", "old-secret"),
        Token::new("new-key", "new-secret"),
    );
    let dispatcher = Dispatcher::builder(KeyRing::new([old.clone(), new.clone()]))
        .registered_handlers(false)
        .handler(handler.clone())
        .delivery_log(fresh_log(&url))
        .clock(FixedClock::new(TEST_TIME_MS + 1_000))
        .build();
    let hook = TestWebhook::new().channel_occupied("rotated");
    for token in [&old, &new] {
        let request = hook.signed_by(token);
        let response = dispatcher
            .handle("POST", &request.headers, &request.body)
            .await;
        assert_eq!(response.status(), 200, "{response:?}");
    }
    assert_eq!(handler.calls(), 1);
}

/// A catch-all handler that fails the first time it sees one event in twenty.
#[derive(Clone)]
struct FailsOnce {
    name: &'static str,
    failed: Arc<Mutex<Vec<bool>>>,
}

#[pwh_core::handler::async_trait]
impl EventHandler for FailsOnce {
    fn info(&self) -> HandlerInfo {
        HandlerInfo::new(self.name, EventRoute::Any)
    }

    async fn call(&self, cx: &EventContext<'_>) -> Result<(), HandlerError> {
        if cx.index() % 20 != 0 {
            return Ok(());
        }
        let mut failed = self.failed.lock().unwrap();
        if failed.len() <= cx.index() {
            failed.resize(cx.index() + 1, false);
        }
        if failed[cx.index()] {
            return Ok(());
        }
        failed[cx.index()] = true;
        Err(HandlerError::new("the first call fails"))
    }
}

#[tokio::test]
async fn the_retry_of_a_large_partly_failed_batch_costs_what_is_left() {
    let url = require_redis!();
    let names = ["app::a", "app::b", "app::c", "app::d", "app::e"];
    let log = RedisLog::builder(url.as_str())
        .prefix(fresh_prefix())
        .build()
        .unwrap();
    let keys_of = log.clone();
    let harness = Harness::configure(|b| {
        names
            .iter()
            .map(|name| FailsOnce {
                name,
                failed: Arc::default(),
            })
            .fold(b.registered_handlers(false), |b, h| b.handler(h))
            .delivery_log(log)
            .body_limit(4 << 20)
            .deadline(Some(Duration::from_secs(60)))
    });
    let hook = (0..20_000).fold(TestWebhook::new(), |hook, _| hook.channel_occupied("c"));
    let request = hook.signed();
    let first = harness.deliver(hook.clone()).await;
    assert_eq!(first.status(), 500);
    // What is left: the 1,000 failed events of each handler, not the 95,000 successes.
    let id = pwh_core::delivery::DeliveryId::of("", &request.body);
    let mut conn = raw(&url).await;
    let left: usize = redis::cmd("SCARD")
        .arg(&keys_of.keys(&id).left)
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(left, 5_000);
    let retry = harness.deliver(hook.clone()).await;
    retry.assert_ok();
    assert_eq!(
        retry
            .runs()
            .iter()
            .filter(|r| r.result().is_success())
            .count(),
        100_000,
        "every pair done, 5,000 of them now"
    );
    let replay = harness.deliver(hook).await;
    assert!(replay.response().outcome().unwrap().is_replay());
}
