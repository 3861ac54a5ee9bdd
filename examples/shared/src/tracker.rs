//! Channel occupancy, presence members and what the app has seen.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use pwh_core::Webhook;
use serde::Serialize;

/// What the app knows of its channels, fed by Pusher's webhooks.
///
/// **Order.** Pusher gives no ordering between webhooks, retries a failed one for 5 minutes,
/// and `channel_vacated` may come seconds late: each channel, and each member of a presence
/// channel, keeps the `time_ms` of the webhook that last changed it, and an older webhook
/// cannot undo a newer one (a late `channel_occupied` cannot undo a newer `channel_vacated`, a
/// retried `member_added` cannot bring back a member a newer `member_removed` removed). Both
/// use one mechanism, `LastChanges`.
///
/// **Bounds.** Channel names are chosen by clients, so every map is bounded by
/// [`capacity`](Tracker::with_capacity) entries ([`Tracker::DEFAULT_CAPACITY`] by default):
/// channels (occupied or recently vacated), members (present or recently removed), subscription
/// counts and cache-miss counts ([`Tracker::MAX_KINDS`] event kinds). What does not fit is not tracked and is counted
/// in [`Snapshot::dropped`]; what is tracked stays exact. A vacated channel or removed member
/// is remembered only as long as a webhook older than its removal can still be accepted (the
/// max age plus [`Tracker::IN_FLIGHT_MARGIN`]), then forgotten; under pressure the oldest
/// removals are forgotten first, and a change older than a removal forgotten early is ignored
/// (a channel is then not tracked rather than wrongly brought back).
#[derive(Debug)]
pub struct Tracker {
    inner: Mutex<Inner>,
}

#[derive(Debug)]
struct Inner {
    capacity: usize,
    /// How long a removal must be remembered, in ms; `None`: until the capacity forces it.
    retention_ms: Option<u64>,
    /// Channel → occupied.
    channels: LastChanges,
    /// [`member_key`] → present.
    members: LastChanges,
    subscriptions: BTreeMap<String, u64>,
    cache_misses: BTreeMap<String, u64>,
    client_events: u64,
    client_events_unreadable: u64,
    last_client_event: Option<ClientEventSeen>,
    handled: BTreeMap<String, u64>,
    handled_total: u64,
    ignored_late: u64,
    dropped: Dropped,
}

/// The last client event seen.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ClientEventSeen {
    /// Its channel.
    pub channel: String,
    /// Its name, e.g. `client-typing`.
    pub event: String,
    /// Its sender, on presence channels.
    pub user_id: Option<String>,
    /// Its `text`, when its data was a typing message (`{"text": "..."}`).
    pub text: Option<String>,
}

/// What did not fit in the tracker's bounded maps, by map.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Dropped {
    /// Channel occupancy changes not tracked (the channels map was full of occupied channels),
    /// or ignored because they were older than a vacated channel forgotten early.
    pub channels: u64,
    /// Member changes not tracked, likewise.
    pub members: u64,
    /// Subscription counts of channels not tracked.
    pub subscriptions: u64,
    /// Cache misses of channels not tracked.
    pub cache_misses: u64,
    /// Events of kinds beyond [`Tracker::MAX_KINDS`], counted under `(other kinds)` in `handled`.
    pub kinds: u64,
}

/// A copy of the tracker's state, served as JSON on `GET /state`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Snapshot {
    /// Channels with subscribers: the ones worth publishing to.
    pub occupied: BTreeSet<String>,
    /// Presence channel → its members.
    pub members: BTreeMap<String, BTreeSet<String>>,
    /// Channel → its last reported subscription count.
    pub subscriptions: BTreeMap<String, u64>,
    /// Cache channel → cache misses.
    pub cache_misses: BTreeMap<String, u64>,
    /// Client events seen.
    pub client_events: u64,
    /// Client events whose `data` was not a typing message (another JSON shape, text that is
    /// not JSON, none): handled (answered 200, never retried), with the reason logged.
    pub client_events_unreadable: u64,
    /// The last one.
    pub last_client_event: Option<ClientEventSeen>,
    /// Events handled, by kind.
    pub handled: BTreeMap<String, u64>,
    /// Events handled in all.
    pub handled_total: u64,
    /// Occupancy and member changes ignored because a newer webhook had already been applied.
    pub ignored_late: u64,
    /// The bound of each map.
    pub capacity: usize,
    /// What did not fit.
    pub dropped: Dropped,
}

/// When a change was made: the webhook's `time_ms`, and when the app received it (by the
/// dispatcher's clock), which says how old a removal must be to be forgotten.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    /// The webhook's `time_ms`.
    pub time_ms: u64,
    /// When it was received, in Unix ms.
    pub received_ms: u64,
}

