//! [`Tx`]: what a request of the writer runs in.

use std::ops::Deref;

use rusqlite::Transaction;

use crate::fencing::Fencing;

/// The writer's open transaction (a request's statements run in it, inside the request's
/// savepoint) and the file's fencing counter for that transaction.
pub(crate) struct Tx<'a> {
    tx: &'a Transaction<'a>,
    fencing: &'a Fencing,
}

impl<'a> Tx<'a> {
    pub(crate) fn new(tx: &'a Transaction<'a>, fencing: &'a Fencing) -> Self {
        Self { tx, fencing }
    }

    /// The next fencing token: greater than every token the file handed out (see
    /// [`fencing`](crate::fencing)).
    pub(crate) fn next_lease(&self) -> rusqlite::Result<i64> {
        self.fencing.next(self.tx)
    }
}

impl<'a> Deref for Tx<'a> {
    type Target = Transaction<'a>;

    fn deref(&self) -> &Transaction<'a> {
        self.tx
    }
}
