//! The deferred jobs' statements: each step of a job as one function run inside the writer's
//! transaction, so that it is atomic among every connection to the file (`BEGIN IMMEDIATE`
//! takes the file's write lock first: two processes never claim the same job).
//!
//! Time is the machine's clock ([`clock`](crate::clock)); each claim's fencing token comes
//! from the file's one counter ([`fencing`](crate::fencing)), shared with the deliveries'
//! leases, so it is greater than every token handed out before, by any process.

use std::time::Duration;

use pwh_core::delivery::{LeaseToken, StoreError, StoreErrorKind};
use pwh_core::jobs::{ClaimedJob, JobCounts, JobEnd, JobId, JobInfo, JobQuery, JobState, NewJob};
use rusqlite::{params, Row};

use crate::clock::{after, before};
use crate::request_error::RequestError;
use crate::tx::Tx;

/// A job's state as stored: waiting for an attempt.
const PENDING: i64 = 0;
/// Leased by a worker (or by one that died, until `at_ms`).
const RUNNING: i64 = 1;
/// Succeeded.
const DONE: i64 = 2;
/// Failed its last attempt.
const DEAD: i64 = 3;

/// The jobs a claim may take at `?1`, oldest due first: pending ones whose wait is over and
/// running ones whose lease ran out. Read through the `pwh_job_due` index, in its order, so a
/// claim stops at its limit however long the backlog (named: the planner, without statistics,
/// would rather take `pwh_job_state` and sort; a schema test checks the plan).
pub(crate) const DUE: &str = "SELECT rowid, handler, attempts, max_attempts, state \
     FROM pwh_job INDEXED BY pwh_job_due \
     WHERE state IN (0, 1) AND at_ms <= ?1 ORDER BY at_ms, rowid";

/// The most jobs one pass of a bulk change (purge, retry of every dead job) touches: each
/// pass is a request of its own, so a backlog of any size neither holds the writer nor
/// keeps all its pages in one savepoint's journal (in memory).
pub(crate) const PASS_LIMIT: u32 = 1_000;

/// What a job ended on a lease that ran out during its last attempt says.
const CUT_OFF: &str = "its last attempt was cut off (lease ran out)";

fn stored(state: JobState) -> i64 {
    match state {
        JobState::Pending => PENDING,
        JobState::Running => RUNNING,
        JobState::Done => DONE,
        JobState::Dead => DEAD,
    }
}

fn state_of(column: usize, value: i64) -> rusqlite::Result<JobState> {
    match value {
        PENDING => Ok(JobState::Pending),
        RUNNING => Ok(JobState::Running),
        DONE => Ok(JobState::Done),
        DEAD => Ok(JobState::Dead),
        other => Err(rusqlite::Error::IntegralValueOutOfRange(column, other)),
    }
}

/// `ms` as SQLite stores it, saturating.
fn int(ms: u64) -> i64 {
    i64::try_from(ms).unwrap_or(i64::MAX)
}

fn lease_lost(id: &JobId) -> RequestError {
    StoreError::new(
        StoreErrorKind::LeaseLost,
        format_args!("job {id} is leased by another worker, or ended"),
    )
    .into()
}

/// [`JobStore::enqueue`](pwh_core::jobs::JobStore::enqueue) at `now`: each job whose id is not
/// recorded yet, pending and due at once; the others are left as they are.
pub(crate) fn enqueue(tx: &Tx<'_>, jobs: &[NewJob], now: i64) -> Result<(), RequestError> {
    let mut insert = tx.prepare_cached(
        "INSERT OR IGNORE INTO pwh_job (id, handler, kind, payload, key, event, received_ms, \
         max_attempts, state, attempts, at_ms, updated_ms) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 0, ?10, ?10)",
    )?;
    for job in jobs {
        insert.execute(params![
            &job.id.0[..],
            job.handler,
            job.kind,
            job.payload,
            job.key,
            job.index,
            int(job.received_ms),
            job.max_attempts,
            PENDING,
            now,
        ])?;
    }
    Ok(())
}

