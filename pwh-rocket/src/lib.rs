#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_auto_cfg))]
#![cfg_attr(
    not(test),
    warn(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

mod body;
mod endpoint;
mod fairing;
mod guard;
mod headers;
mod rejection;
mod reply;
#[cfg(test)]
mod test_support;

pub use body::LIMIT;
pub use fairing::Webhooks;
pub use guard::{VerifiedWebhook, WebhookRejection};
