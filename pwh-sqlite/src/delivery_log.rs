//! [`SqliteStore`] as a [`DeliveryLog`]: each step of a delivery is one request to the writer.

use pwh_core::delivery::{
    Begin, DeliveryId, DeliveryLog, Done, LeaseTerms, LeaseToken, StoreFuture,
};

use crate::clock::now_ms;
use crate::delivery_sql::{self, Record};
use crate::store::SqliteStore;

impl DeliveryLog for SqliteStore {
    fn begin<'a>(&'a self, id: &'a DeliveryId, terms: LeaseTerms) -> StoreFuture<'a, Begin> {
        let id = *id;
        StoreFuture::new(
            self.inner
                .writer
                .call(move |tx| delivery_sql::begin(tx, &id, &terms, now_ms())),
        )
    }

    fn renew<'a>(
        &'a self,
        id: &'a DeliveryId,
        lease: LeaseToken,
        terms: LeaseTerms,
    ) -> StoreFuture<'a, bool> {
        let id = *id;
        StoreFuture::new(
            self.inner
                .writer
                .call(move |tx| delivery_sql::renew(tx, &id, lease, &terms, now_ms())),
        )
    }

    fn finish<'a>(
        &'a self,
        id: &'a DeliveryId,
        lease: LeaseToken,
        done: Done<'a>,
    ) -> StoreFuture<'a, ()> {
        let id = *id;
        let record = Record::of(done);
        StoreFuture::new(
            self.inner
                .writer
                .call(move |tx| delivery_sql::finish(tx, &id, lease, &record, now_ms())),
        )
    }

    /// A clone: the writer thread does not depend on any runtime, so renewals go on while
    /// the app's runtime workers are blocked.
    fn renewal_handle(&self) -> Option<Box<dyn DeliveryLog>> {
        Some(Box::new(self.clone()))
    }
}
