//! [`JobStore`] for [`RedisJobs`]: each operation is one script call, its reply read back.

use std::time::Duration;

use pwh_core::delivery::{LeaseToken, StoreError, StoreErrorKind, StoreFuture};
use pwh_core::jobs::{
    ClaimedJob, JobCounts, JobEnd, JobId, JobInfo, JobQuery, JobState, JobStore, NewJob,
};
use redis::{FromRedisValue, Value};

use super::reply::{self, unexpected};
use super::scripts::LAYOUT_VERSION;
use super::RedisJobs;
use crate::target::ScriptCall;

/// Jobs per enqueue script: a large body's jobs go in several calls (each job is recorded
/// once whichever call records it).
const ENQUEUE_CHUNK: usize = 256;
/// The most jobs one claim takes.
const MAX_CLAIM: usize = 1000;

/// The most jobs one call of a bulk change (purge, retry of every dead job) touches: a script
/// blocks Redis while it runs, so a backlog is taken in passes of this many.
const PASS_LIMIT: u64 = 1000;

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

fn lease_lost(id: &JobId) -> StoreError {
    StoreError::new(
        StoreErrorKind::LeaseLost,
        format_args!("job {id} is leased by another worker, or ended"),
    )
}

/// A script's refusal of the layout version `found` (its `PWHLAYOUT` error), said plainly.
pub(super) fn layout_error(found: &str) -> StoreError {
    let found: String = found.chars().take(20).collect();
    StoreError::new(
        StoreErrorKind::Failed,
        format_args!(
            "redis: the deferred jobs under this prefix use key layout version {found}, and \
             this pwh-redis reads version {LAYOUT_VERSION}: point it at another prefix or \
             database, or run the pwh-redis that wrote them"
        ),
    )
}

impl RedisJobs {
    /// Runs one script call.
    async fn call<T: FromRedisValue>(&self, cmd: &ScriptCall<'_>) -> Result<T, StoreError> {
        self.inner.connections.run(cmd).await
    }

    async fn enqueue_on(&self, jobs: &[NewJob]) -> Result<(), StoreError> {
        for chunk in jobs.chunks(ENQUEUE_CHUNK) {
            let mut cmd = self.eval(&self.inner.scripts.enqueue);
            for job in chunk {
                cmd.arg(job.id.to_string())
                    .arg(&job.handler)
                    .arg(&job.kind)
                    .arg(&job.payload)
                    .arg(&job.key)
                    .arg(job.index)
                    .arg(job.received_ms)
                    .arg(job.max_attempts);
            }
            let reply: Vec<Value> = self.call(&cmd).await?;
            let epoch = match reply.get(1) {
                Some(Value::BulkString(epoch)) => String::from_utf8(epoch.clone()).ok(),
                _ => None,
            };
            self.note_epoch(epoch, false);
        }
        Ok(())
    }

    async fn claim_on(
        &self,
        handlers: &[&str],
        limit: usize,
        lease_for: Duration,
    ) -> Result<Vec<ClaimedJob>, StoreError> {
        if handlers.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        let mut cmd = self.eval(&self.inner.scripts.claim);
        cmd.arg(&self.inner.consumer)
            .arg(limit.min(MAX_CLAIM))
            .arg(millis(lease_for).max(1));
        for handler in handlers {
            cmd.arg(*handler);
        }
        let reply: Vec<Value> = self.call(&cmd).await?;
        let claimed = reply::claimed(&reply).ok_or_else(|| unexpected("claim"))?;
        self.note_epoch(claimed.epoch, claimed.group_recreated);
        Ok(claimed.jobs)
    }

    async fn renew_on(
        &self,
        id: &JobId,
        lease: LeaseToken,
        lease_for: Duration,
    ) -> Result<(), StoreError> {
        let mut cmd = self.eval(&self.inner.scripts.renew);
        cmd.arg(id.to_string())
            .arg(lease.0)
            .arg(millis(lease_for).max(1));
        match self.call::<i64>(&cmd).await? {
            1 => Ok(()),
            _ => Err(lease_lost(id)),
        }
    }

    async fn end_on(&self, id: &JobId, lease: LeaseToken, end: JobEnd) -> Result<(), StoreError> {
        let mut cmd = self.eval(&self.inner.scripts.end);
        cmd.arg(id.to_string()).arg(lease.0);
        match end {
            JobEnd::Done => cmd.arg("done").arg(0).arg(""),
            JobEnd::Retry { after, error } => cmd.arg("retry").arg(millis(after)).arg(error),
            JobEnd::Dead { error } => cmd.arg("dead").arg(0).arg(error),
        };
        match self.call::<i64>(&cmd).await? {
            1 => Ok(()),
            _ => Err(lease_lost(id)),
        }
    }

