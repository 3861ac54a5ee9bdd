//! `MemoryLog`'s own tests (its promises as a `DeliveryLog` are the shared suite's).

use futures_util::FutureExt;

use super::*;

fn id(n: u32) -> DeliveryId {
    let mut bytes = [0; 16];
    bytes[..4].copy_from_slice(&n.to_le_bytes());
    DeliveryId(bytes)
}

const LEASE: Duration = Duration::from_secs(5);
const KEEP: Duration = Duration::from_secs(600);

fn terms() -> LeaseTerms {
    LeaseTerms::new(LEASE, KEEP, Duration::from_secs(1))
}

fn try_begin(log: &MemoryLog, n: u32) -> Result<Begin, StoreError> {
    log.begin(&id(n), terms()).now_or_never().unwrap()
}

fn begin(log: &MemoryLog, n: u32) -> Begin {
    try_begin(log, n).unwrap()
}

fn lease(begin: Begin) -> LeaseToken {
    match begin {
        Begin::Run { lease, .. } => lease,
        other => panic!("expected a lease, got {other:?}"),
    }
}

fn finish(log: &MemoryLog, n: u32, lease: LeaseToken, done: Done<'_>) {
    log.finish(&id(n), lease, done)
        .now_or_never()
        .unwrap()
        .unwrap();
}

#[cfg(feature = "testing")]
#[tokio::test]
async fn keeps_every_promise_of_a_delivery_log() {
    crate::testing::check_delivery_log(&MemoryLog::with_room_for(100)).await;
}

#[test]
fn stays_within_its_bytes_forgetting_the_oldest_complete_bodies() {
    let log = MemoryLog::with_room_for(1_000);
    for n in 0..50_000 {
        let lease = lease(begin(&log, n));
        finish(&log, n, lease, Done::first(&[]));
        assert!(log.len() <= 1_000);
        assert!(log.bytes() <= 1_000 * MemoryLog::BYTES_PER_BODY);
    }
    assert_eq!(log.len(), 1_000);
    assert!(log.lock().index.len() <= 1_000);
    assert_eq!(begin(&log, 49_999), Begin::Complete);
    assert!(matches!(begin(&log, 0), Begin::Run { .. }));
}

#[test]
fn a_body_being_delivered_is_never_evicted() {
    let log = MemoryLog::with_room_for(1);
    let first = lease(begin(&log, 1));
    let full = try_begin(&log, 2);
    assert_eq!(
        full.map_err(|e| e.kind()),
        Err(StoreErrorKind::Full),
        "no room: refused, not evicting the delivery in progress"
    );
    assert_eq!(begin(&log, 1), Begin::Busy, "still leased");
    finish(&log, 1, first, Done::first(&[]));
    let second = lease(begin(&log, 2));
    finish(&log, 2, second, Done::first(&[]));
    assert!(matches!(begin(&log, 1), Begin::Run { .. }), "forgotten now");
}

#[test]
fn a_partly_done_body_is_never_evicted_before_its_time() {
    // Room for three bodies with nothing left, and some for what one leaves to do.
    let log = MemoryLog::with_bytes(3 * MemoryLog::BYTES_PER_BODY + 1_000);
    let partial = lease(begin(&log, 1));
    finish(&log, 1, partial, Done::first(&[(0, "app::notify")]));
    for n in 2..200 {
        match try_begin(&log, n) {
            Ok(begun) => finish(&log, n, lease(begun), Done::first(&[])),
            Err(e) => panic!("body {n}: {e}"),
        }
    }
    // Complete bodies came and went; the partly done one is still remembered.
    match begin(&log, 1) {
        Begin::Run { lease, progress } => {
            assert!(!progress.is_done(0, "app::notify"));
            assert!(progress.is_done(1, "app::notify"));
            finish(&log, 1, lease, Done::retry(&[(0, "app::notify")]));
        }
        other => panic!("forgot a partly done body: {other:?}"),
    }
    assert_eq!(begin(&log, 1), Begin::Complete);
}

#[test]
fn when_only_leased_or_partly_done_bodies_are_left_a_new_one_is_refused() {
    let partly_done = |log: &MemoryLog| {
        let a = lease(begin(log, 1));
        finish(log, 1, a, Done::first(&[(0, "h")]));
    };
    let probe = MemoryLog::default();
    partly_done(&probe);
    // Room for the partly done body, one more, and not quite a third.
    let log = MemoryLog::with_bytes(probe.bytes() + 2 * MemoryLog::BYTES_PER_BODY - 1);
    partly_done(&log);
    let _b = lease(begin(&log, 2));
    assert_eq!(
        try_begin(&log, 3).map_err(|e| e.kind()),
        Err(StoreErrorKind::Full)
    );
    assert_eq!(log.len(), 2);
}

#[test]
fn leased_entries_are_passed_over_not_evicted() {
    let log = MemoryLog::with_room_for(3);
    let a = lease(begin(&log, 1));
    let b = lease(begin(&log, 2));
    finish(&log, 2, b, Done::first(&[]));
    let _c = lease(begin(&log, 3));
    let _d = lease(begin(&log, 4)); // evicts 2, the oldest complete one
    assert_eq!(begin(&log, 1), Begin::Busy);
    assert_eq!(begin(&log, 3), Begin::Busy);
    finish(&log, 1, a, Done::first(&[]));
    assert_eq!(begin(&log, 1), Begin::Complete);
    assert_eq!(log.len(), 3);
}

#[test]
fn an_id_sharing_the_first_8_bytes_of_a_remembered_one_runs_unremembered() {
    let log = MemoryLog::with_room_for(10);
    let first = id(7);
    let mut twin = first;
    twin.0[15] ^= 1;
    let lease_first = lease(begin(&log, 7));
    finish(&log, 7, lease_first, Done::first(&[]));
    for _ in 0..2 {
        let got = log.begin(&twin, terms()).now_or_never().unwrap();
        assert!(matches!(got, Ok(Begin::Run { .. })));
    }
    assert_eq!(begin(&log, 7), Begin::Complete);
    assert_eq!(log.len(), 1);
}
