//! Tests of the tracker: ordering, bounds, forgetting.

use super::*;

#[test]
fn a_late_occupied_cannot_undo_a_newer_vacated() {
    let tracker = Tracker::default();
    assert!(tracker.set_occupied("news", true, 100));
    assert!(tracker.set_occupied("news", false, 300));
    assert!(
        !tracker.set_occupied("news", true, 200),
        "older than the vacated"
    );
    assert!(!tracker.should_publish("news"));
    assert!(tracker.set_occupied("news", true, 400));
    assert!(tracker.should_publish("news"));
    let snapshot = tracker.snapshot();
    assert_eq!(snapshot.ignored_late, 1);
    assert_eq!(snapshot.handled_total, 4);
}

#[test]
fn members_join_and_leave() {
    let tracker = Tracker::default();
    tracker.set_member("presence-a", "1", true, 1);
    tracker.set_member("presence-a", "2", true, 2);
    tracker.set_member("presence-a", "1", false, 3);
    assert_eq!(
        tracker.snapshot().members["presence-a"],
        BTreeSet::from(["2".to_owned()])
    );
    tracker.set_member("presence-a", "2", false, 4);
    assert!(tracker.snapshot().members.is_empty());
}

#[test]
fn a_retried_member_added_cannot_undo_a_newer_member_removed() {
    let tracker = Tracker::default();
    assert!(tracker.set_member("presence-a", "alice", true, 100));
    assert!(tracker.set_member("presence-a", "alice", false, 103));
    assert!(
        !tracker.set_member("presence-a", "alice", true, 102),
        "older than the removal"
    );
    assert!(tracker.snapshot().members.is_empty());
    // Never added, removed, then a late addition: stays removed too.
    assert!(tracker.set_member("presence-a", "bob", false, 200));
    assert!(!tracker.set_member("presence-a", "bob", true, 150));
    // Same user, another channel: its own order.
    assert!(tracker.set_member("presence-b", "alice", true, 101));
    let snapshot = tracker.snapshot();
    assert_eq!(snapshot.ignored_late, 2);
    assert_eq!(
        snapshot.members,
        BTreeMap::from([(
            "presence-b".to_owned(),
            BTreeSet::from(["alice".to_owned()])
        )])
    );
}

#[test]
fn member_keys_are_unambiguous() {
    assert_ne!(member_key("a1", "2"), member_key("a", "12"));
    assert_eq!(
        split_member_key(&member_key("présence:1", "ü:2")),
        Some(("présence:1", "ü:2"))
    );
    assert_eq!(split_member_key("x"), None);
    assert_eq!(split_member_key("9:ab"), None);
}

#[test]
fn the_maps_are_bounded_and_what_does_not_fit_is_counted() {
    let tracker = Tracker::with_capacity(3);
    for (n, channel) in ["a", "b", "c", "d", "e"].into_iter().enumerate() {
        let t = 100 + n as u64;
        tracker.set_occupied(channel, true, t);
        tracker.set_member(channel, "u", true, t);
        tracker.subscription_count(channel, 1);
        tracker.cache_miss(channel);
    }
    let snapshot = tracker.snapshot();
    assert_eq!(snapshot.capacity, 3);
    assert_eq!(
        snapshot.occupied,
        BTreeSet::from(["a", "b", "c"].map(String::from))
    );
    assert_eq!(snapshot.members.len(), 3);
    assert_eq!(snapshot.subscriptions.len(), 3);
    assert_eq!(snapshot.cache_misses.len(), 3);
    assert_eq!(
        snapshot.dropped,
        Dropped {
            channels: 2,
            members: 2,
            subscriptions: 2,
            cache_misses: 2,
            kinds: 0,
        }
    );
    assert_eq!(snapshot.handled_total, 20, "every event is still counted");
    // Tracked channels stay exact: a late occupied still cannot undo a vacated.
    assert!(tracker.set_occupied("b", false, 200));
    assert!(!tracker.set_occupied("b", true, 150));
    assert!(!tracker.should_publish("b"));
    // A vacated channel makes room for a new one (its removal is forgotten first)...
    assert!(tracker.set_occupied("d", true, 201));
    assert!(tracker.should_publish("d"));
    // ...and a change older than that forgotten removal is ignored, not applied.
    assert!(!tracker.set_occupied("b", true, 190));
    assert!(!tracker.should_publish("b"));
    assert_eq!(tracker.snapshot().dropped.channels, 3);
    // Kinds are bounded too.
    for n in 0..Tracker::MAX_KINDS {
        tracker.unknown(&format!("kind-{n}"), "-");
    }
    let snapshot = tracker.snapshot();
    assert_eq!(snapshot.dropped.kinds, 5, "5 kinds seen before");
    assert_eq!(snapshot.handled[OTHER_KINDS], 5);
    assert_eq!(snapshot.handled.len(), Tracker::MAX_KINDS + 1);
    assert!(tracker.tracked()[..4].iter().all(|&n| n <= 3));
}

#[test]
fn vacated_channels_and_removed_members_are_forgotten_after_the_max_age() {
    let max_age = Duration::from_secs(60);
    let retention_ms = 70_000; // max age + the in-flight margin
    let tracker = Tracker::new(Tracker::DEFAULT_CAPACITY, Some(max_age));
    let t = 1_000_000;
    for n in 0..2_000u64 {
        let channel = format!("private-{n}");
        tracker.set_occupied(&channel, true, t + n);
        tracker.set_occupied(&channel, false, t + n);
        tracker.set_member(&channel, "u", true, t + n);
        tracker.set_member(&channel, "u", false, t + n);
    }
    assert!(tracker.snapshot().occupied.is_empty());
    // Within the retention, removals are remembered: a late addition is ignored.
    assert!(!tracker.set_occupied("private-7", true, t));
    assert!(!tracker.set_member("private-7", "u", true, t));
    // Once no webhook old enough to undo them can be accepted, they are forgotten.
    let later = Stamp {
        time_ms: t + retention_ms + 5_000,
        received_ms: t + retention_ms + 5_000,
    };
    for n in 0..LastChanges::SWEEP_EVERY as u64 {
        tracker.set_occupied(
            "news",
            n % 2 == 0,
            Stamp {
                time_ms: later.time_ms + n,
                ..later
            },
        );
        tracker.set_member("presence-lobby", "u", n % 2 == 0, later);
    }
    let [channels, members, ..] = tracker.tracked();
    assert_eq!((channels, members), (1, 1));
}

#[test]
fn the_last_client_event_replaces_the_one_before_it_whole() {
    let tracker = Tracker::default();
    tracker.client_event(
        "presence-a",
        "client-typing",
        Some("alice"),
        Some("hi".into()),
    );
    tracker.client_event("b", "client-x", None, None);
    let snapshot = tracker.snapshot();
    assert_eq!(snapshot.client_events, 2);
    assert_eq!(snapshot.client_events_unreadable, 1);
    assert_eq!(
        snapshot.last_client_event,
        Some(ClientEventSeen {
            channel: "b".into(),
            event: "client-x".into(),
            user_id: None,
            text: None,
        })
    );
    tracker.client_event("c", "client-y", Some("bob"), Some("yo".into()));
    let last = tracker.snapshot().last_client_event.unwrap();
    assert_eq!(
        (
            last.channel.as_str(),
            last.user_id.as_deref(),
            last.text.as_deref()
        ),
        ("c", Some("bob"), Some("yo"))
    );
    assert_eq!(tracker.snapshot().handled["client_event"], 3);
}
