//! The promises of a [`DeliveryLog`], as one suite that every store runs.

use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::delivery::{Begin, DeliveryId, DeliveryLog, Done, LeaseTerms, LeaseToken, Progress};

/// A lease long enough not to run out during a step of the suite.
const LONG: Duration = Duration::from_secs(30);
/// A lease or retention short enough to run out while the suite sleeps [`PAST_SHORT`].
const SHORT: Duration = Duration::from_millis(150);
const PAST_SHORT: Duration = Duration::from_millis(400);

/// Checks that `log` keeps every promise of [`DeliveryLog`], panicking with the broken one:
/// atomic begin with a lease whose token grows, leases that expire by the store's clock and
/// that only their current token renews or releases (fencing), requests that arrive after
/// their caller gave up take nothing, progress kept as what is left to do that only shrinks
/// (a stale delivery's successes count, but it ends no other's lease), idempotent records,
/// expiry after `keep_for`, the lease checked before expiry, and large batches.
///
/// Each run uses fresh random ids, so several runs can share one store. It sleeps about two
/// seconds in all (leases must really run out), so it needs a Tokio runtime with time.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// pwh_core::testing::check_delivery_log(&pwh_core::delivery::MemoryLog::with_room_for(1_000)).await;
/// # }
/// ```
pub async fn check_delivery_log<L: DeliveryLog + ?Sized>(log: &L) {
    a_copy_is_busy_until_the_holder_ends(log).await;
    what_is_left_only_shrinks_and_complete_is_final(log).await;
    a_stale_delivery_adds_successes_but_ends_nothing(log).await;
    only_the_current_token_renews(log).await;
    requests_that_arrive_after_their_caller_gave_up_take_nothing(log).await;
    an_expired_lease_is_held_by_nobody(log).await;
    records_are_idempotent(log).await;
    bodies_are_forgotten_after_keep_for(log).await;
    a_lease_is_checked_before_expiry(log).await;
    a_large_batch_costs_what_is_left(log).await;
}

/// A fresh id: random per process, counted within it.
pub(crate) fn fresh_id() -> DeliveryId {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut bytes = [0; 16];
    for (n, chunk) in bytes.chunks_mut(8).enumerate() {
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
        hasher.write_usize(n);
        chunk.copy_from_slice(&hasher.finish().to_le_bytes());
    }
    DeliveryId(bytes)
}

fn terms(lease: Duration, keep: Duration) -> LeaseTerms {
    LeaseTerms::new(lease, keep, Duration::from_secs(5))
}

