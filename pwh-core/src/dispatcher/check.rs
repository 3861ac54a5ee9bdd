//! The request check: everything before the handlers (method, size, signature, parse,
//! freshness).

use crate::clock::Clock;
use crate::delivery::DeliveryId;
use crate::keyring::KeyRing;
use crate::rejection::Rejection;
use crate::webhook::Webhook;

/// What the request check limits.
pub(crate) struct Limits {
    pub(crate) body_limit: usize,
    pub(crate) max_age_ms: Option<u64>,
}

/// A request that passed the check.
pub(crate) struct Checked<'b> {
    /// The key of the token that signed it.
    pub(crate) key: &'b str,
    /// The body's id in its app, naming it across deliveries.
    pub(crate) id: DeliveryId,
    /// The parsed body.
    pub(crate) webhook: Webhook<'b>,
    /// When it was checked, by the dispatcher's clock.
    pub(crate) now_ms: u64,
}

/// Checks method, size, signature (before any parsing), body and freshness, in that order.
pub(crate) fn check<'b>(
    keys: &'b KeyRing,
    clock: &dyn Clock,
    limits: &Limits,
    method: &str,
    key: Option<&str>,
    signature: Option<&str>,
    body: &'b [u8],
) -> Result<Checked<'b>, Rejection> {
    if method != "POST" {
        return Err(Rejection::MethodNotAllowed {
            method: method.chars().take(16).collect(),
        });
    }
    if body.len() > limits.body_limit {
        return Err(Rejection::PayloadTooLarge {
            limit: limits.body_limit,
        });
    }
    let verified = keys.verify(key, signature, body)?;
    let webhook = Webhook::parse(body)?;
    let now_ms = clock.now_ms();
    if let Some(max_age_ms) = limits.max_age_ms {
        let time_ms = webhook.time_ms();
        let age_ms = now_ms.saturating_sub(time_ms);
        if age_ms > max_age_ms {
            return Err(Rejection::Stale { age_ms, max_age_ms });
        }
        let ahead_ms = time_ms.saturating_sub(now_ms);
        if ahead_ms > max_age_ms {
            return Err(Rejection::FromTheFuture {
                ahead_ms,
                max_age_ms,
            });
        }
    }
    Ok(Checked {
        key: verified.token().key(),
        id: DeliveryId::of(verified.token().app(), body),
        webhook,
        now_ms,
    })
}

/// Logs a refused request at `warn`: its status, the reason, and the key when there is one.
pub(crate) fn log_rejection(rejection: &Rejection, key: Option<&str>) {
    // A key that names no token is the sender's text: log only a short, printable prefix.
    let key = key.map(|k| {
        k.chars()
            .take(32)
            .filter(|c| !c.is_control())
            .collect::<String>()
    });
    tracing::warn!(
        status = rejection.status().as_u16(),
        reason = %rejection,
        key = key.as_deref(),
        "rejected Pusher webhook"
    );
}
