//! The delivery memory through the dispatcher: each body's (event, handler) pairs run once,
//! across retries, copies arriving at once, dropped requests, slow and failing stores.
//!
//! The store-level promises (leases, tokens, expiry) are `pwh_core::testing::check_delivery_log`,
//! which `MemoryLog` and `pwh-redis`'s `RedisLog` both run.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use pwh_core::adapter::RunResult;
use pwh_core::delivery::{
    Begin, DeliveryId, DeliveryLog, Done, LeaseTerms, LeaseToken, MemoryLog, StoreError,
    StoreErrorKind, StoreFuture,
};
use pwh_core::testing::{Harness, TestWebhook, TEST_TIME_MS};
use pwh_core::{handler, on_event};

// 1. A plain fn that blocks past its lease never runs twice at once.

static BLOCKING_NOW: AtomicUsize = AtomicUsize::new(0);
static BLOCKING_MOST: AtomicUsize = AtomicUsize::new(0);
static BLOCKING_CALLS: AtomicUsize = AtomicUsize::new(0);

#[on_event("cache_miss")]
fn blocks_for_three_seconds(_channel: &str) {
    let running = BLOCKING_NOW.fetch_add(1, Ordering::SeqCst) + 1;
    BLOCKING_MOST.fetch_max(running, Ordering::SeqCst);
    BLOCKING_CALLS.fetch_add(1, Ordering::SeqCst);
    std::thread::sleep(Duration::from_secs(3));
    BLOCKING_NOW.fetch_sub(1, Ordering::SeqCst);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_blocking_handler_past_its_lease_never_runs_twice_at_once() {
    // Deadline 500 ms: the lease (deadline + 1 s) would run out at 1.5 s, while the handler
    // blocks for 3 s. The dispatcher renews it while the handler still runs.
    let harness = Arc::new(Harness::configure(|b| {
        b.registered_handlers(false)
            .handler(handler!(blocks_for_three_seconds))
            .deadline(Some(Duration::from_millis(500)))
    }));
    let hook = TestWebhook::new().cache_miss("blocked");
    let first = tokio::spawn({
        let (harness, hook) = (Arc::clone(&harness), hook.clone());
        async move { harness.deliver(hook).await }
    });
    tokio::time::sleep(Duration::from_millis(1_700)).await;
    let second = harness.deliver(hook.clone()).await;
    assert_eq!(
        second.status(),
        500,
        "the copy found the body still being delivered: {:?}",
        second.response()
    );
    assert!(second.response().outcome().unwrap().is_busy());
    let first = first.await.unwrap();
    assert_eq!(first.status(), 200, "the blocking handler did succeed");
    let third = harness.deliver(hook).await;
    third.assert_ok();
    assert!(third.response().outcome().unwrap().is_replay());
    assert_eq!(BLOCKING_CALLS.load(Ordering::SeqCst), 1, "ran once in all");
    assert_eq!(
        BLOCKING_MOST.load(Ordering::SeqCst),
        1,
        "never twice at once"
    );
}

// 2. A copy that waits for a busy delivery answers within its own deadline from arrival.

static SLOW_ONCE_CALLS: AtomicUsize = AtomicUsize::new(0);

#[on_event("subscription_count")]
async fn slow_every_time(_subscription_count: u64) {
    SLOW_ONCE_CALLS.fetch_add(1, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_secs(60)).await;
}

#[tokio::test(start_paused = true)]
async fn a_waiting_copy_answers_within_the_deadline_from_its_arrival() {
    let deadline = Duration::from_secs(1);
    let harness = Arc::new(Harness::configure(|b| {
        b.registered_handlers(false)
            .handler(handler!(slow_every_time))
            .deadline(Some(deadline))
    }));
    let hook = TestWebhook::new().subscription_count("feed", 3);
    let first = tokio::spawn({
        let (harness, hook) = (Arc::clone(&harness), hook.clone());
        async move { harness.deliver(hook).await }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let arrived = tokio::time::Instant::now();
    let second = harness.deliver(hook).await;
    let took = arrived.elapsed();
    assert!(
        took <= deadline + Duration::from_millis(100),
        "the copy answered {took:?} after it arrived, past its {deadline:?} deadline"
    );
    assert_eq!(second.status(), 500);
    assert_eq!(first.await.unwrap().status(), 500);
}

// 3. A dropped delivery records what had succeeded.

static BEFORE_DROP_CALLS: AtomicUsize = AtomicUsize::new(0);
static HANGS_CALLS: AtomicUsize = AtomicUsize::new(0);

#[on_event("member_added")]
async fn succeeds_before_the_drop(_user_id: &str) {
    BEFORE_DROP_CALLS.fetch_add(1, Ordering::SeqCst);
}

#[on_event("member_removed")]
async fn hangs_the_first_time(_user_id: &str) {
    if HANGS_CALLS.fetch_add(1, Ordering::SeqCst) == 0 {
        std::future::pending::<()>().await;
    }
}

#[tokio::test]
async fn a_dropped_delivery_keeps_what_had_succeeded() {
    let harness = Harness::configure(|b| {
        b.registered_handlers(false)
            .handler(handler!(succeeds_before_the_drop))
            .handler(handler!(hangs_the_first_time))
    });
    let hook = TestWebhook::new()
        .member_added("presence-a", "1")
        .member_removed("presence-a", "1");
    let dropped =
        tokio::time::timeout(Duration::from_millis(100), harness.deliver(hook.clone())).await;
    assert!(dropped.is_err(), "the request was dropped mid-way");
    assert_eq!(BEFORE_DROP_CALLS.load(Ordering::SeqCst), 1);
    let retry = harness.deliver(hook).await;
    retry.assert_ok();
    assert!(
        retry.events_of("succeeds_before_the_drop").is_empty(),
        "what succeeded before the drop does not run again: {:?}",
        retry.runs()
    );
    assert_eq!(retry.events_of("hangs_the_first_time"), vec![1]);
    assert_eq!(BEFORE_DROP_CALLS.load(Ordering::SeqCst), 1);
}

// 4. Without a max age, a body is remembered for the retention, however old its time_ms.

static OLD_BODY_CALLS: AtomicUsize = AtomicUsize::new(0);

#[on_event("channel_occupied")]
async fn counts_old_bodies(_channel: &str) {
    OLD_BODY_CALLS.fetch_add(1, Ordering::SeqCst);
}

#[tokio::test(start_paused = true)]
async fn without_a_max_age_an_old_body_is_remembered_for_the_retention() {
    let harness = Harness::configure(|b| {
        b.registered_handlers(false)
            .handler(handler!(counts_old_bodies))
            .max_age(None)
    });
    // A day old: far past the default max age, which no longer applies.
    harness.set_now_ms(TEST_TIME_MS + 86_400_000);
    let request = TestWebhook::new().channel_occupied("old").signed();
    harness.deliver_signed(&request).await.assert_ok();
    tokio::time::sleep(Duration::from_secs(5)).await;
    let replay = harness.deliver_signed(&request).await;
    replay.assert_ok();
    assert!(replay.response().outcome().unwrap().is_replay());
    assert_eq!(OLD_BODY_CALLS.load(Ordering::SeqCst), 1);
    // Past the retention (10 minutes by default) it is forgotten.
    tokio::time::sleep(Duration::from_secs(600)).await;
    harness.deliver_signed(&request).await.assert_ok();
    assert_eq!(OLD_BODY_CALLS.load(Ordering::SeqCst), 2);
}

// 5. A full memory never evicts a body being delivered: the new body gets 503.

#[derive(Clone, Default)]
struct Gate(Arc<tokio::sync::Notify>);

static GATED_CALLS: AtomicUsize = AtomicUsize::new(0);

#[on_event("channel_vacated")]
async fn waits_at_the_gate(channel: &str, pwh_core::Shared(gate): pwh_core::Shared<Gate>) {
    GATED_CALLS.fetch_add(1, Ordering::SeqCst);
    if channel == "gated" {
        gate.0.notified().await;
    }
}

#[tokio::test]
async fn a_full_memory_refuses_a_new_body_rather_than_evict_one_being_delivered() {
    let gate = Gate::default();
    let harness = Arc::new(Harness::configure(|b| {
        b.registered_handlers(false)
            .handler(handler!(waits_at_the_gate))
            .state(gate.clone())
            .delivery_log(MemoryLog::with_room_for(1))
    }));
    let gated = TestWebhook::new().channel_vacated("gated");
    let first = tokio::spawn({
        let (harness, gated) = (Arc::clone(&harness), gated.clone());
        async move { harness.deliver(gated).await }
    });
    while GATED_CALLS.load(Ordering::SeqCst) == 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let other = harness
        .deliver(TestWebhook::new().channel_vacated("other"))
        .await;
    assert_eq!(other.status(), 503);
    assert!(
        other.runs().is_empty(),
        "no handler ran: {:?}",
        other.runs()
    );
    let error = other.response().outcome().unwrap().store_error().unwrap();
    assert_eq!(error.kind(), StoreErrorKind::Full);
    gate.0.notify_one();
    first.await.unwrap().assert_ok();
    // The first body is still remembered; the other one now finds room.
    assert!(harness
        .deliver(gated)
        .await
        .response()
        .outcome()
        .unwrap()
        .is_replay());
    harness
        .deliver(TestWebhook::new().channel_vacated("other"))
        .await
        .assert_ok();
    assert_eq!(GATED_CALLS.load(Ordering::SeqCst), 2);
}

// 6. Retrying a large, partly failed batch is linear: it answers within the deadline.

static ODD_FAILS_CALLS: AtomicUsize = AtomicUsize::new(0);
static FAIL_ODD: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(true);

#[on_event("subscription_count")]
fn fails_on_odd_counts(subscription_count: u64) -> Result<(), String> {
    ODD_FAILS_CALLS.fetch_add(1, Ordering::SeqCst);
    if FAIL_ODD.load(Ordering::SeqCst) && subscription_count % 2 == 1 {
        return Err("odd".into());
    }
    Ok(())
}

#[tokio::test]
async fn a_retry_of_a_large_partly_failed_batch_answers_within_the_deadline() {
    const EVENTS: u64 = 20_000;
    let harness = Harness::configure(|b| {
        b.registered_handlers(false)
            .handler(handler!(fails_on_odd_counts))
            .body_limit(16 << 20)
    });
    let hook = (0..EVENTS).fold(TestWebhook::new(), |hook, n| {
        hook.subscription_count("c", n)
    });
    let first = harness.deliver(hook.clone()).await;
    assert_eq!(first.status(), 500);
    assert_eq!(
        first.response().outcome().unwrap().failures().count(),
        10_000
    );
    FAIL_ODD.store(false, Ordering::SeqCst);
    // With the done pairs in a list, this retry scanned 10,000 pairs for each of 20,000
    // events and ran past the 3 s deadline; in a set it is one lookup each.
    let retry = harness.deliver(hook).await;
    retry.assert_ok();
    let ran = retry.events_of("fails_on_odd_counts");
    assert_eq!(ran.len(), 10_000);
    assert!(ran.iter().all(|event| event % 2 == 1));
    assert_eq!(ODD_FAILS_CALLS.load(Ordering::SeqCst), 30_000);
}

// 7. A store that cannot answer: 503 and no handler (fail closed), or handlers without the
//    memory (fail open).

/// A store that is down.
struct Down;

fn refused<'a, T>() -> StoreFuture<'a, T> {
    StoreFuture::new(async {
        Err(StoreError::new(
            StoreErrorKind::Unreachable,
            "connection refused",
        ))
    })
}

impl DeliveryLog for Down {
    fn begin<'a>(&'a self, _: &'a DeliveryId, _: LeaseTerms) -> StoreFuture<'a, Begin> {
        refused()
    }
    fn renew<'a>(
        &'a self,
        _: &'a DeliveryId,
        _: LeaseToken,
        _: LeaseTerms,
    ) -> StoreFuture<'a, bool> {
        refused()
    }
    fn finish<'a>(&'a self, _: &'a DeliveryId, _: LeaseToken, _: Done<'a>) -> StoreFuture<'a, ()> {
        refused()
    }
}

