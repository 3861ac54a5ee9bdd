//! Faults of the in-process delivery: handlers that block every worker, a body signed by two
//! tokens, a cut-off handler that panics while it is dropped, a memory that fills up. The
//! faults of a shared store are `pwh-redis`'s `tests/redis/faults.rs`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use pwh_core::delivery::MemoryLog;
use pwh_core::dispatcher::FixedClock;
use pwh_core::testing::{Harness, TestWebhook, TEST_TIME_MS};
use pwh_core::{handler, on_event, Dispatcher, KeyRing, Token};

// Handlers that block both workers of the runtime past their lease: the lease is renewed
// from a thread of its own, so a copy arriving meanwhile does not run them again.

static BLOCKING_NOW: AtomicUsize = AtomicUsize::new(0);
static BLOCKING_MOST: AtomicUsize = AtomicUsize::new(0);
static BLOCKING_CALLS: AtomicUsize = AtomicUsize::new(0);

#[on_event("cache_miss")]
fn blocks_its_worker(channel: &str) {
    if channel != "watched" {
        std::thread::sleep(Duration::from_secs(3));
        return;
    }
    let running = BLOCKING_NOW.fetch_add(1, Ordering::SeqCst) + 1;
    BLOCKING_MOST.fetch_max(running, Ordering::SeqCst);
    BLOCKING_CALLS.fetch_add(1, Ordering::SeqCst);
    std::thread::sleep(Duration::from_secs(3));
    BLOCKING_NOW.fetch_sub(1, Ordering::SeqCst);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handlers_blocking_every_worker_keep_their_lease() {
    // Deadline 500 ms: the lease (deadline + 1 s) would run out at 1.5 s, while the handlers
    // block both workers for 3 s.
    let harness = Arc::new(Harness::configure(|b| {
        b.registered_handlers(false)
            .handler(handler!(blocks_its_worker))
            .deadline(Some(Duration::from_millis(500)))
    }));
    let watched = TestWebhook::new().cache_miss("watched");
    let other = TestWebhook::new()
        .time_ms(TEST_TIME_MS + 1)
        .cache_miss("other");
    let first = tokio::spawn({
        let (harness, hook) = (Arc::clone(&harness), watched.clone());
        async move { harness.deliver(hook).await }
    });
    let second = tokio::spawn({
        let harness = Arc::clone(&harness);
        async move { harness.deliver(other).await }
    });
    // The copy comes from a thread and a runtime of its own, at 2 s: past the lease's first
    // term, while both workers are still blocked.
    let copy = std::thread::spawn({
        let (harness, hook) = (Arc::clone(&harness), watched.clone());
        move || {
            std::thread::sleep(Duration::from_secs(2));
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime")
                .block_on(harness.deliver(hook))
        }
    });
    let copy = copy.join().expect("the copy's thread");
    assert_eq!(
        copy.status(),
        500,
        "the copy found the body still being delivered: {:?}",
        copy.response()
    );
    assert!(copy.response().outcome().unwrap().is_busy());
    assert_eq!(first.await.unwrap().status(), 200);
    assert_eq!(second.await.unwrap().status(), 200);
    assert_eq!(BLOCKING_CALLS.load(Ordering::SeqCst), 1, "ran once in all");
    assert_eq!(
        BLOCKING_MOST.load(Ordering::SeqCst),
        1,
        "never twice at once"
    );
}

// One body signed by two tokens of one app (key rotation) is one delivery; tokens of two apps
// keep identical bodies apart.

static ROTATED_CALLS: AtomicUsize = AtomicUsize::new(0);

#[on_event("channel_occupied")]
fn counts_rotated(channel: &str) {
    if channel == "rotated" {
        ROTATED_CALLS.fetch_add(1, Ordering::SeqCst);
    }
}

fn dispatcher_with(tokens: [Token; 2]) -> Dispatcher {
    Dispatcher::builder(KeyRing::new(tokens))
        .registered_handlers(false)
        .handler(handler!(counts_rotated))
        .clock(FixedClock::new(TEST_TIME_MS + 1_000))
        .build()
}

#[tokio::test]
async fn a_body_signed_by_two_tokens_of_one_app_is_handled_once() {
    let (old, new) = (
        Token::new("old-key", "old-secret"),
        Token::new("new-key", "new-secret"),
    );
    let dispatcher = dispatcher_with([old.clone(), new.clone()]);
    let hook = TestWebhook::new().channel_occupied("rotated");
    for token in [&old, &new] {
        let request = hook.signed_by(token);
        let response = dispatcher
            .handle("POST", &request.headers, &request.body)
            .await;
        assert_eq!(response.status(), 200, "{response:?}");
    }
    assert_eq!(
        ROTATED_CALLS.load(Ordering::SeqCst),
        1,
        "one body, one delivery"
    );

    // Two apps: the same bytes from each are two deliveries.
    let (a, b) = (
        Token::new("a-key", "a-secret").in_app("a"),
        Token::new("b-key", "b-secret").in_app("b"),
    );
    let dispatcher = dispatcher_with([a.clone(), b.clone()]);
    for token in [&a, &b, &a] {
        let request = hook.signed_by(token);
        let response = dispatcher
            .handle("POST", &request.headers, &request.body)
            .await;
        assert_eq!(response.status(), 200, "{response:?}");
    }
    assert_eq!(
        ROTATED_CALLS.load(Ordering::SeqCst),
        3,
        "once per app, and a's copy is a replay"
    );
}

// A handler cut off at the deadline whose future panics while it is dropped: logged, and the
// answer is 500, never a panic out of `Dispatcher::handle`.

/// Panics when dropped.
struct Bomb;

impl Drop for Bomb {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            panic!("a guard that panics when dropped");
        }
    }
}