/// [`JobStore::claim`](pwh_core::jobs::JobStore::claim) at `now`: up to `limit` due jobs of
/// `handlers`, oldest due first, each leased until `now + lease_for` with a new token and an
/// attempt counted; a running job whose lease ran out on its last attempt becomes dead.
pub(crate) fn claim(
    tx: &Tx<'_>,
    handlers: &[String],
    limit: usize,
    lease_for: Duration,
    now: i64,
) -> Result<Vec<ClaimedJob>, RequestError> {
    // First the rows (the cursor stops at the limit), then the writes.
    let (mut take, mut dead) = (Vec::new(), Vec::new());
    {
        let mut due = tx.prepare_cached(DUE)?;
        let mut rows = due.query([now])?;
        while take.len() < limit {
            let Some(row) = rows.next()? else { break };
            let handler: String = row.get(1)?;
            if !handlers.contains(&handler) {
                // A job of a handler this binary lacks waits for one that has it.
                continue;
            }
            let rowid: i64 = row.get(0)?;
            let (attempts, max_attempts, state): (u32, u32, i64) =
                (row.get(2)?, row.get(3)?, row.get(4)?);
            if state == RUNNING && attempts >= max_attempts {
                dead.push(rowid);
            } else {
                take.push(rowid);
            }
        }
    }
    let mut bury = tx.prepare_cached(
        "UPDATE pwh_job SET state = ?2, updated_ms = ?3, last_error = ?4 WHERE rowid = ?1",
    )?;
    for rowid in dead {
        bury.execute(params![rowid, DEAD, now, CUT_OFF])?;
    }
    let mut lease = tx.prepare_cached(
        "UPDATE pwh_job SET state = ?2, attempts = attempts + 1, at_ms = ?3, lease = ?4, \
         updated_ms = ?5 WHERE rowid = ?1 \
         RETURNING id, handler, kind, payload, key, event, received_ms, max_attempts, attempts",
    )?;
    let until = after(now, lease_for);
    let mut claimed = Vec::with_capacity(take.len());
    for rowid in take {
        let token = tx.next_lease()?;
        let (job, attempt) = lease.query_row(params![rowid, RUNNING, until, token, now], |r| {
            Ok((new_job(r)?, r.get::<_, u32>(8)?))
        })?;
        claimed.push(ClaimedJob {
            job,
            lease: LeaseToken(u64::try_from(token).unwrap_or(0)),
            attempt,
        });
    }
    Ok(claimed)
}

/// The job in columns 0..8 of `r`: id, handler, kind, payload, key, event, received_ms,
/// max_attempts.
fn new_job(r: &Row<'_>) -> rusqlite::Result<NewJob> {
    Ok(NewJob {
        id: JobId(r.get(0)?),
        handler: r.get(1)?,
        kind: r.get(2)?,
        payload: r.get(3)?,
        key: r.get(4)?,
        index: r.get(5)?,
        received_ms: u64::try_from(r.get::<_, i64>(6)?).unwrap_or(0),
        max_attempts: r.get(7)?,
    })
}

/// [`JobStore::renew`](pwh_core::jobs::JobStore::renew) at `now`: the lease of a running job
/// held by `lease` (the current token: also past its lease while nobody claimed the job)
/// extended to `now + lease_for`.
pub(crate) fn renew(
    tx: &Tx<'_>,
    id: &JobId,
    lease: LeaseToken,
    lease_for: Duration,
    now: i64,
) -> Result<(), RequestError> {
    let Ok(token) = i64::try_from(lease.0) else {
        return Err(lease_lost(id));
    };
    let renewed = tx
        .prepare_cached(
            "UPDATE pwh_job SET at_ms = ?3 WHERE id = ?1 AND state = ?4 AND lease = ?2",
        )?
        .execute(params![&id.0[..], token, after(now, lease_for), RUNNING])?;
    if renewed == 1 {
        Ok(())
    } else {
        Err(lease_lost(id))
    }
}

/// [`JobStore::end`](pwh_core::jobs::JobStore::end) at `now`: the attempt of the running job
/// held by `lease` ends as `end` says.
pub(crate) fn end(
    tx: &Tx<'_>,
    id: &JobId,
    lease: LeaseToken,
    end: &JobEnd,
    now: i64,
) -> Result<(), RequestError> {
    let Ok(token) = i64::try_from(lease.0) else {
        return Err(lease_lost(id));
    };
    let (state, at_ms, error) = match end {
        JobEnd::Done => (DONE, now, None),
        JobEnd::Retry { after: wait, error } => (PENDING, after(now, *wait), Some(error)),
        JobEnd::Dead { error } => (DEAD, now, Some(error)),
    };
    let ended = tx
        .prepare_cached(
            "UPDATE pwh_job SET state = ?3, at_ms = ?4, last_error = coalesce(?5, last_error), \
             updated_ms = ?6 WHERE id = ?1 AND state = ?7 AND lease = ?2",
        )?
        .execute(params![&id.0[..], token, state, at_ms, error, now, RUNNING])?;
    if ended == 1 {
        Ok(())
    } else {
        Err(lease_lost(id))
    }
}

