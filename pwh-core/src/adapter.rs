//! For framework adapters and hand-written endpoints: the adapter's view of a dispatcher
//! ([`Endpoint`]), the request headers it reads ([`Headers`]), what it refuses
//! ([`Rejection`]), and what it answers ([`WebhookResponse`], with the
//! [`WebhookOutcome`] of a handled webhook).
//!
//! Handler authors never need this module; `pwh-axum`, `pwh-rocket` and `pwh-actix` are
//! built on it.

pub use crate::dispatcher::Endpoint;
pub use crate::headers::{Headers, KEY as KEY_HEADER, SIGNATURE as SIGNATURE_HEADER};
pub use crate::outcome::{HandlerRun, RunResult, Verdict, WebhookOutcome};
pub use crate::rejection::Rejection;
pub use crate::response::WebhookResponse;

// The types every adapter exposes, declared once so that they have the same shape in each.

/// Declares an adapter's `VerifiedWebhook` (a verified webhook, owned, with the key that
/// signed it) and `WebhookRejection` (a [`Rejection`], displayed with the
/// adapter's configuration hint when it is [`NotConfigured`](Rejection::NotConfigured)),
/// each with the adapter's own docs. The adapter implements its framework's traits on them.
///
/// Not public API: for pwh's adapters only.
#[doc(hidden)]
#[macro_export]
macro_rules! __adapter_types {
    (
        $(#[$verified:meta])*
        pub struct VerifiedWebhook;
        $(#[$rejection:meta])*
        pub struct WebhookRejection $({ not_configured: $hint:literal })?;
    ) => {
        $(#[$verified])*
        #[derive(Debug, Clone, PartialEq)]
        pub struct VerifiedWebhook {
            webhook: $crate::Webhook<'static>,
        }

        impl VerifiedWebhook {
            /// A webhook the dispatcher verified.
            pub(crate) fn new(webhook: $crate::Webhook<'_>) -> Self {
                Self {
                    webhook: webhook.into_owned(),
                }
            }

            /// The webhook: its `time_ms` and its events, in body order.
            pub fn webhook(&self) -> &$crate::Webhook<'static> {
                &self.webhook
            }

            /// The key of the token that signed it (`X-Pusher-Key`), to tell apps apart.
            pub fn key(&self) -> &str {
                self.webhook.key().unwrap_or_default()
            }

            /// The webhook, by value.
            pub fn into_inner(self) -> $crate::Webhook<'static> {
                self.webhook
            }
        }

        impl ::std::ops::Deref for VerifiedWebhook {
            type Target = $crate::Webhook<'static>;

            fn deref(&self) -> &Self::Target {
                &self.webhook
            }
        }

        impl ::std::convert::AsRef<$crate::Webhook<'static>> for VerifiedWebhook {
            fn as_ref(&self) -> &$crate::Webhook<'static> {
                &self.webhook
            }
        }

        $(#[$rejection])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct WebhookRejection($crate::adapter::Rejection);

        impl WebhookRejection {
            /// Why the request was refused.
            pub fn rejection(&self) -> &$crate::adapter::Rejection {
                &self.0
            }

            /// Why the request was refused, by value.
            pub fn into_rejection(self) -> $crate::adapter::Rejection {
                self.0
            }

            /// The answer to send: status, headers and plain-text body, the same in every
            /// adapter.
            pub fn response(&self) -> $crate::adapter::WebhookResponse {
                $crate::adapter::WebhookResponse::from(self.0.clone())
            }
        }

        impl ::std::convert::From<$crate::adapter::Rejection> for WebhookRejection {
            fn from(rejection: $crate::adapter::Rejection) -> Self {
                Self(rejection)
            }
        }

        impl ::std::fmt::Display for WebhookRejection {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                match &self.0 {
                    $($crate::adapter::Rejection::NotConfigured => f.write_str($hint),)?
                    rejection => ::std::fmt::Display::fmt(rejection, f),
                }
            }
        }

        impl ::std::error::Error for WebhookRejection {}
    };
}
