//! Shared fixtures of pwh's cross-crate tests: the conformance cases, a receiver configured
//! for them, and the loop that runs them through any adapter.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use pwh_core::dispatcher::FixedClock;
pub use pwh_core::testing::Recorder;
use pwh_core::{Dispatcher, KeyRing, Token};
use serde::Deserialize;

/// The conformance cases, a byte-for-byte copy of the shared suite.
pub const CASES_JSON: &str = include_str!("../../conformance/cases.json");

/// The conformance suite.
#[derive(Debug, Deserialize)]
pub struct Suite {
    /// Tokens the receiver is configured with.
    pub tokens: Vec<SuiteToken>,
    /// The receiver's max age.
    pub max_age_ms: u64,
    /// The cases.
    pub cases: Vec<Case>,
}

/// One configured token.
#[derive(Debug, Deserialize)]
pub struct SuiteToken {
    /// Its key.
    pub key: String,
    /// Its secret.
    pub secret: String,
}

/// One request and what must come of it.
#[derive(Debug, Deserialize)]
pub struct Case {
    /// The case's name.
    pub name: String,
    /// The HTTP method.
    pub method: String,
    /// Headers, as sent.
    pub headers: Vec<(String, String)>,
    /// The body, when UTF-8.
    #[serde(default)]
    pub body: Option<String>,
    /// The body in base64, when not UTF-8.
    #[serde(default)]
    pub body_base64: Option<String>,
    /// The receiver's clock.
    pub now_ms: u64,
    /// The status to answer.
    pub expect_status: u16,
    /// The events a catch-all handler must receive, in order.
    pub expect_events: Vec<serde_json::Value>,
}

impl Case {
    /// The raw body bytes.
    pub fn body(&self) -> Vec<u8> {
        use base64::Engine;
        match (&self.body, &self.body_base64) {
            (Some(body), _) => body.as_bytes().to_vec(),
            (None, Some(b64)) => base64::engine::general_purpose::STANDARD
                .decode(b64)
                .unwrap_or_else(|e| panic!("case {}: bad base64: {e}", self.name)),
            (None, None) => Vec::new(),
        }
    }
}

impl Suite {
    /// Loads the suite. Headers keep their order (they are a JSON object in the file).
    pub fn load() -> Self {
        let raw: serde_json::Value =
            serde_json::from_str(CASES_JSON).unwrap_or_else(|e| panic!("cases.json: {e}"));
        let suite: Suite = serde_json::from_value(normalize(raw))
            .unwrap_or_else(|e| panic!("cases.json shape: {e}"));
        suite
    }

    /// A key ring with every token of the suite.
    pub fn keys(&self) -> KeyRing {
        KeyRing::new(self.tokens.iter().map(|t| Token::new(&t.key, &t.secret)))
    }
}

/// Turns each case's `headers` object into a list of pairs.
fn normalize(mut raw: serde_json::Value) -> serde_json::Value {
    if let Some(cases) = raw.get_mut("cases").and_then(|c| c.as_array_mut()) {
        for case in cases {
            if let Some(headers) = case.get_mut("headers") {
                if let Some(map) = headers.as_object() {
                    let pairs: Vec<serde_json::Value> =
                        map.iter().map(|(k, v)| serde_json::json!([k, v])).collect();
                    *headers = serde_json::Value::Array(pairs);
                }
            }
        }
    }
    raw
}

/// One receiver for the whole suite: the clock is set to each case's `now_ms`, and the
/// recorder drained after each case. Delivery memory is off, since several cases send the
/// same body on purpose.
pub struct Receiver {
    /// The dispatcher to mount.
    pub dispatcher: Dispatcher,
    clock: Arc<FixedClock>,
    recorder: Recorder,
}

impl Receiver {
    /// A receiver configured as the suite says.
    pub fn new(suite: &Suite) -> Self {
        let clock = Arc::new(FixedClock::new(0));
        let recorder = Recorder::default();
        let dispatcher = Dispatcher::builder(suite.keys())
            .registered_handlers(false)
            .handler(recorder.clone())
            .clock(Arc::clone(&clock))
            .max_age(Some(Duration::from_millis(suite.max_age_ms)))
            .without_delivery_log()
            .build();
        Self {
            dispatcher,
            clock,
            recorder,
        }
    }
}

/// Runs every case with `send`, which returns the status, and checks status and events.
pub async fn run_suite<'s, F, Fut>(label: &str, receiver: &Receiver, suite: &'s Suite, mut send: F)
where
    F: FnMut(&'s Case) -> Fut,
    Fut: std::future::Future<Output = u16>,
{
    let mut failures = Vec::new();
    for case in &suite.cases {
        receiver.clock.set(case.now_ms);
        let before = receiver.recorder.events().len();
        let status = send(case).await;
        let events = receiver.recorder.events().split_off(before);
        if status != case.expect_status || events != case.expect_events {
            failures.push(format!(
                "{}: status {status} (want {}), events {events:?} (want {:?})",
                case.name, case.expect_status, case.expect_events
            ));
        }
    }
    assert_eq!(suite.cases.len(), 33);
    assert!(
        failures.is_empty(),
        "{label}: {} failing cases:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Sends `case` to `addr` over TCP and returns the status.
pub async fn send_tcp(addr: SocketAddr, case: &Case) -> u16 {
    let headers: Vec<(&str, &str)> = case
        .headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    example_shared::http::send(
        addr,
        &case.method,
        "/pusher/webhooks",
        &headers,
        &case.body(),
    )
    .await
    .unwrap_or_else(|e| panic!("{}: {e}", case.name))
    .status
}