/// [`JobStore::list`](pwh_core::jobs::JobStore::list): the jobs `query` asks for, oldest
/// (first enqueued) first.
pub(crate) fn list(tx: &Tx<'_>, query: &JobQuery) -> Result<Vec<JobInfo>, RequestError> {
    const COLUMNS: &str = "SELECT id, handler, kind, state, attempts, max_attempts, \
         received_ms, updated_ms, last_error, CASE WHEN ?1 THEN payload END FROM pwh_job";
    let limit = i64::try_from(query.limit).unwrap_or(i64::MAX);
    let read = |r: &Row<'_>| -> rusqlite::Result<JobInfo> {
        Ok(JobInfo {
            id: JobId(r.get(0)?),
            handler: r.get(1)?,
            kind: r.get(2)?,
            state: state_of(3, r.get(3)?)?,
            attempts: r.get(4)?,
            max_attempts: r.get(5)?,
            received_ms: u64::try_from(r.get::<_, i64>(6)?).unwrap_or(0),
            updated_ms: u64::try_from(r.get::<_, i64>(7)?).unwrap_or(0),
            last_error: r.get(8)?,
            payload: r.get(9)?,
        })
    };
    let listed = match query.state {
        Some(state) => tx
            .prepare_cached(&format!(
                "{COLUMNS} WHERE state = ?2 ORDER BY rowid LIMIT ?3"
            ))?
            .query_map(params![query.with_payload, stored(state), limit], read)?
            .collect::<rusqlite::Result<Vec<_>>>()?,
        None => tx
            .prepare_cached(&format!("{COLUMNS} ORDER BY rowid LIMIT ?2"))?
            .query_map(params![query.with_payload, limit], read)?
            .collect::<rusqlite::Result<Vec<_>>>()?,
    };
    Ok(listed)
}

/// [`JobStore::counts`](pwh_core::jobs::JobStore::counts).
pub(crate) fn counts(tx: &Tx<'_>) -> Result<JobCounts, RequestError> {
    let mut counts = JobCounts::default();
    let mut by_state = tx.prepare_cached("SELECT state, count(*) FROM pwh_job GROUP BY state")?;
    let mut rows = by_state.query([])?;
    while let Some(row) = rows.next()? {
        let n = u64::try_from(row.get::<_, i64>(1)?).unwrap_or(0);
        match state_of(0, row.get(0)?)? {
            JobState::Pending => counts.pending = n,
            JobState::Running => counts.running = n,
            JobState::Done => counts.done = n,
            JobState::Dead => counts.dead = n,
        }
    }
    Ok(counts)
}

/// [`JobStore::retry`](pwh_core::jobs::JobStore::retry) at `now`: the dead job `id` (up to
/// [`PASS_LIMIT`] jobs dead by `now` when `None`: one pass; the passes of one retry share
/// their `now`, so jobs dying meanwhile do not keep it going) pending again, due at once,
/// with fresh attempts.
pub(crate) fn retry(tx: &Tx<'_>, id: Option<&JobId>, now: i64) -> Result<u64, RequestError> {
    const SET: &str = "UPDATE pwh_job SET state = ?1, attempts = 0, at_ms = ?2, updated_ms = ?2";
    let n = match id {
        Some(id) => tx
            .prepare_cached(&format!("{SET} WHERE state = ?3 AND id = ?4"))?
            .execute(params![PENDING, now, DEAD, &id.0[..]])?,
        None => tx
            .prepare_cached(&format!(
                "{SET} WHERE rowid IN \
                 (SELECT rowid FROM pwh_job WHERE state = ?3 AND updated_ms <= ?2 LIMIT ?4)"
            ))?
            .execute(params![PENDING, now, DEAD, PASS_LIMIT])?,
    };
    Ok(n as u64)
}

/// [`JobStore::discard`](pwh_core::jobs::JobStore::discard): whether there was a job `id`.
pub(crate) fn discard(tx: &Tx<'_>, id: &JobId) -> Result<bool, RequestError> {
    let n = tx
        .prepare_cached("DELETE FROM pwh_job WHERE id = ?1")?
        .execute([&id.0[..]])?;
    Ok(n == 1)
}

/// [`JobStore::purge`](pwh_core::jobs::JobStore::purge) at `now`: up to [`PASS_LIMIT`]
/// jobs in `state` unchanged for `older_than` deleted (one pass); how many.
pub(crate) fn purge(
    tx: &Tx<'_>,
    state: JobState,
    older_than: Duration,
    now: i64,
) -> Result<u64, RequestError> {
    let n = tx
        .prepare_cached(
            "DELETE FROM pwh_job WHERE rowid IN \
             (SELECT rowid FROM pwh_job WHERE state = ?1 AND updated_ms <= ?2 LIMIT ?3)",
        )?
        .execute(params![stored(state), before(now, older_than), PASS_LIMIT])?;
    Ok(n as u64)
}