async fn begin<L: DeliveryLog + ?Sized>(
    log: &L,
    id: &DeliveryId,
    lease: Duration,
    keep: Duration,
) -> Begin {
    match log.begin(id, terms(lease, keep)).await {
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
    done: Done<'_>,
) {
    if let Err(e) = log.finish(id, lease, done).await {
        panic!("finish failed: {e}");
    }
}

async fn a_copy_is_busy_until_the_holder_ends<L: DeliveryLog + ?Sized>(log: &L) {
    let id = fresh_id();
    let (lease, progress) = leased(begin(log, &id, LONG, LONG).await, "a new body");
    assert!(
        progress.is_first(),
        "a new body has nothing done: {progress:?}"
    );
    assert_eq!(
        begin(log, &id, LONG, LONG).await,
        Begin::Busy,
        "a copy during a delivery is busy"
    );
    finish(log, &id, lease, Done::first(&[(0, "a")])).await;
    let (again, _) = leased(begin(log, &id, LONG, LONG).await, "after a release");
    assert!(
        again > lease,
        "each lease of a body has a greater token: {again:?} after {lease:?}"
    );
    finish(log, &id, again, Done::retry(&[])).await;
}

async fn what_is_left_only_shrinks_and_complete_is_final<L: DeliveryLog + ?Sized>(log: &L) {
    let id = fresh_id();
    let (lease, _) = leased(begin(log, &id, LONG, LONG).await, "first delivery");
    finish(
        log,
        &id,
        lease,
        Done::first(&[(0, "b"), (1, "a"), (2, "c")]),
    )
    .await;
    let (lease, progress) = leased(begin(log, &id, LONG, LONG).await, "a retry");
    assert!(
        !progress.is_done(0, "b") && !progress.is_done(1, "a") && !progress.is_done(2, "c"),
        "the retry sees what is left: {progress:?}"
    );
    assert!(
        progress.is_done(0, "a") && progress.is_done(1, "b"),
        "and everything else as done: {progress:?}"
    );
    finish(log, &id, lease, Done::retry(&[(1, "a")])).await;
    let (lease, progress) = leased(begin(log, &id, LONG, LONG).await, "a second retry");
    assert_eq!(progress.len(), 2, "what is left shrinks: {progress:?}");
    finish(log, &id, lease, Done::retry(&[(0, "b"), (2, "c")])).await;
    assert_eq!(
        begin(log, &id, LONG, LONG).await,
        Begin::Complete,
        "nothing left: complete, a replay runs nothing"
    );
    assert_eq!(
        begin(log, &id, LONG, LONG).await,
        Begin::Complete,
        "and stays complete"
    );
    let id = fresh_id();
    let (lease, _) = leased(begin(log, &id, LONG, LONG).await, "a delivery that did all");
    finish(log, &id, lease, Done::first(&[])).await;
    assert_eq!(
        begin(log, &id, LONG, LONG).await,
        Begin::Complete,
        "complete at once"
    );
}

async fn a_stale_delivery_adds_successes_but_ends_nothing<L: DeliveryLog + ?Sized>(log: &L) {
    let id = fresh_id();
    let (stale, _) = leased(begin(log, &id, SHORT, LONG).await, "the first delivery");
    tokio::time::sleep(PAST_SHORT).await;
    let (current, progress) = leased(
        begin(log, &id, LONG, LONG).await,
        "after the first lease ran out",
    );
    assert!(progress.is_first());
    // The stale delivery finished (0, a) and left (0, b) and (1, a).
    finish(log, &id, stale, Done::first(&[(0, "b"), (1, "a")])).await;
    assert_eq!(
        begin(log, &id, LONG, LONG).await,
        Begin::Busy,
        "a stale delivery cannot end the current holder's lease"
    );
    // The current one finished (0, b) and left (1, a) and (2, a).
    finish(log, &id, current, Done::first(&[(1, "a"), (2, "a")])).await;
    let (lease, progress) = leased(
        begin(log, &id, LONG, LONG).await,
        "what both left is still to do",
    );
    assert_eq!(
        progress.iter().collect::<Vec<_>>(),
        [(1, "a")],
        "what either achieved is kept: {progress:?}"
    );
    finish(log, &id, lease, Done::retry(&[(1, "a")])).await;
    assert_eq!(begin(log, &id, LONG, LONG).await, Begin::Complete);
}

async fn only_the_current_token_renews<L: DeliveryLog + ?Sized>(log: &L) {
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
    finish(log, &id, lease, Done::first(&[(0, "a")])).await;
    assert!(
        !renew(log, &id, lease, LONG).await,
        "an ended lease cannot be renewed"
    );
    let (next, _) = leased(begin(log, &id, LONG, LONG).await, "the next lease");
    assert!(
        !renew(log, &id, lease, LONG).await,
        "an earlier token cannot renew the next lease"
    );
    finish(log, &id, lease, Done::retry(&[])).await;
    assert_eq!(
        begin(log, &id, LONG, LONG).await,
        Begin::Busy,
        "nor release it"
    );
    finish(log, &id, next, Done::retry(&[])).await;
}

async fn renew<L: DeliveryLog + ?Sized>(
    log: &L,
    id: &DeliveryId,
    lease: LeaseToken,
    lease_for: Duration,
) -> bool {
    match log.renew(id, lease, terms(lease_for, LONG)).await {
        Ok(held) => held,
        Err(e) => panic!("renew failed: {e}"),
    }
}

async fn requests_that_arrive_after_their_caller_gave_up_take_nothing<L: DeliveryLog + ?Sized>(
    log: &L,
) {
    let id = fresh_id();
    let mut late = terms(LONG, LONG);
    late.not_after_ms = late.not_after_ms.saturating_sub(60_000);
    let begun = log.begin(&id, late).await;
    assert!(
        !matches!(begun, Ok(Begin::Run { .. })),
        "a begin that arrives after its caller gave up takes no lease: {begun:?}"
    );
    let (lease, _) = leased(
        begin(log, &id, SHORT, LONG).await,
        "the body is free for the next copy",
    );
    let renewed = log.renew(&id, lease, late).await;
    assert!(
        !matches!(renewed, Ok(true)),
        "a renewal that arrives after its caller gave up extends nothing: {renewed:?}"
    );
    tokio::time::sleep(PAST_SHORT).await;
    let (next, _) = leased(
        begin(log, &id, LONG, LONG).await,
        "the lease ran out at its first term",
    );
    finish(log, &id, next, Done::first(&[])).await;
}

async fn an_expired_lease_is_held_by_nobody<L: DeliveryLog + ?Sized>(log: &L) {
    let id = fresh_id();
    let (lease, _) = leased(begin(log, &id, SHORT, LONG).await, "a short lease");
    tokio::time::sleep(PAST_SHORT).await;
    assert!(
        !renew(log, &id, lease, LONG).await,
        "a lease that ran out cannot be renewed, even if nobody took it since"
    );
    finish(log, &id, lease, Done::first(&[(1, "a")])).await;
    let (lease, progress) = leased(
        begin(log, &id, LONG, LONG).await,
        "a holder whose lease ran out still records what it did",
    );
    assert!(
        progress.is_done(0, "a") && !progress.is_done(1, "a"),
        "its successes count: {progress:?}"
    );
    finish(log, &id, lease, Done::retry(&[])).await;
}

async fn records_are_idempotent<L: DeliveryLog + ?Sized>(log: &L) {
    let id = fresh_id();
    let (lease, _) = leased(begin(log, &id, LONG, LONG).await, "first delivery");
    let left = [(0, "a"), (1, "a")];
    finish(log, &id, lease, Done::first(&left)).await;
    finish(log, &id, lease, Done::first(&left)).await;
    let (lease, progress) = leased(begin(log, &id, LONG, LONG).await, "a retry");
    assert_eq!(
        progress.len(),
        2,
        "a record made twice counts once: {progress:?}"
    );
    finish(log, &id, lease, Done::retry(&[(0, "a")])).await;
    finish(log, &id, lease, Done::retry(&[(0, "a")])).await;
    let (lease, progress) = leased(begin(log, &id, LONG, LONG).await, "a second retry");
    assert_eq!(progress.iter().collect::<Vec<_>>(), [(1, "a")]);
    finish(log, &id, lease, Done::retry(&[(1, "a")])).await;
}

async fn bodies_are_forgotten_after_keep_for<L: DeliveryLog + ?Sized>(log: &L) {
    let id = fresh_id();
    let (lease, _) = leased(begin(log, &id, LONG, SHORT).await, "a short-lived body");
    finish(log, &id, lease, Done::first(&[])).await;
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
        progress.is_first(),
        "a forgotten body starts over: {progress:?}"
    );
    finish(log, &id, lease, Done::first(&[])).await;
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
    finish(log, &id, lease, Done::first(&[(0, "a")])).await;
    let (lease, _) = leased(
        begin(log, &id, LONG, LONG).await,
        "once its holder ends the lease, the expired body can be delivered again",
    );
    finish(log, &id, lease, Done::first(&[])).await;
}

