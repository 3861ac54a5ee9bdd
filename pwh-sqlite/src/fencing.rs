//! Fencing tokens: one counter for the whole file.
//!
//! `pwh_meta.last_lease` is the last token handed out. Every request runs in a
//! `BEGIN IMMEDIATE` transaction, which holds the file's write lock until it commits: no other
//! connection, of this process or another, reads or writes the counter meanwhile. So the
//! transaction reads it once, at the first lease it hands out, counts on in memory, and writes
//! the last value back just before its `COMMIT` ([`Fencing::save`]); each lease, of a body or
//! of a job, by any process, gets a greater token than every earlier one. A request rolled
//! back to its savepoint leaves a gap in the tokens (they only have to grow); a transaction
//! that does not commit leaves the counter as it was. The counter was seeded with the clock
//! in µs when the file was made, so tokens keep growing even over a file made anew.

use std::cell::Cell;

use rusqlite::Transaction;

/// The counter of one transaction: what it last handed out, once it has read the file's.
#[derive(Debug, Default)]
pub(crate) struct Fencing {
    last: Cell<Option<i64>>,
}

impl Fencing {
    /// The next fencing token: greater than every token the file handed out.
    pub(crate) fn next(&self, tx: &Transaction<'_>) -> rusqlite::Result<i64> {
        let last = match self.last.get() {
            Some(last) => last,
            None => tx
                .prepare_cached("SELECT value FROM pwh_meta WHERE key = 'last_lease'")?
                .query_row([], |r| r.get(0))?,
        };
        let next = last.saturating_add(1);
        self.last.set(Some(next));
        Ok(next)
    }

    /// Writes the last token handed out back to the file, if any was: called once, just
    /// before the transaction commits, outside every savepoint. The counter is then read
    /// again by the next transaction.
    pub(crate) fn save(&self, tx: &Transaction<'_>) -> rusqlite::Result<()> {
        if let Some(last) = self.last.take() {
            tx.prepare_cached("UPDATE pwh_meta SET value = ?1 WHERE key = 'last_lease'")?
                .execute([last])?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use rusqlite::Connection;

    use super::*;

    fn file() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE pwh_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
             INSERT INTO pwh_meta VALUES ('last_lease', 100);",
        )
        .unwrap();
        conn
    }

    fn stored(conn: &Connection) -> i64 {
        conn.query_row(
            "SELECT value FROM pwh_meta WHERE key = 'last_lease'",
            [],
            |r| r.get(0),
        )
        .unwrap()
    }

    #[test]
    fn tokens_grow_within_and_across_transactions_and_only_commits_count() {
        let mut conn = file();
        let tx = conn.transaction().unwrap();
        let fencing = Fencing::default();
        assert_eq!(fencing.next(&tx).unwrap(), 101);
        assert_eq!(fencing.next(&tx).unwrap(), 102);
        fencing.save(&tx).unwrap();
        tx.commit().unwrap();
        assert_eq!(stored(&conn), 102, "the last token handed out, saved");

        // A transaction that does not commit leaves the counter as it was.
        let tx = conn.transaction().unwrap();
        let fencing = Fencing::default();
        assert_eq!(fencing.next(&tx).unwrap(), 103);
        fencing.save(&tx).unwrap();
        tx.rollback().unwrap();
        assert_eq!(stored(&conn), 102);

        // The next transaction reads the file again; one that hands out none writes nothing.
        let tx = conn.transaction().unwrap();
        let fencing = Fencing::default();
        fencing.save(&tx).unwrap();
        assert_eq!(fencing.next(&tx).unwrap(), 103);
        fencing.save(&tx).unwrap();
        tx.commit().unwrap();
        assert_eq!(stored(&conn), 103);
    }
}
