#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_auto_cfg))]
#![cfg_attr(
    not(test),
    warn(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

mod builder;
mod jobs;
mod log;
mod scripts;
mod target;

pub use builder::{OpenError, RedisLogBuilder};
pub use jobs::{RedisJobs, RedisJobsBuilder};
pub use log::RedisLog;
pub use scripts::Keys;
pub use target::cluster_nodes;