    async fn list_on(&self, query: &JobQuery) -> Result<Vec<JobInfo>, StoreError> {
        if query.limit == 0 {
            return Ok(Vec::new());
        }
        let mut cmd = self.eval(&self.inner.scripts.list);
        let limit = i64::try_from(query.limit).unwrap_or(-1);
        cmd.arg(query.state.map_or("", |s| s.as_str()))
            .arg(limit)
            .arg(if query.with_payload { "1" } else { "0" });
        let reply: Vec<Value> = self.call(&cmd).await?;
        reply::listed(&reply, query.with_payload).ok_or_else(|| unexpected("list"))
    }

    async fn counts_on(&self) -> Result<JobCounts, StoreError> {
        let cmd = self.eval(&self.inner.scripts.counts);
        match self.call::<Vec<u64>>(&cmd).await?[..] {
            [pending, running, done, dead] => Ok(JobCounts {
                pending,
                running,
                done,
                dead,
            }),
            _ => Err(unexpected("counts")),
        }
    }

    async fn retry_on(&self, id: Option<&JobId>) -> Result<u64, StoreError> {
        let id = id.map(JobId::to_string).unwrap_or_default();
        let every = id.is_empty();
        self.in_passes(every, || {
            let mut cmd = self.eval(&self.inner.scripts.retry);
            cmd.arg(&id).arg(PASS_LIMIT);
            cmd
        })
        .await
    }

    async fn discard_on(&self, id: &JobId) -> Result<bool, StoreError> {
        let mut cmd = self.eval(&self.inner.scripts.discard);
        cmd.arg(id.to_string());
        Ok(self.call::<i64>(&cmd).await? == 1)
    }

    async fn purge_on(&self, state: JobState, older_than: Duration) -> Result<u64, StoreError> {
        self.in_passes(true, || {
            let mut cmd = self.eval(&self.inner.scripts.purge);
            cmd.arg(state.as_str())
                .arg(millis(older_than))
                .arg(PASS_LIMIT);
            cmd
        })
        .await
    }

    /// Calls the script `pass` makes, again while `again` and a call changed
    /// [`PASS_LIMIT`] jobs; how many they changed in all.
    async fn in_passes<'a>(
        &'a self,
        again: bool,
        pass: impl Fn() -> ScriptCall<'a>,
    ) -> Result<u64, StoreError> {
        let mut total = 0;
        loop {
            let n: u64 = self.call(&pass()).await?;
            total += n;
            if !again || n < PASS_LIMIT {
                return Ok(total);
            }
        }
    }
}

impl JobStore for RedisJobs {
    fn enqueue<'a>(&'a self, jobs: &'a [NewJob]) -> StoreFuture<'a, ()> {
        StoreFuture::new(self.enqueue_on(jobs))
    }

    fn claim<'a>(
        &'a self,
        handlers: &'a [&'a str],
        limit: usize,
        lease_for: Duration,
    ) -> StoreFuture<'a, Vec<ClaimedJob>> {
        StoreFuture::new(self.claim_on(handlers, limit, lease_for))
    }

    fn renew<'a>(
        &'a self,
        id: &'a JobId,
        lease: LeaseToken,
        lease_for: Duration,
    ) -> StoreFuture<'a, ()> {
        StoreFuture::new(self.renew_on(id, lease, lease_for))
    }

    fn end<'a>(&'a self, id: &'a JobId, lease: LeaseToken, end: JobEnd) -> StoreFuture<'a, ()> {
        StoreFuture::new(self.end_on(id, lease, end))
    }

    fn list<'a>(&'a self, query: &'a JobQuery) -> StoreFuture<'a, Vec<JobInfo>> {
        StoreFuture::new(self.list_on(query))
    }

    fn counts(&self) -> StoreFuture<'_, JobCounts> {
        StoreFuture::new(self.counts_on())
    }

    fn retry<'a>(&'a self, id: Option<&'a JobId>) -> StoreFuture<'a, u64> {
        StoreFuture::new(self.retry_on(id))
    }

    fn discard<'a>(&'a self, id: &'a JobId) -> StoreFuture<'a, bool> {
        StoreFuture::new(self.discard_on(id))
    }

    fn purge(&self, state: JobState, older_than: Duration) -> StoreFuture<'_, u64> {
        StoreFuture::new(self.purge_on(state, older_than))
    }

    /// `true`: the jobs survive a restart of the app, and of Redis as far as its persistence
    /// goes (AOF with `appendfsync everysec` loses at most the last second's writes; without
    /// persistence a restart of Redis loses every job, which the store detects and logs).
    fn is_durable(&self) -> bool {
        true
    }
}
