//! Test your handlers without a network (feature `testing`).
//!
//! Build a webhook from typed events with [`TestWebhook`], then either deliver it in-process
//! with a [`Harness`] (to every registered handler, or to a chosen set, with a fixed clock) and
//! assert on the [`Delivery`], or take its signed headers and body with
//! [`TestWebhook::signed`] for a test through your web framework's own test client.
//!
//! ```
//! use pwh_core::testing::{Harness, TestWebhook};
//! use pwh_core::{handler, on_event};
//!
//! #[on_event("member_added")]
//! async fn greet(channel: &str, user_id: &str) -> Result<(), String> {
//!     if user_id.is_empty() { return Err("no user".into()) }
//!     Ok(())
//! }
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let harness = Harness::with_handlers([handler!(greet)]);
//! let delivery = harness
//!     .deliver(TestWebhook::new().member_added("presence-room", "42"))
//!     .await;
//! delivery.assert_ok();
//! assert!(delivery.ran("greet"));
//!
//! let failed = harness.deliver(TestWebhook::new().member_added("presence-room", "")).await;
//! assert_eq!(failed.status(), 500);
//! assert_eq!(failed.failure("greet").as_deref(), Some("no user"));
//! # }
//! ```

mod builders;
mod bulk_jobs;
mod counted;
mod data;
mod delivery_log;
mod failing;
mod harness;
mod job_store;
mod recorder;
mod request;
mod shared_delivery;
mod shared_jobs;

use crate::keyring::KeyRing;
use crate::kind::PusherEvent;
use crate::token::Token;

pub use counted::Counted;
pub use data::TestData;
pub use delivery_log::check_delivery_log;
pub use failing::Failing;
pub use harness::{Delivery, Harness};
pub use job_store::check_job_store;
pub use recorder::Recorder;
pub use request::sign;
pub use shared_delivery::check_shared_delivery;
pub use shared_jobs::check_shared_jobs;

/// The key of the token test webhooks are signed with.
pub const TEST_KEY: &str = "pwh-test-key";
/// The secret of the token test webhooks are signed with.
pub const TEST_SECRET: &str = "pwh-test-secret";
/// The `time_ms` of a [`TestWebhook`] unless set: 2024-01-01T00:00:00Z.
pub const TEST_TIME_MS: u64 = 1_704_067_200_000;

/// The token test webhooks are signed with.
pub fn test_token() -> Token {
    Token::new(TEST_KEY, TEST_SECRET)
}

/// A webhook under construction: events in order, a `time_ms`, signed on demand.
#[derive(Debug, Clone, PartialEq)]
#[must_use]
pub struct TestWebhook {
    time_ms: u64,
    events: Vec<serde_json::Value>,
}

impl Default for TestWebhook {
    fn default() -> Self {
        Self::new()
    }
}

impl TestWebhook {
    /// An empty webhook created at [`TEST_TIME_MS`].
    pub fn new() -> Self {
        Self {
            time_ms: TEST_TIME_MS,
            events: Vec::new(),
        }
    }

    /// Sets `time_ms`.
    pub fn time_ms(mut self, time_ms: u64) -> Self {
        self.time_ms = time_ms;
        self
    }

    /// The webhook's `time_ms`.
    pub fn created_ms(&self) -> u64 {
        self.time_ms
    }

    /// Adds an event: a typed [`PusherEvent`] or any JSON object with a `name`.
    ///
    /// Each kind Pusher documents also has a method of its own, taking its fields in order:
    /// [`channel_occupied`](Self::channel_occupied), [`member_added`](Self::member_added),
    /// [`client_event`](Self::client_event), ... (generated from the one definition of the
    /// kinds).
    pub fn event(mut self, event: impl Into<TestEvent>) -> Self {
        self.events.push(event.into().0);
        self
    }

    /// The JSON body, as Pusher would send it.
    pub fn body(&self) -> Vec<u8> {
        serde_json::to_vec(&serde_json::json!({
            "time_ms": self.time_ms,
            "events": self.events,
        }))
        .expect("JSON values always serialize")
    }

