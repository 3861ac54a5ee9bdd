//! The promises of a [`DeliveryLog`], as one suite that every store runs.

use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::delivery::{Begin, DeliveryId, DeliveryLog, Done, End, LeaseToken, Progress};

/// A lease long enough not to run out during a step of the suite.
const LONG: Duration = Duration::from_secs(30);
/// A lease or retention short enough to run out while the suite sleeps [`PAST_SHORT`].
const SHORT: Duration = Duration::from_millis(150);
const PAST_SHORT: Duration = Duration::from_millis(400);

/// Checks that `log` keeps every promise of [`DeliveryLog`], panicking with the broken one:
/// atomic begin with a lease, leases that expire by the store's clock and that only their
/// holder renews or ends, progress that only grows (a stale delivery adds successes but
/// neither ends another's lease nor marks the body complete), expiry after `keep_for`, the
/// lease checked before expiry, and large sets of done pairs.
///
/// Each run uses fresh random ids, so several runs can share one store. It sleeps about two
/// seconds in all (leases must really run out), so it needs a Tokio runtime with time.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// pwh_core::testing::check_delivery_log(&pwh_core::MemoryLog::new(1_000)).await;
/// # }
/// ```
pub async fn check_delivery_log<L: DeliveryLog + ?Sized>(log: &L) {
    a_copy_is_busy_until_the_holder_ends(log).await;
    progress_only_grows_and_complete_is_final(log).await;
    a_stale_delivery_adds_successes_but_ends_nothing(log).await;
    only_the_holder_renews(log).await;
    an_expired_lease_is_held_by_nobody(log).await;
    bodies_are_forgotten_after_keep_for(log).await;
    a_lease_is_checked_before_expiry(log).await;
    large_progress_round_trips(log).await;
}

/// A fresh id: random per process, counted within it.
pub(crate) fn fresh_id() -> DeliveryId {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut bytes = [0; 32];
    for (n, chunk) in bytes.chunks_mut(8).enumerate() {
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
        hasher.write_usize(n);
        chunk.copy_from_slice(&hasher.finish().to_le_bytes());
    }
    DeliveryId(bytes)
}

async fn begin<L: DeliveryLog + ?Sized>(
    log: &L,
    id: &DeliveryId,
    lease: Duration,
    keep: Duration,
) -> Begin {
    match log.begin(id, lease, keep).await {
        Ok(begin) => begin,
        Err(e) => panic!("begin failed: {e}"),
    }
}

fn leased(begin: Begin, step: &str) -> (LeaseToken, Progress) {
    match begin {
        Begin::Run { lease, progress } => (lease, progress),
        other => panic!("{step}: expected a lease, got {other:?}"),
    }
}

async fn finish<L: DeliveryLog + ?Sized>(
    log: &L,
    id: &DeliveryId,
    lease: LeaseToken,
    done: &[(u32, &str)],
    end: End,
) {
    if let Err(e) = log.finish(id, lease, Done::from(done), end).await {
        panic!("finish failed: {e}");
    }
}

async fn a_copy_is_busy_until_the_holder_ends<L: DeliveryLog + ?Sized>(log: &L) {
    let id = fresh_id();
    let (lease, progress) = leased(begin(log, &id, LONG, LONG).await, "a new body");
    assert!(progress.is_empty(), "a new body has no progress");
    assert_eq!(
        begin(log, &id, LONG, LONG).await,
        Begin::Busy,
        "a copy during a delivery is busy"
    );
    finish(log, &id, lease, &[], End::Release).await;
    let (again, _) = leased(begin(log, &id, LONG, LONG).await, "after a release");
    assert_ne!(again, lease, "each lease has its own token");
    finish(log, &id, again, &[], End::Release).await;
}

async fn progress_only_grows_and_complete_is_final<L: DeliveryLog + ?Sized>(log: &L) {
    let id = fresh_id();
    let (lease, _) = leased(begin(log, &id, LONG, LONG).await, "first delivery");
    finish(log, &id, lease, &[(0, "a"), (1, "b")], End::Release).await;
    let (lease, progress) = leased(begin(log, &id, LONG, LONG).await, "a retry");
    assert!(
        progress.is_done(0, "a") && progress.is_done(1, "b"),
        "the retry sees what succeeded: {progress:?}"
    );
    assert!(
        !progress.is_done(1, "a") && !progress.is_done(0, "b"),
        "and nothing else: {progress:?}"
    );
    finish(log, &id, lease, &[(1, "a")], End::Release).await;
    let (lease, progress) = leased(begin(log, &id, LONG, LONG).await, "a second retry");
    assert_eq!(progress.len(), 3, "progress adds up: {progress:?}");
    finish(log, &id, lease, &[(0, "b")], End::Complete).await;
    assert_eq!(
        begin(log, &id, LONG, LONG).await,
        Begin::Complete,
        "complete: a replay runs nothing"
    );
    assert_eq!(
        begin(log, &id, LONG, LONG).await,
        Begin::Complete,
        "and stays complete"
    );
}