impl From<u64> for Stamp {
    /// A change at `time_ms`, received then.
    fn from(time_ms: u64) -> Self {
        Self {
            time_ms,
            received_ms: time_ms,
        }
    }
}

impl From<&Webhook<'_>> for Stamp {
    fn from(hook: &Webhook<'_>) -> Self {
        Self {
            time_ms: hook.time_ms(),
            received_ms: hook.received_ms().unwrap_or(hook.time_ms()),
        }
    }
}

/// What came of a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Applied {
    Yes,
    /// Older than the last change applied.
    Late,
    /// Not tracked: no room, or older than a removal forgotten early.
    Dropped,
}

/// Things that come and go (occupied channels, present members), each with the `time_ms` of
/// the last change applied to it: a change older than that is ignored. A removal is kept (as
/// `present: false`) so that a late addition older than it stays ignored, until it is older
/// than the retention; at most `capacity` entries.
#[derive(Debug, Default)]
struct LastChanges {
    entries: HashMap<String, Last>,
    removed: usize,
    /// The newest `time_ms` of a removal forgotten before its retention ran out: an unknown
    /// key's change no newer than it may be older than that removal, so it is ignored.
    forgotten_ms: u64,
    changes_since_sweep: usize,
}

#[derive(Debug, Clone, Copy)]
struct Last {
    present: bool,
    time_ms: u64,
}

impl LastChanges {
    /// Forgetting expired removals costs a pass over the map: at most once every this many
    /// changes (and when the map is full).
    const SWEEP_EVERY: usize = 1024;

    fn is_present(&self, key: &str) -> bool {
        self.entries.get(key).is_some_and(|last| last.present)
    }

    fn present(&self) -> impl Iterator<Item = &str> {
        self.entries
            .iter()
            .filter(|(_, last)| last.present)
            .map(|(key, _)| key.as_str())
    }

    fn apply(
        &mut self,
        key: &str,
        present: bool,
        at: Stamp,
        capacity: usize,
        retention_ms: Option<u64>,
    ) -> Applied {
        self.changes_since_sweep += 1;
        if self.changes_since_sweep >= Self::SWEEP_EVERY {
            self.sweep(at, retention_ms);
        }
        if let Some(last) = self.entries.get_mut(key) {
            if last.time_ms > at.time_ms {
                return Applied::Late;
            }
            match (last.present, present) {
                (true, false) => self.removed += 1,
                (false, true) => self.removed -= 1,
                _ => {}
            }
            *last = Last {
                present,
                time_ms: at.time_ms,
            };
            return Applied::Yes;
        }
        if at.time_ms <= self.forgotten_ms {
            // Possibly older than a removal of this key forgotten early.
            return if present {
                Applied::Dropped
            } else {
                Applied::Yes
            };
        }
        if self.entries.len() >= capacity {
            self.sweep(at, retention_ms);
        }
        if self.entries.len() >= capacity && !self.forget_oldest_removal() {
            if present {
                return Applied::Dropped;
            }
            // No room for the removal: remember that changes up to it may be stale.
            self.forgotten_ms = self.forgotten_ms.max(at.time_ms);
            return Applied::Yes;
        }
        self.entries.insert(
            key.to_owned(),
            Last {
                present,
                time_ms: at.time_ms,
            },
        );
        if !present {
            self.removed += 1;
        }
        Applied::Yes
    }

    /// Forgets removals that no webhook still accepted can be older than.
    fn sweep(&mut self, at: Stamp, retention_ms: Option<u64>) {
        self.changes_since_sweep = 0;
        let Some(retention_ms) = retention_ms else {
            return;
        };
        if self.removed == 0 {
            return;
        }
        let horizon = at.received_ms.saturating_sub(retention_ms);
        let mut forgotten = 0;
        self.entries.retain(|_, last| {
            let keep = last.present || last.time_ms >= horizon;
            forgotten += usize::from(!keep);
            keep
        });
        self.removed -= forgotten;
    }

    /// Forgets the oldest removal, if any, before its retention ran out.
    fn forget_oldest_removal(&mut self) -> bool {
        if self.removed == 0 {
            return false;
        }
        let oldest = self
            .entries
            .iter()
            .filter(|(_, last)| !last.present)
            .min_by_key(|(_, last)| last.time_ms)
            .map(|(key, last)| (key.clone(), last.time_ms));
        let Some((key, time_ms)) = oldest else {
            return false;
        };
        self.entries.remove(&key);
        self.removed -= 1;
        self.forgotten_ms = self.forgotten_ms.max(time_ms);
        true
    }
}