    /// The body and the headers that sign it with the [test token](test_token).
    pub fn signed(&self) -> SignedRequest {
        self.signed_by(&test_token())
    }

    /// The body and the headers that sign it with `token`.
    pub fn signed_by(&self, token: &Token) -> SignedRequest {
        let body = self.body();
        let signature = KeyRing::new([token.clone()])
            .sign(token.key(), &body)
            .expect("a key ring signs with the key of its only token");
        SignedRequest {
            headers: vec![
                ("X-Pusher-Key", token.key().to_owned()),
                ("X-Pusher-Signature", signature),
                ("Content-Type", "application/json".to_owned()),
            ],
            body,
        }
    }
}

/// One event for a [`TestWebhook`], as JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct TestEvent(serde_json::Value);

impl From<serde_json::Value> for TestEvent {
    fn from(value: serde_json::Value) -> Self {
        Self(value)
    }
}

impl From<PusherEvent<'_>> for TestEvent {
    fn from(event: PusherEvent<'_>) -> Self {
        Self(match event {
            PusherEvent::Unknown { name } => serde_json::json!({ "name": name }),
            known => serde_json::to_value(known).expect("a typed event always serializes to JSON"),
        })
    }
}

/// A signed request: headers (`X-Pusher-Key`, `X-Pusher-Signature`, `Content-Type`) and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedRequest {
    /// Header names and values.
    pub headers: Vec<(&'static str, String)>,
    /// The raw body.
    pub body: Vec<u8>,
}

impl SignedRequest {
    /// The value of header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Replaces the signature, e.g. to test a forged webhook.
    #[must_use]
    pub fn with_signature(mut self, signature: &str) -> Self {
        for (k, v) in &mut self.headers {
            if k.eq_ignore_ascii_case("x-pusher-signature") {
                *v = signature.to_owned();
            }
        }
        self
    }
}

pub(crate) fn names_match(full: &str, wanted: &str) -> bool {
    full == wanted
        || full
            .strip_suffix(wanted)
            .is_some_and(|prefix| prefix.ends_with("::"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_webhooks_verify_with_the_test_token() {
        let request = TestWebhook::new().channel_vacated("c").signed();
        let keys = KeyRing::new([test_token()]);
        let verified = keys
            .verify(
                request.header("x-pusher-key"),
                request.header("X-PUSHER-SIGNATURE"),
                &request.body,
            )
            .unwrap();
        assert_eq!(verified.token().key(), TEST_KEY);
        let bad = request.with_signature(&"0".repeat(64));
        assert!(keys
            .verify(
                bad.header("x-pusher-key"),
                bad.header("x-pusher-signature"),
                &bad.body
            )
            .is_err());
    }

    #[test]
    fn typed_events_serialize_as_pusher_sends_them() {
        let hook = TestWebhook::new()
            .time_ms(5)
            .member_added("presence-a", "1")
            .client_event(
                "private-a",
                "client-typing",
                serde_json::json!({"t": 1}),
                "1.2",
                None,
            )
            .client_event("private-a", "client-typing", r#"{"t":2}"#, "1.3", Some("u"))
            .subscription_count("c", 3);
        let body: serde_json::Value = serde_json::from_slice(&hook.body()).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"time_ms": 5, "events": [
                {"name": "member_added", "channel": "presence-a", "user_id": "1"},
                {"name": "client_event", "channel": "private-a", "event": "client-typing",
                 "data": "{\"t\":1}", "socket_id": "1.2"},
                {"name": "client_event", "channel": "private-a", "event": "client-typing",
                 "data": "{\"t\":2}", "socket_id": "1.3", "user_id": "u"},
                {"name": "subscription_count", "channel": "c", "subscription_count": 3},
            ]})
        );
    }

    #[test]
    fn handler_names_match_by_path_or_last_segment() {
        assert!(names_match("app::handlers::greet", "greet"));
        assert!(names_match("app::handlers::greet", "handlers::greet"));
        assert!(!names_match("app::handlers::greet", "eet"));
        assert!(names_match("greet", "greet"));
    }
}
