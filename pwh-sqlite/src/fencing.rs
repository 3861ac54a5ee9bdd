//! Fencing tokens: one counter for the whole file.
//!
//! `pwh_meta.last_lease` is incremented under the file's write lock (every request runs in a
//! `BEGIN IMMEDIATE` transaction), so each lease, of a body or of a job, by any process, gets
//! a greater token than every earlier one. It was seeded with the clock in µs when the file
//! was made, so tokens keep growing even over a file made anew.

use rusqlite::Transaction;

/// The next fencing token: greater than every token the file handed out.
pub(crate) fn next_lease(tx: &Transaction<'_>) -> rusqlite::Result<i64> {
    tx.prepare_cached(
        "UPDATE pwh_meta SET value = value + 1 WHERE key = 'last_lease' RETURNING value",
    )?
    .query_row([], |r| r.get(0))
}
