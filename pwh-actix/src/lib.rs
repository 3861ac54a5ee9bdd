#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_auto_cfg))]
#![cfg_attr(
    not(test),
    warn(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

mod endpoint;
mod extract;
mod reply;

pub use endpoint::webhooks;
pub use extract::{VerifiedWebhook, WebhookRejection};