/// One key for a member of a presence channel: the channel's length, the channel, the user
/// (unambiguous whatever the names hold).
fn member_key(channel: &str, user_id: &str) -> String {
    format!("{}:{channel}{user_id}", channel.len())
}

/// The channel and user of a [`member_key`].
fn split_member_key(key: &str) -> Option<(&str, &str)> {
    let (len, rest) = key.split_once(':')?;
    let len = len.parse().ok()?;
    Some((rest.get(..len)?, rest.get(len..)?))
}

impl Default for Tracker {
    fn default() -> Self {
        Self::new(
            Self::DEFAULT_CAPACITY,
            Some(pwh_core::Dispatcher::DEFAULT_MAX_AGE),
        )
    }
}

impl Tracker {
    /// The default bound of each map: channels, members, subscription counts, cache misses,
    /// event kinds.
    pub const DEFAULT_CAPACITY: usize = 10_000;

    /// The bound of the count of events by kind (`handled`): beyond it, events of new kinds
    /// are counted under `(other kinds)`.
    pub const MAX_KINDS: usize = 64;

    /// How long past the max age a removal is remembered: a webhook accepted just before the
    /// max age may still be running its handlers (the dispatcher's deadline is 3 s).
    pub const IN_FLIGHT_MARGIN: Duration = Duration::from_secs(10);

    /// A tracker of at most `capacity` entries per map, for an app whose webhooks are refused
    /// past `max_age` (`None`: no max age, removals are forgotten only when room is needed).
    pub fn new(capacity: usize, max_age: Option<Duration>) -> Self {
        let retention_ms = max_age.map(|age| {
            u64::try_from((age + Self::IN_FLIGHT_MARGIN).as_millis()).unwrap_or(u64::MAX)
        });
        Self {
            inner: Mutex::new(Inner {
                capacity: capacity.max(1),
                retention_ms,
                channels: LastChanges::default(),
                members: LastChanges::default(),
                subscriptions: BTreeMap::new(),
                cache_misses: BTreeMap::new(),
                client_events: 0,
                client_events_unreadable: 0,
                last_client_event: None,
                handled: BTreeMap::new(),
                handled_total: 0,
                ignored_late: 0,
                dropped: Dropped::default(),
            }),
        }
    }

