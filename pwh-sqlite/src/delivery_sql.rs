//! The delivery memory's statements: each step of a delivery as one function run inside
//! the writer's transaction, so that it is atomic among every connection to the file.
//!
//! Time is the machine's clock ([`clock`](crate::clock)), read by the writer when it runs the
//! request. Fencing tokens come from the file's one counter ([`fencing`](crate::fencing)), so
//! each lease, of any body or job, by any process, gets a greater token than every earlier
//! one.

use std::collections::HashSet;

use pwh_core::delivery::{
    Begin, DeliveryId, Done, LeaseTerms, LeaseToken, Progress, StoreError, StoreErrorKind,
};
use rusqlite::{params, OptionalExtension, Transaction};

use crate::clock::after;
use crate::request_error::RequestError;
use crate::tx::Tx;

/// A body's state: nothing recorded yet (every handler runs).
const NOTHING_RECORDED: i64 = 0;
/// A body's state: the pairs in `pwh_delivery_left` are left to do.
const PAIRS_LEFT: i64 = 1;
/// A body's state: nothing left, a redelivery runs nothing.
const COMPLETE: i64 = 2;

/// The most bodies one purge pass forgets.
pub(crate) const PURGE_LIMIT: usize = 1_000;

/// What a delivery achieved, owned so that it can cross to the writer thread (see [`Done`]).
#[derive(Debug, Clone)]
pub(crate) struct Record {
    /// Whether the delivery began with nothing done (`pairs` are what it left unfinished);
    /// else `pairs` are what it finished.
    first: bool,
    pairs: Vec<(u32, String)>,
}

impl Record {
    pub(crate) fn of(done: Done<'_>) -> Self {
        let pairs = if done.is_first() {
            done.unfinished()
        } else {
            done.finished()
        };
        Self {
            first: done.is_first(),
            pairs: pairs
                .map(|(event, handler)| (event, handler.to_owned()))
                .collect(),
        }
    }
}

/// A body's row.
struct Row {
    expires_ms: i64,
    lease: Option<i64>,
    lease_until_ms: Option<i64>,
    state: i64,
}

impl Row {
    fn leased_at(&self, now: i64) -> bool {
        self.lease_until_ms.is_some_and(|until| until > now)
    }

    fn held_by(&self, token: i64, now: i64) -> bool {
        self.lease == Some(token) && self.leased_at(now)
    }
}

fn row(tx: &Tx<'_>, id: &DeliveryId) -> rusqlite::Result<Option<Row>> {
    tx.prepare_cached(
        "SELECT expires_ms, lease, lease_until_ms, state FROM pwh_delivery WHERE id = ?1",
    )?
    .query_row([&id.0[..]], |r| {
        Ok(Row {
            expires_ms: r.get(0)?,
            lease: r.get(1)?,
            lease_until_ms: r.get(2)?,
            state: r.get(3)?,
        })
    })
    .optional()
}

/// Whether a request given up at `not_after_ms` arrived too late at `now`.
fn late(terms: &LeaseTerms, now: i64) -> bool {
    i64::try_from(terms.not_after_ms).is_ok_and(|not_after| now > not_after)
}

