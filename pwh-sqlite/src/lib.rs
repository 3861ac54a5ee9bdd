#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_auto_cfg))]
#![cfg_attr(
    not(test),
    warn(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

mod builder;
mod clock;
mod delivery_log;
mod delivery_sql;
mod fencing;
mod job_store;
mod jobs_sql;
mod open_error;
mod request_error;
mod schema;
mod store;
mod synchronous;
mod tx;
mod writer;

pub use builder::SqliteStoreBuilder;
pub use open_error::OpenError;
pub use store::SqliteStore;
pub use synchronous::Synchronous;
