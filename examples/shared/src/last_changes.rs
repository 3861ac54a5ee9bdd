//! Things that come and go, each with the `time_ms` of the last change applied to it: what
//! keeps a late `channel_occupied` or a retried `member_added` from undoing a newer change.

use std::collections::HashMap;

use pwh_core::Webhook;

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
pub(crate) enum Applied {
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
pub(crate) struct LastChanges {
    pub(crate) entries: HashMap<String, Last>,
    removed: usize,
    /// The newest `time_ms` of a removal forgotten before its retention ran out: an unknown
    /// key's change no newer than it may be older than that removal, so it is ignored.
    forgotten_ms: u64,
    changes_since_sweep: usize,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Last {
    present: bool,
    time_ms: u64,
}

impl LastChanges {
    /// Forgetting expired removals costs a pass over the map: at most once every this many
    /// changes (and when the map is full).
    pub(crate) const SWEEP_EVERY: usize = 1024;

    pub(crate) fn is_present(&self, key: &str) -> bool {
        self.entries.get(key).is_some_and(|last| last.present)
    }

    pub(crate) fn present(&self) -> impl Iterator<Item = &str> {
        self.entries
            .iter()
            .filter(|(_, last)| last.present)
            .map(|(key, _)| key.as_str())
    }

    pub(crate) fn apply(
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
    pub(crate) fn sweep(&mut self, at: Stamp, retention_ms: Option<u64>) {
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
    pub(crate) fn forget_oldest_removal(&mut self) -> bool {
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
pub(crate) fn member_key(channel: &str, user_id: &str) -> String {
    format!("{}:{channel}{user_id}", channel.len())
}

/// The channel and user of a [`member_key`].
pub(crate) fn split_member_key(key: &str) -> Option<(&str, &str)> {
    let (len, rest) = key.split_once(':')?;
    let len = len.parse().ok()?;
    Some((rest.get(..len)?, rest.get(len..)?))
}
