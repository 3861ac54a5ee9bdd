//! Channel occupancy, presence members and what the app has seen.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Mutex, MutexGuard, PoisonError};

use serde::Serialize;

/// What the app knows of its channels, fed by Pusher's webhooks.
///
/// Pusher gives no ordering between webhooks, and `channel_vacated` may come seconds late: each
/// channel keeps the `time_ms` of the webhook that last changed it, and an older webhook cannot
/// undo a newer one.
#[derive(Debug, Default)]
pub struct Tracker {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    /// Channel → (occupied, `time_ms` of the last change).
    channels: HashMap<String, (bool, u64)>,
    members: BTreeMap<String, BTreeSet<String>>,
    subscriptions: BTreeMap<String, u64>,
    cache_misses: BTreeMap<String, u64>,
    client_events: u64,
    last_client_event: Option<ClientEventSeen>,
    handled: BTreeMap<String, u64>,
    handled_total: u64,
    ignored_late: u64,
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
    /// Its `text` field, if its data had one.
    pub text: Option<String>,
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
    /// The last one.
    pub last_client_event: Option<ClientEventSeen>,
    /// Events handled, by kind.
    pub handled: BTreeMap<String, u64>,
    /// Events handled in all.
    pub handled_total: u64,
    /// Occupancy changes ignored because a newer webhook had already been applied.
    pub ignored_late: u64,
}

impl Tracker {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether `channel` has subscribers, i.e. whether publishing to it is worth it.
    pub fn should_publish(&self, channel: &str) -> bool {
        self.lock()
            .channels
            .get(channel)
            .is_some_and(|(occupied, _)| *occupied)
    }

    /// Applies `channel_occupied` (`occupied = true`) or `channel_vacated` created at `time_ms`,
    /// unless a newer webhook already changed the channel. Returns whether it was applied.
    pub fn set_occupied(&self, channel: &str, occupied: bool, time_ms: u64) -> bool {
        let kind = if occupied {
            "channel_occupied"
        } else {
            "channel_vacated"
        };
        let mut inner = self.lock();
        let applied = match inner.channels.get_mut(channel) {
            Some((_, changed)) if *changed > time_ms => false,
            Some(entry) => {
                *entry = (occupied, time_ms);
                true
            }
            None => {
                // The channel's name is copied once, when first seen.
                inner
                    .channels
                    .insert(channel.to_owned(), (occupied, time_ms));
                true
            }
        };
        if !applied {
            inner.ignored_late += 1;
        }
        Self::count(
            &mut inner,
            kind,
            channel,
            if applied { "" } else { " (late: ignored)" },
        );
        applied
    }

    /// A member joined (`joined = true`) or left a presence channel.
    pub fn set_member(&self, channel: &str, user_id: &str, joined: bool) {
        let mut inner = self.lock();
        if joined {
            match inner.members.get_mut(channel) {
                Some(members) => {
                    if !members.contains(user_id) {
                        members.insert(user_id.to_owned());
                    }
                }
                None => {
                    let members = BTreeSet::from([user_id.to_owned()]);
                    inner.members.insert(channel.to_owned(), members);
                }
            }
            Self::count(&mut inner, "member_added", channel, "");
        } else {
            if let Some(members) = inner.members.get_mut(channel) {
                members.remove(user_id);
                if members.is_empty() {
                    inner.members.remove(channel);
                }
            }
            Self::count(&mut inner, "member_removed", channel, "");
        }
    }

    /// A client event was sent.
    pub fn client_event(
        &self,
        channel: &str,
        event: &str,
        user_id: Option<&str>,
        text: Option<String>,
    ) {
        let mut inner = self.lock();
        inner.client_events += 1;
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
        let mut inner = self.lock();
        bump(&mut inner.cache_misses, channel);
        Self::count(&mut inner, "cache_miss", channel, "");
    }

    /// A channel's subscription count changed.
    pub fn subscription_count(&self, channel: &str, count: u64) {
        let mut inner = self.lock();
        match inner.subscriptions.get_mut(channel) {
            Some(last) => *last = count,
            None => {
                inner.subscriptions.insert(channel.to_owned(), count);
            }
        }
        Self::count(&mut inner, "subscription_count", channel, "");
    }

    /// An event of a kind the app does not know.
    pub fn unknown(&self, kind: &str, channel: &str) {
        Self::count(&mut self.lock(), kind, channel, " (unknown kind)");
    }

    fn count(inner: &mut Inner, kind: &str, channel: &str, note: &str) {
        bump(&mut inner.handled, kind);
        inner.handled_total += 1;
        tracing::info!("handled {kind} on {channel}{note}");
    }

    /// A copy of the state.
    pub fn snapshot(&self) -> Snapshot {
        let inner = self.lock();
        Snapshot {
            occupied: inner
                .channels
                .iter()
                .filter(|(_, (occupied, _))| *occupied)
                .map(|(c, _)| c.clone())
                .collect(),
            members: inner.members.clone(),
            subscriptions: inner.subscriptions.clone(),
            cache_misses: inner.cache_misses.clone(),
            client_events: inner.client_events,
            last_client_event: inner.last_client_event.clone(),
            handled: inner.handled.clone(),
            handled_total: inner.handled_total,
            ignored_late: inner.ignored_late,
        }
    }
}

/// Adds one to `key`'s count, copying `key` only the first time.
fn bump(counts: &mut BTreeMap<String, u64>, key: &str) {
    match counts.get_mut(key) {
        Some(count) => *count += 1,
        None => {
            counts.insert(key.to_owned(), 1);
        }
    }
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
        tracker.set_member("presence-a", "1", true);
        tracker.set_member("presence-a", "2", true);
        tracker.set_member("presence-a", "1", false);
        assert_eq!(
            tracker.snapshot().members["presence-a"],
            BTreeSet::from(["2".to_owned()])
        );
        tracker.set_member("presence-a", "2", false);
        assert!(tracker.snapshot().members.is_empty());
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
