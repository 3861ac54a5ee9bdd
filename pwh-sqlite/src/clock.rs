//! The store's clock: the machine's, in milliseconds since the Unix epoch.
//!
//! Read by the writer thread when it runs a request, so every lease, wait and retention of
//! the file is measured by the clock of the machine the file is on. Every process sharing the
//! file reads that same clock (a file is shared by the processes of one machine only); a
//! clock set back lengthens leases, waits and retention by as much.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch by the machine's clock, as SQLite stores them.
pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// `now` plus `d`, saturating.
pub(crate) fn after(now: i64, d: Duration) -> i64 {
    now.saturating_add(i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// `now` minus `d`, saturating.
pub(crate) fn before(now: i64, d: Duration) -> i64 {
    now.saturating_sub(i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}
