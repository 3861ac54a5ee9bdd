//! Shared fixtures of pwh's cross-crate tests: the conformance cases.

pub use pwh_core::testing::Recorder;
use pwh_core::{KeyRing, Token};
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