static BOMB_CALLS: AtomicUsize = AtomicUsize::new(0);

#[on_event("member_removed")]
async fn hangs_holding_a_bomb(_user_id: &str) {
    BOMB_CALLS.fetch_add(1, Ordering::SeqCst);
    let _bomb = Bomb;
    std::future::pending::<()>().await;
}

#[tokio::test]
async fn a_cut_off_handler_that_panics_when_dropped_does_not_escape_handle() {
    let harness = Harness::configure(|b| {
        b.registered_handlers(false)
            .handler(handler!(hangs_holding_a_bomb))
            .deadline(Some(Duration::from_millis(100)))
    });
    let delivery = harness
        .deliver(TestWebhook::new().member_removed("presence-a", "1"))
        .await;
    assert_eq!(delivery.status(), 500);
    assert_eq!(
        delivery.failure("hangs_holding_a_bomb").as_deref(),
        Some("timed out")
    );
    assert_eq!(BOMB_CALLS.load(Ordering::SeqCst), 1);
}

// A full memory forgets complete bodies, never one partly done: its retry still runs only
// what failed.

static STEADY_CALLS: AtomicUsize = AtomicUsize::new(0);
static FAILS_ONCE_CALLS: AtomicUsize = AtomicUsize::new(0);

#[on_event("member_added")]
fn steady_member(user_id: &str) {
    if user_id == "partly" {
        STEADY_CALLS.fetch_add(1, Ordering::SeqCst);
    }
}

#[on_event("member_added")]
fn fails_once_on_partly(user_id: &str) -> Result<(), String> {
    if user_id == "partly" && FAILS_ONCE_CALLS.fetch_add(1, Ordering::SeqCst) == 0 {
        return Err("the first call fails".into());
    }
    Ok(())
}

#[tokio::test]
async fn a_full_memory_forgets_complete_bodies_but_never_a_partly_done_one() {
    let log = Arc::new(MemoryLog::with_room_for(50));
    let harness = Harness::configure(|b| {
        b.registered_handlers(false)
            .handler(handler!(steady_member))
            .handler(handler!(fails_once_on_partly))
            .delivery_log(Arc::clone(&log))
    });
    let partly = TestWebhook::new().member_added("presence-a", "partly");
    assert_eq!(harness.deliver(partly.clone()).await.status(), 500);
    for n in 1..=1_000u64 {
        let other = TestWebhook::new()
            .time_ms(TEST_TIME_MS + n)
            .member_added("presence-a", "other");
        harness.deliver(other).await.assert_ok();
    }
    assert!(log.len() <= 50, "{} bodies remembered", log.len());
    let retry = harness.deliver(partly).await;
    retry.assert_ok();
    assert!(
        retry.events_of("steady_member").is_empty(),
        "what succeeded is not run again: {:?}",
        retry.runs()
    );
    assert_eq!(retry.events_of("fails_once_on_partly"), [0]);
    assert_eq!(STEADY_CALLS.load(Ordering::SeqCst), 1);
    assert_eq!(FAILS_ONCE_CALLS.load(Ordering::SeqCst), 2);
}