    /// A tracker of at most `capacity` entries per map, with the default max age.
    pub fn with_capacity(capacity: usize) -> Self {
        Self::new(capacity, Some(pwh_core::Dispatcher::DEFAULT_MAX_AGE))
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether `channel` has subscribers, i.e. whether publishing to it is worth it.
    pub fn should_publish(&self, channel: &str) -> bool {
        self.lock().channels.is_present(channel)
    }

    /// Applies `channel_occupied` (`occupied = true`) or `channel_vacated` made `at` a
    /// webhook's `time_ms` (a [`Stamp`], or just the `time_ms`), unless a newer webhook already
    /// changed the channel. Returns whether it was applied.
    pub fn set_occupied(&self, channel: &str, occupied: bool, at: impl Into<Stamp>) -> bool {
        let kind = if occupied {
            "channel_occupied"
        } else {
            "channel_vacated"
        };
        let inner = &mut *self.lock();
        let applied = inner.channels.apply(
            channel,
            occupied,
            at.into(),
            inner.capacity,
            inner.retention_ms,
        );
        if applied == Applied::Yes && !occupied {
            // A vacated channel has no subscribers left to count.
            inner.subscriptions.remove(channel);
        }
        Self::note(inner, applied, kind, channel, |d| &mut d.channels)
    }

    /// Applies `member_added` (`joined = true`) or `member_removed` made `at` a webhook's
    /// `time_ms`, unless a newer webhook already changed that member of that channel. Returns
    /// whether it was applied.
    pub fn set_member(
        &self,
        channel: &str,
        user_id: &str,
        joined: bool,
        at: impl Into<Stamp>,
    ) -> bool {
        let kind = if joined {
            "member_added"
        } else {
            "member_removed"
        };
        let key = member_key(channel, user_id);
        let inner = &mut *self.lock();
        let applied =
            inner
                .members
                .apply(&key, joined, at.into(), inner.capacity, inner.retention_ms);
        Self::note(inner, applied, kind, channel, |d| &mut d.members)
    }

    fn note(
        inner: &mut Inner,
        applied: Applied,
        kind: &str,
        channel: &str,
        dropped: fn(&mut Dropped) -> &mut u64,
    ) -> bool {
        let note = match applied {
            Applied::Yes => "",
            Applied::Late => {
                inner.ignored_late += 1;
                " (late: ignored)"
            }
            Applied::Dropped => {
                *dropped(&mut inner.dropped) += 1;
                " (not tracked: tracker full)"
            }
        };
        Self::count(inner, kind, channel, note);
        applied == Applied::Yes
    }

    /// A client event was sent. `text` is its typing message's text, `None` when its data
    /// was not a typing message (counted as unreadable).
    pub fn client_event(
        &self,
        channel: &str,
        event: &str,
        user_id: Option<&str>,
        text: Option<String>,
    ) {
        let mut inner = self.lock();
        inner.client_events += 1;
        if text.is_none() {
            inner.client_events_unreadable += 1;
        }
        // Reuse the last one's strings: no allocation per event once they are long enough.
        let last = inner
            .last_client_event
            .get_or_insert_with(ClientEventSeen::default);
        replace(&mut last.channel, channel);
        replace(&mut last.event, event);
        match (&mut last.user_id, user_id) {
            (Some(last), Some(user_id)) => replace(last, user_id),
            (last, user_id) => *last = user_id.map(str::to_owned),
        }
        last.text = text;
        Self::count(&mut inner, "client_event", channel, "");
    }

    /// A cache channel had no cached message.
    pub fn cache_miss(&self, channel: &str) {
        let inner = &mut *self.lock();
        let note = if bump(&mut inner.cache_misses, channel, inner.capacity) {
            ""
        } else {
            inner.dropped.cache_misses += 1;
            " (not tracked: tracker full)"
        };
        Self::count(inner, "cache_miss", channel, note);
    }

    /// A channel's subscription count changed.
    pub fn subscription_count(&self, channel: &str, count: u64) {
        let inner = &mut *self.lock();
        let room = inner.subscriptions.len() < inner.capacity;
        let note = match inner.subscriptions.get_mut(channel) {
            Some(last) => {
                *last = count;
                ""
            }
            None if room => {
                inner.subscriptions.insert(channel.to_owned(), count);
                ""
            }
            None => {
                inner.dropped.subscriptions += 1;
                " (not tracked: tracker full)"
            }
        };
        Self::count(inner, "subscription_count", channel, note);
    }

    /// An event of a kind the app does not know.
    pub fn unknown(&self, kind: &str, channel: &str) {
        Self::count(&mut self.lock(), kind, channel, " (unknown kind)");
    }

    fn count(inner: &mut Inner, kind: &str, channel: &str, note: &str) {
        // Kinds are few; a sender inventing them is bounded like the rest.
        if !bump(&mut inner.handled, kind, Tracker::MAX_KINDS) {
            inner.dropped.kinds += 1;
            *inner.handled.entry(OTHER_KINDS.to_owned()).or_default() += 1;
        }
        inner.handled_total += 1;
        tracing::info!("handled {kind} on {channel}{note}");
    }

    /// A copy of the state.
    pub fn snapshot(&self) -> Snapshot {
        let inner = self.lock();
        let mut members = BTreeMap::<String, BTreeSet<String>>::new();
        for (channel, user_id) in inner.members.present().filter_map(split_member_key) {
            members
                .entry(channel.to_owned())
                .or_default()
                .insert(user_id.to_owned());
        }
        Snapshot {
            occupied: inner.channels.present().map(str::to_owned).collect(),
            members,
            subscriptions: inner.subscriptions.clone(),
            cache_misses: inner.cache_misses.clone(),
            client_events: inner.client_events,
            client_events_unreadable: inner.client_events_unreadable,
            last_client_event: inner.last_client_event.clone(),
            handled: inner.handled.clone(),
            handled_total: inner.handled_total,
            ignored_late: inner.ignored_late,
            capacity: inner.capacity,
            dropped: inner.dropped,
        }
    }

    /// How many entries each bounded map holds now (removals still remembered included):
    /// channels, members, subscription counts, cache misses, kinds.
    pub fn tracked(&self) -> [usize; 5] {
        let inner = self.lock();
        [
            inner.channels.entries.len(),
            inner.members.entries.len(),
            inner.subscriptions.len(),
            inner.cache_misses.len(),
            inner.handled.len(),
        ]
    }
}

/// The `handled` entry counting the kinds beyond the capacity.
const OTHER_KINDS: &str = "(other kinds)";

/// Adds one to `key`'s count, copying `key` only the first time; `false` (nothing counted)
/// when `key` is new and `counts` already holds `capacity` keys.
fn bump(counts: &mut BTreeMap<String, u64>, key: &str, capacity: usize) -> bool {
    let room = counts.len() < capacity;
    match counts.get_mut(key) {
        Some(count) => *count += 1,
        None if room => {
            counts.insert(key.to_owned(), 1);
        }
        None => return false,
    }
    true
}

/// Makes `text` the content of `target`, reusing its allocation.
fn replace(target: &mut String, text: &str) {
    target.clear();
    target.push_str(text);
}

#[cfg(test)]
mod tests {
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
}
