#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_auto_cfg))]
#![cfg_attr(
    not(test),
    warn(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

mod builder;
mod delivery_sql;
mod log;
mod open_error;
mod request_error;
mod schema;
mod synchronous;
mod writer;

pub use builder::SqliteLogBuilder;
pub use log::SqliteLog;
pub use open_error::OpenError;
pub use synchronous::Synchronous;