async fn a_stale_delivery_adds_successes_but_ends_nothing<L: DeliveryLog + ?Sized>(log: &L) {
    let id = fresh_id();
    let (stale, _) = leased(begin(log, &id, SHORT, LONG).await, "the first delivery");
    tokio::time::sleep(PAST_SHORT).await;
    let (current, _) = leased(
        begin(log, &id, LONG, LONG).await,
        "after the first lease ran out",
    );
    finish(log, &id, stale, &[(0, "late")], End::Complete).await;
    assert_eq!(
        begin(log, &id, LONG, LONG).await,
        Begin::Busy,
        "a stale delivery cannot end the current holder's lease"
    );
    finish(log, &id, current, &[], End::Release).await;
    let (lease, progress) = leased(
        begin(log, &id, LONG, LONG).await,
        "a stale delivery cannot mark the body complete",
    );
    assert!(
        progress.is_done(0, "late"),
        "but what it achieved is kept: {progress:?}"
    );
    finish(log, &id, lease, &[], End::Release).await;
}

async fn only_the_holder_renews<L: DeliveryLog + ?Sized>(log: &L) {
    let id = fresh_id();
    let (lease, _) = leased(begin(log, &id, SHORT, LONG).await, "a short lease");
    assert!(
        renew(log, &id, lease, LONG).await,
        "the holder renews its lease"
    );
    tokio::time::sleep(PAST_SHORT).await;
    assert_eq!(
        begin(log, &id, LONG, LONG).await,
        Begin::Busy,
        "a renewed lease outlives its first term"
    );
    assert!(
        !renew(log, &id, LeaseToken(lease.0 ^ 0x5555), LONG).await,
        "another token renews nothing"
    );
    assert!(
        !renew(log, &fresh_id(), lease, LONG).await,
        "nor does an unknown body"
    );
    finish(log, &id, lease, &[], End::Release).await;
    assert!(
        !renew(log, &id, lease, LONG).await,
        "an ended lease cannot be renewed"
    );
}

async fn renew<L: DeliveryLog + ?Sized>(
    log: &L,
    id: &DeliveryId,
    lease: LeaseToken,
    lease_for: Duration,
) -> bool {
    match log.renew(id, lease, lease_for).await {
        Ok(held) => held,
        Err(e) => panic!("renew failed: {e}"),
    }
}

async fn an_expired_lease_is_held_by_nobody<L: DeliveryLog + ?Sized>(log: &L) {
    let id = fresh_id();
    let (lease, _) = leased(begin(log, &id, SHORT, LONG).await, "a short lease");
    tokio::time::sleep(PAST_SHORT).await;
    assert!(
        !renew(log, &id, lease, LONG).await,
        "a lease that ran out cannot be renewed, even if nobody took it since"
    );
    finish(log, &id, lease, &[(0, "a")], End::Complete).await;
    let (lease, progress) = leased(
        begin(log, &id, LONG, LONG).await,
        "a holder whose lease ran out cannot mark the body complete",
    );
    assert!(
        progress.is_done(0, "a"),
        "but its successes count: {progress:?}"
    );
    finish(log, &id, lease, &[], End::Release).await;
}

async fn bodies_are_forgotten_after_keep_for<L: DeliveryLog + ?Sized>(log: &L) {
    let id = fresh_id();
    let (lease, _) = leased(begin(log, &id, LONG, SHORT).await, "a short-lived body");
    finish(log, &id, lease, &[(0, "a")], End::Complete).await;
    assert_eq!(
        begin(log, &id, LONG, SHORT).await,
        Begin::Complete,
        "remembered while kept"
    );
    tokio::time::sleep(PAST_SHORT).await;
    let (lease, progress) = leased(
        begin(log, &id, LONG, LONG).await,
        "past keep_for: forgotten",
    );
    assert!(
        progress.is_empty(),
        "a forgotten body starts over: {progress:?}"
    );
    finish(log, &id, lease, &[], End::Release).await;
}

async fn a_lease_is_checked_before_expiry<L: DeliveryLog + ?Sized>(log: &L) {
    let id = fresh_id();
    let (lease, _) = leased(begin(log, &id, LONG, SHORT).await, "a body kept briefly");
    tokio::time::sleep(PAST_SHORT).await;
    assert_eq!(
        begin(log, &id, LONG, LONG).await,
        Begin::Busy,
        "a body past keep_for whose delivery still holds the lease is still busy"
    );
    finish(log, &id, lease, &[(0, "a")], End::Release).await;
    let (lease, _) = leased(
        begin(log, &id, LONG, LONG).await,
        "once its holder ends the lease, the expired body can be delivered again",
    );
    finish(log, &id, lease, &[], End::Release).await;
}

async fn large_progress_round_trips<L: DeliveryLog + ?Sized>(log: &L) {
    let id = fresh_id();
    let (lease, _) = leased(begin(log, &id, LONG, LONG).await, "a large batch");
    let names: Vec<String> = (0..4).map(|h| format!("app::handler_{h}")).collect();
    let done: Vec<(u32, &str)> = (0..2_000u32)
        .flat_map(|event| {
            names
                .iter()
                .step_by(2)
                .map(move |name| (event, name.as_str()))
        })
        .collect();
    finish(log, &id, lease, &done, End::Release).await;
    let (lease, progress) = leased(begin(log, &id, LONG, LONG).await, "its retry");
    assert_eq!(progress.len(), done.len());
    assert!(done
        .iter()
        .all(|&(event, name)| progress.is_done(event as usize, name)));
    assert!(!progress.is_done(7, "app::handler_1"));
    finish(log, &id, lease, &[], End::Release).await;
}