/// [`DeliveryLog::begin`](pwh_core::delivery::DeliveryLog::begin) at `now`.
pub(crate) fn begin(
    tx: &Tx<'_>,
    id: &DeliveryId,
    terms: &LeaseTerms,
    now: i64,
) -> Result<Begin, RequestError> {
    if late(terms, now) {
        return Err(StoreError::new(
            StoreErrorKind::TimedOut,
            "sqlite: the lease request reached the file after its caller gave up",
        )
        .into());
    }
    let key = &id.0[..];
    let lease_until = after(now, terms.lease_for);
    let keep_until = after(now, terms.keep_for);
    // A body seen for the first time (the usual case) is recorded leased in one statement;
    // its token is then the file's next (one drawn for a body already recorded is never
    // handed out: a gap, and tokens only have to grow).
    let token = tx.next_lease()?;
    let inserted = tx
        .prepare_cached(
            "INSERT INTO pwh_delivery (id, since_ms, expires_ms, lease, lease_until_ms, state) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (id) DO NOTHING",
        )?
        .execute(params![
            key,
            now,
            keep_until,
            token,
            lease_until,
            NOTHING_RECORDED
        ])?;
    let lease = LeaseToken(u64::try_from(token).unwrap_or(0));
    if inserted == 1 {
        return Ok(Begin::Run {
            lease,
            progress: Progress::default(),
        });
    }
    let state = match row(tx, id)? {
        // The lease first: a body past keep_for whose delivery still holds it is busy.
        Some(row) if row.leased_at(now) => return Ok(Begin::Busy),
        Some(row) if row.expires_ms <= now => {
            // Remembered once, but forgotten since: start over.
            tx.prepare_cached("DELETE FROM pwh_delivery_left WHERE id = ?1")?
                .execute([key])?;
            tx.prepare_cached(
                "UPDATE pwh_delivery SET since_ms = ?2, expires_ms = ?3, state = ?4 \
                 WHERE id = ?1",
            )?
            .execute(params![key, now, keep_until, NOTHING_RECORDED])?;
            NOTHING_RECORDED
        }
        Some(row) if row.state == COMPLETE => return Ok(Begin::Complete),
        Some(row) => row.state,
        // Inserted by nobody, and absent: the insert above failed without an error.
        None => {
            return Err(StoreError::new(
                StoreErrorKind::Failed,
                "sqlite: a body neither inserted nor found",
            )
            .into())
        }
    };
    tx.prepare_cached("UPDATE pwh_delivery SET lease = ?2, lease_until_ms = ?3 WHERE id = ?1")?
        .execute(params![key, token, lease_until])?;
    if state == PAIRS_LEFT {
        let mut left =
            tx.prepare_cached("SELECT event, handler FROM pwh_delivery_left WHERE id = ?1")?;
        let pairs = left
            .query_map([key], |r| Ok((r.get::<_, u32>(0)?, r.get::<_, String>(1)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        return Ok(Begin::Run {
            lease,
            progress: Progress::left(pairs.iter().map(|(e, h)| (*e, h.as_str()))),
        });
    }
    Ok(Begin::Run {
        lease,
        progress: Progress::default(),
    })
}

/// [`DeliveryLog::renew`](pwh_core::delivery::DeliveryLog::renew) at `now`.
pub(crate) fn renew(
    tx: &Tx<'_>,
    id: &DeliveryId,
    lease: LeaseToken,
    terms: &LeaseTerms,
    now: i64,
) -> Result<bool, RequestError> {
    let Ok(token) = i64::try_from(lease.0) else {
        return Ok(false);
    };
    if late(terms, now) {
        return Ok(false);
    }
    let renewed = tx
        .prepare_cached(
            "UPDATE pwh_delivery SET lease_until_ms = ?3 \
             WHERE id = ?1 AND lease = ?2 AND lease_until_ms > ?4",
        )?
        .execute(params![&id.0[..], token, after(now, terms.lease_for), now])?;
    Ok(renewed == 1)
}

/// [`DeliveryLog::finish`](pwh_core::delivery::DeliveryLog::finish) at `now`.
pub(crate) fn finish(
    tx: &Tx<'_>,
    id: &DeliveryId,
    lease: LeaseToken,
    record: &Record,
    now: i64,
) -> Result<(), RequestError> {
    let key = &id.0[..];
    let Some(row) = row(tx, id)? else {
        // Never begun here, or forgotten and purged: nothing to record.
        return Ok(());
    };
    // Whether this delivery still holds the body's lease (then it ends with this record).
    let held = i64::try_from(lease.0).is_ok_and(|token| row.held_by(token, now));
    let state = if row.expires_ms <= now || row.state == COMPLETE {
        // Forgotten (past keep_for), or complete already: nothing to record.
        row.state
    } else {
        match (record.first, row.state) {
            (true, NOTHING_RECORDED) => {
                // The first record: what this delivery left is what is left (nothing was
                // left before: pairs are kept only while the state says so).
                let mut insert = tx.prepare_cached(
                    "INSERT OR IGNORE INTO pwh_delivery_left (id, handler, event) \
                     VALUES (?1, ?2, ?3)",
                )?;
                for (event, handler) in &record.pairs {
                    insert.execute(params![key, handler, event])?;
                }
                if record.pairs.is_empty() {
                    COMPLETE
                } else {
                    PAIRS_LEFT
                }
            }
            (true, _) => {
                // Another delivery recorded first: what both left is left.
                let theirs: HashSet<(u32, &str)> = record
                    .pairs
                    .iter()
                    .map(|(event, handler)| (*event, handler.as_str()))
                    .collect();
                let ours = tx
                    .prepare_cached("SELECT event, handler FROM pwh_delivery_left WHERE id = ?1")?
                    .query_map([key], |r| Ok((r.get::<_, u32>(0)?, r.get::<_, String>(1)?)))?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                let mut delete = tx.prepare_cached(
                    "DELETE FROM pwh_delivery_left WHERE id = ?1 AND handler = ?2 AND event = ?3",
                )?;
                for (event, handler) in &ours {
                    if !theirs.contains(&(*event, handler.as_str())) {
                        delete.execute(params![key, handler, event])?;
                    }
                }
                any_left(tx, key)?
            }
            (false, PAIRS_LEFT) => {
                let mut delete = tx.prepare_cached(
                    "DELETE FROM pwh_delivery_left WHERE id = ?1 AND handler = ?2 AND event = ?3",
                )?;
                for (event, handler) in &record.pairs {
                    delete.execute(params![key, handler, event])?;
                }
                any_left(tx, key)?
            }
            // A retry's record for a body with nothing recorded (forgotten meanwhile): unknown.
            (false, state) => state,
        }
    };
    // One statement for the row: the lease released (if still this delivery's) and the state.
    if held {
        tx.prepare_cached(
            "UPDATE pwh_delivery SET lease = NULL, lease_until_ms = NULL, state = ?2 \
             WHERE id = ?1",
        )?
        .execute(params![key, state])?;
    } else if state != row.state {
        tx.prepare_cached("UPDATE pwh_delivery SET state = ?2 WHERE id = ?1")?
            .execute(params![key, state])?;
    }
    Ok(())
}

/// The state of the body `key` once its pairs changed: whether any is left.
fn any_left(tx: &Tx<'_>, key: &[u8]) -> rusqlite::Result<i64> {
    let left: bool = tx
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM pwh_delivery_left WHERE id = ?1)")?
        .query_row([key], |r| r.get(0))?;
    Ok(if left { PAIRS_LEFT } else { COMPLETE })
}

/// Forgets up to `limit` bodies past their `keep_for` that no delivery holds; how many.
pub(crate) fn purge(tx: &Transaction<'_>, now: i64, limit: usize) -> rusqlite::Result<usize> {
    let ids = tx
        .prepare_cached(
            "SELECT id FROM pwh_delivery WHERE expires_ms <= ?1 \
             AND (lease_until_ms IS NULL OR lease_until_ms <= ?1) LIMIT ?2",
        )?
        .query_map(
            params![now, i64::try_from(limit).unwrap_or(i64::MAX)],
            |r| r.get::<_, Vec<u8>>(0),
        )?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut left = tx.prepare_cached("DELETE FROM pwh_delivery_left WHERE id = ?1")?;
    let mut body = tx.prepare_cached("DELETE FROM pwh_delivery WHERE id = ?1")?;
    for id in &ids {
        left.execute([id])?;
        body.execute([id])?;
    }
    Ok(ids.len())
}