static STORE_DOWN_CALLS: AtomicUsize = AtomicUsize::new(0);

#[on_event("member_added")]
async fn runs_only_with_a_store(_user_id: &str) {
    STORE_DOWN_CALLS.fetch_add(1, Ordering::SeqCst);
}

#[tokio::test]
async fn a_store_that_cannot_answer_fails_closed_with_503_or_open_when_told() {
    let closed = Harness::configure(|b| {
        b.registered_handlers(false)
            .handler(handler!(runs_only_with_a_store))
            .delivery_log(Down)
    });
    let hook = TestWebhook::new().member_added("presence-a", "7");
    let refused = closed.deliver(hook.clone()).await;
    assert_eq!(refused.status(), 503);
    assert_eq!(
        refused.response().body(),
        "delivery store unavailable; deliver again"
    );
    assert!(refused.runs().is_empty());
    assert_eq!(STORE_DOWN_CALLS.load(Ordering::SeqCst), 0, "no handler ran");

    let open = Harness::configure(|b| {
        b.registered_handlers(false)
            .handler(handler!(runs_only_with_a_store))
            .delivery_log(Down)
            .fail_open(true)
    });
    let ran = open.deliver(hook.clone()).await;
    ran.assert_ok();
    assert_eq!(ran.runs()[0].result(), &RunResult::Succeeded);
    open.deliver(hook).await.assert_ok();
    assert_eq!(
        STORE_DOWN_CALLS.load(Ordering::SeqCst),
        2,
        "without the memory, a replay runs the handler again"
    );
}

