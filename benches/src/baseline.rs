//! The hand-written baseline: the minimum a careful user would write to receive Pusher
//! webhooks without pwh.
//!
//! It checks the key and the body size, decodes the hex signature, verifies the HMAC-SHA256 in
//! constant time (`verify_slice`), parses the body once into a borrowing struct, checks the
//! freshness of `time_ms`, and calls a no-op for each event by matching on its name. It keeps
//! no delivery memory, catches no panic, bounds nothing by a deadline and reports no
//! per-handler outcome: those are what pwh adds.

use std::borrow::Cow;

use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;

use crate::{header, on_kind};

#[derive(Deserialize)]
struct Hook<'a> {
    time_ms: u64,
    #[serde(borrow)]
    events: Vec<Event<'a>>,
}

#[derive(Deserialize)]
struct Event<'a> {
    #[serde(borrow)]
    name: Cow<'a, str>,
    // serde borrows a `Cow<str>` field, but not one inside an `Option`: the newtype keeps it
    // borrowed (an allocation only for a string with escapes).
    #[serde(borrow, default)]
    channel: Option<Text<'a>>,
}

#[derive(Deserialize)]
struct Text<'a>(#[serde(borrow)] Cow<'a, str>);

/// Why the baseline refused a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// 401: wrong or missing key or signature, or a stale `time_ms`.
    Unauthorized,
    /// 400: not a webhook.
    BadRequest,
    /// 413: over the 1 MiB limit.
    TooLarge,
}

/// A hand-written receiver for one token.
#[derive(Debug, Clone)]
pub struct Baseline {
    key: String,
    secret: Vec<u8>,
    max_age_ms: u64,
}

impl Baseline {
    /// A receiver for the token `key`/`secret` refusing webhooks older than `max_age_ms`.
    pub fn new(key: &str, secret: &str, max_age_ms: u64) -> Self {
        Self {
            key: key.to_owned(),
            secret: secret.as_bytes().to_vec(),
            max_age_ms,
        }
    }

    /// Verifies, parses and handles one webhook; the number of events handled.
    ///
    /// # Errors
    ///
    /// [`Refused`] with the status the request deserves.
    pub fn handle(
        &self,
        headers: &[(&str, &str)],
        body: &[u8],
        now_ms: u64,
    ) -> Result<usize, Refused> {
        if body.len() > 1 << 20 {
            return Err(Refused::TooLarge);
        }
        if header(headers, "x-pusher-key").map(str::trim) != Some(self.key.as_str()) {
            return Err(Refused::Unauthorized);
        }
        let signature = header(headers, "x-pusher-signature").ok_or(Refused::Unauthorized)?;
        let mut expected = [0u8; 32];
        hex::decode_to_slice(signature.trim(), &mut expected).map_err(|_| Refused::Unauthorized)?;
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.secret).map_err(|_| Refused::Unauthorized)?;
        mac.update(body);
        mac.verify_slice(&expected)
            .map_err(|_| Refused::Unauthorized)?;
        let hook: Hook<'_> = serde_json::from_slice(body).map_err(|_| Refused::BadRequest)?;
        if now_ms.saturating_sub(hook.time_ms) > self.max_age_ms {
            return Err(Refused::Unauthorized);
        }
        for event in &hook.events {
            let channel = event.channel.as_ref().map(|c| c.0.as_ref());
            // A different call per kind, so that the compiler cannot fold the match away.
            match event.name.as_ref() {
                "channel_occupied" => on_kind(0, channel),
                "channel_vacated" => on_kind(1, channel),
                "member_added" => on_kind(2, channel),
                "member_removed" => on_kind(3, channel),
                "client_event" => on_kind(4, channel),
                "cache_miss" => on_kind(5, channel),
                "subscription_count" => on_kind(6, channel),
                _ => on_kind(7, channel),
            }
        }
        Ok(hook.events.len())
    }
}