async fn a_large_batch_costs_what_is_left<L: DeliveryLog + ?Sized>(log: &L) {
    let id = fresh_id();
    let (lease, _) = leased(begin(log, &id, LONG, LONG).await, "a large batch");
    let names = [
        "app::handler_0",
        "app::handler_1",
        "app::handler_2",
        "app::handler_3",
    ];
    // 20,000 events, 4 handlers: one pair in 40 failed.
    let left: Vec<(u32, &str)> = (0..20_000u32)
        .step_by(10)
        .zip(names.iter().cycle())
        .map(|(event, name)| (event, *name))
        .collect();
    finish(log, &id, lease, Done::first(&left)).await;
    let (lease, progress) = leased(begin(log, &id, LONG, LONG).await, "its retry");
    assert_eq!(progress.len(), left.len(), "the retry reads what is left");
    assert!(left
        .iter()
        .all(|&(event, name)| !progress.is_done(event as usize, name)));
    assert!(progress.is_done(7, "app::handler_1"));
    let (finished, still) = left.split_at(left.len() / 2);
    finish(log, &id, lease, Done::retry(finished)).await;
    let (lease, progress) = leased(begin(log, &id, LONG, LONG).await, "a second retry");
    assert_eq!(progress.len(), still.len());
    finish(log, &id, lease, Done::retry(still)).await;
    assert_eq!(begin(log, &id, LONG, LONG).await, Begin::Complete);
}