// 8. A copy that found the body busy, and whose next question the deadline cuts, answers
//    busy (500), not "store unavailable" (503); a store silent from the first question is
//    unavailable.

/// Answers `begin` with [`Begin::Busy`] (when `busy_first`) for 500 ms after it is made,
/// then never; each answer over the network, as a remote store's.
struct BusyThenSilent {
    busy_first: bool,
    made: std::time::Instant,
}

impl DeliveryLog for BusyThenSilent {
    fn begin<'a>(&'a self, _: &'a DeliveryId, _: LeaseTerms) -> StoreFuture<'a, Begin> {
        if self.busy_first && self.made.elapsed() < Duration::from_millis(500) {
            return StoreFuture::new(async {
                tokio::task::yield_now().await;
                Ok(Begin::Busy)
            });
        }
        StoreFuture::new(std::future::pending())
    }
    fn renew<'a>(
        &'a self,
        _: &'a DeliveryId,
        _: LeaseToken,
        _: LeaseTerms,
    ) -> StoreFuture<'a, bool> {
        refused()
    }
    fn finish<'a>(&'a self, _: &'a DeliveryId, _: LeaseToken, _: Done<'a>) -> StoreFuture<'a, ()> {
        refused()
    }
}

#[tokio::test]
async fn a_copy_whose_next_question_the_deadline_cuts_is_still_busy() {
    for (busy_first, status) in [(true, 500), (false, 503)] {
        let harness = Harness::configure(|b| {
            b.registered_handlers(false)
                .handler(handler!(runs_only_with_a_store))
                .delivery_log(BusyThenSilent {
                    busy_first,
                    made: std::time::Instant::now(),
                })
                .deadline(Some(Duration::from_secs(1)))
        });
        let answer = harness
            .deliver(TestWebhook::new().member_added("presence-b", "8"))
            .await;
        assert_eq!(answer.status(), status, "busy first: {busy_first}");
        assert!(answer.runs().is_empty());
    }
}
