#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_auto_cfg))]
#![cfg_attr(
    not(test),
    warn(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

mod extract;
mod rejection;
mod route;
#[cfg(test)]
mod test_support;

pub use extract::{VerifiedWebhook, WebhookRejection};
pub use route::webhooks;
