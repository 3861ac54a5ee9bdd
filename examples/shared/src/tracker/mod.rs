//! Channel occupancy, presence members and what the app has seen.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

pub use crate::last_changes::Stamp;
use crate::last_changes::{member_key, split_member_key, Applied, LastChanges};
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
mod tests;
