//! [`SqliteStore`] as a [`JobStore`]: each call is one request to the writer, so the
//! enqueues of many webhooks share a commit with each other and with their delivery records.

use std::time::Duration;

use pwh_core::delivery::{LeaseToken, StoreError, StoreFuture};
use pwh_core::jobs::{
    ClaimedJob, JobCounts, JobEnd, JobId, JobInfo, JobQuery, JobState, JobStore, NewJob,
};

use crate::clock::now_ms;
use crate::jobs_sql;
use crate::request_error::RequestError;
use crate::store::SqliteStore;
use crate::tx::Tx;

impl JobStore for SqliteStore {
    fn enqueue<'a>(&'a self, jobs: &'a [NewJob]) -> StoreFuture<'a, ()> {
        let jobs = jobs.to_vec();
        StoreFuture::new(
            self.inner
                .writer
                .call(move |tx| jobs_sql::enqueue(tx, &jobs, now_ms())),
        )
    }

    fn claim<'a>(
        &'a self,
        handlers: &'a [&'a str],
        limit: usize,
        lease_for: Duration,
    ) -> StoreFuture<'a, Vec<ClaimedJob>> {
        if limit == 0 || handlers.is_empty() {
            return StoreFuture::ready(Ok(Vec::new()));
        }
        let handlers: Vec<String> = handlers.iter().map(|&h| h.to_owned()).collect();
        StoreFuture::new(
            self.inner
                .writer
                .call(move |tx| jobs_sql::claim(tx, &handlers, limit, lease_for, now_ms())),
        )
    }

    fn renew<'a>(
        &'a self,
        id: &'a JobId,
        lease: LeaseToken,
        lease_for: Duration,
    ) -> StoreFuture<'a, ()> {
        let id = *id;
        StoreFuture::new(
            self.inner
                .writer
                .call(move |tx| jobs_sql::renew(tx, &id, lease, lease_for, now_ms())),
        )
    }

    fn end<'a>(&'a self, id: &'a JobId, lease: LeaseToken, end: JobEnd) -> StoreFuture<'a, ()> {
        let id = *id;
        StoreFuture::new(
            self.inner
                .writer
                .call(move |tx| jobs_sql::end(tx, &id, lease, &end, now_ms())),
        )
    }

    fn list<'a>(&'a self, query: &'a JobQuery) -> StoreFuture<'a, Vec<JobInfo>> {
        let query = query.clone();
        StoreFuture::new(self.inner.writer.call(move |tx| jobs_sql::list(tx, &query)))
    }

    fn counts(&self) -> StoreFuture<'_, JobCounts> {
        StoreFuture::new(self.inner.writer.call(jobs_sql::counts))
    }

    fn retry<'a>(&'a self, id: Option<&'a JobId>) -> StoreFuture<'a, u64> {
        match id.copied() {
            Some(id) => StoreFuture::new(
                self.inner
                    .writer
                    .call(move |tx| jobs_sql::retry(tx, Some(&id), now_ms())),
            ),
            // A retried job is no longer dead, so each pass takes the next ones.
            None => StoreFuture::new(self.in_passes(|tx, now| jobs_sql::retry(tx, None, now))),
        }
    }

    fn discard<'a>(&'a self, id: &'a JobId) -> StoreFuture<'a, bool> {
        let id = *id;
        StoreFuture::new(self.inner.writer.call(move |tx| jobs_sql::discard(tx, &id)))
    }

    fn purge(&self, state: JobState, older_than: Duration) -> StoreFuture<'_, u64> {
        StoreFuture::new(self.in_passes(move |tx, now| jobs_sql::purge(tx, state, older_than, now)))
    }

    /// Yes: a job is answered as recorded once its transaction is committed to the file
    /// (see [`Synchronous`](crate::Synchronous) for what survives a power cut).
    fn is_durable(&self) -> bool {
        true
    }
}

impl SqliteStore {
    /// Runs `pass` as requests of their own, each at the same `now`, until one changes fewer
    /// than [`PASS_LIMIT`](jobs_sql::PASS_LIMIT) jobs; how many they changed in all.
    async fn in_passes<F>(&self, pass: F) -> Result<u64, StoreError>
    where
        F: Fn(&Tx<'_>, i64) -> Result<u64, RequestError> + Clone + Send + 'static,
    {
        let now = now_ms();
        let mut total = 0;
        loop {
            let pass = pass.clone();
            let n = self.inner.writer.call(move |tx| pass(tx, now)).await?;
            total += n;
            if n < u64::from(jobs_sql::PASS_LIMIT) {
                return Ok(total);
            }
        }
    }
}
