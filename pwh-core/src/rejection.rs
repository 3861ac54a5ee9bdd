//! Why a request was refused before any handler ran.

use http::StatusCode;

/// Why a request was refused before any handler ran, with the status code it is answered with.
///
/// The messages say what is wrong and never contain the body or a secret, so they are safe to
/// log (the dispatcher logs them at `warn`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Rejection {
    /// The method is not `POST` (405).
    #[error("method {method} not allowed: Pusher webhooks are POSTed")]
    MethodNotAllowed {
        /// The method received.
        method: String,
    },
    /// The body is larger than the configured limit (413).
    #[error("body larger than the {limit}-byte limit")]
    PayloadTooLarge {
        /// The configured limit, in bytes.
        limit: usize,
    },
    /// No `X-Pusher-Key` header (401).
    #[error("missing X-Pusher-Key header")]
    MissingKey,
    /// `X-Pusher-Key` names no configured token (401).
    #[error("X-Pusher-Key names no configured token")]
    UnknownKey,
    /// No or an empty `X-Pusher-Signature` header (401).
    #[error("missing X-Pusher-Signature header")]
    MissingSignature,
    /// `X-Pusher-Signature` is not a 64-digit hex HMAC-SHA256 (401).
    #[error("malformed X-Pusher-Signature: {reason}")]
    MalformedSignature {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The signature does not match the body under the named token's secret (401).
    #[error("X-Pusher-Signature does not match the body")]
    SignatureMismatch,
    /// `time_ms` is older than the maximum age (401): a replay or a very late delivery.
    #[error("webhook is {age_ms} ms old, more than the {max_age_ms} ms allowed")]
    Stale {
        /// How old the webhook is.
        age_ms: u64,
        /// The configured maximum age.
        max_age_ms: u64,
    },
    /// `time_ms` is further in the future than the maximum age (401): the sender's clock or
    /// ours is wrong.
    #[error("webhook is {ahead_ms} ms in the future, more than the {max_age_ms} ms allowed (clock skew)")]
    FromTheFuture {
        /// How far ahead of our clock `time_ms` is.
        ahead_ms: u64,
        /// The configured maximum age.
        max_age_ms: u64,
    },
    /// Authenticated, but the body is not a Pusher webhook (400).
    #[error("not a Pusher webhook: {reason}")]
    Malformed {
        /// Which part is wrong (never the body's content).
        reason: String,
    },
    /// The body failed to arrive whole, e.g. the client went away mid-body (400). Refused by
    /// an adapter while reading, through [`Endpoint::refuse`](crate::adapter::Endpoint::refuse).
    #[error("could not read the request body")]
    UnreadableBody {
        /// The transport's error (logged at `debug`, never sent to the client).
        cause: String,
    },
    /// The adapter found no dispatcher to hand the request to (500): the application is not
    /// configured as the adapter's documentation says.
    #[error("webhook receiver not configured")]
    NotConfigured,
}

impl Rejection {
    /// A short, fixed name of the reason, for metrics and log fields.
    pub fn label(&self) -> &'static str {
        match self {
            Self::MethodNotAllowed { .. } => "method_not_allowed",
            Self::PayloadTooLarge { .. } => "payload_too_large",
            Self::MissingKey => "missing_key",
            Self::UnknownKey => "unknown_key",
            Self::MissingSignature => "missing_signature",
            Self::MalformedSignature { .. } => "malformed_signature",
            Self::SignatureMismatch => "signature_mismatch",
            Self::Stale { .. } => "stale",
            Self::FromTheFuture { .. } => "clock_skew",
            Self::Malformed { .. } => "malformed",
            Self::UnreadableBody { .. } => "unreadable_body",
            Self::NotConfigured => "not_configured",
        }
    }

    /// The HTTP status this rejection is answered with.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Malformed { .. } | Self::UnreadableBody { .. } => StatusCode::BAD_REQUEST,
            Self::NotConfigured => StatusCode::INTERNAL_SERVER_ERROR,
            Self::MissingKey
            | Self::UnknownKey
            | Self::MissingSignature
            | Self::MalformedSignature { .. }
            | Self::SignatureMismatch
            | Self::Stale { .. }
            | Self::FromTheFuture { .. } => StatusCode::UNAUTHORIZED,
        }
    }

    /// A body that failed to arrive: `cause` is the transport's error.
    pub fn unreadable_body(cause: impl std::fmt::Display) -> Self {
        Self::UnreadableBody {
            cause: cause.to_string(),
        }
    }

    pub(crate) fn malformed(reason: impl Into<String>) -> Self {
        Self::Malformed {
            reason: reason.into(),
        }
    }
}
