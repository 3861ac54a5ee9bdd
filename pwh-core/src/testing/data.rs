//! `TestData`: the `data` of a test client event, as the JSON text Pusher sends.

use serde::Serialize;

/// The `data` of a client event built by [`TestWebhook::client_event`](super::TestWebhook::client_event):
/// JSON text, sent as Pusher sends it, in a JSON string.
///
/// The type says what you mean, never the content: a [`serde_json::Value`] is a value, written
/// out as JSON text; a `&str` or `String` *is* the JSON text, sent as it is (not encoded again).
/// Any other serializable value goes through [`TestData::json`].
///
/// | you pass | `data` in the body |
/// |---|---|
/// | `json!({"text": "hi"})` | `"{\"text\":\"hi\"}"` |
/// | `r#"{"text":"hi"}"#` | `"{\"text\":\"hi\"}"` |
/// | `TestData::json(&typing)` (`typing: impl Serialize`) | `"{\"text\":\"hi\"}"` |
/// | `json!("hi")` (a JSON string value) | `"\"hi\""` |
/// | `"not json"` (bad data, for a test of it) | `"not json"` |
///
/// ```
/// use pwh_core::testing::{TestData, TestWebhook};
/// use serde_json::json;
///
/// let text = TestWebhook::new().client_event("private-a", "client-typing", r#"{"text":"hi"}"#, "1.1", None);
/// let value = TestWebhook::new().client_event("private-a", "client-typing", json!({"text": "hi"}), "1.1", None);
/// assert_eq!(text, value);
///
/// #[derive(serde::Serialize)]
/// struct Typing { text: &'static str }
/// let typed = TestWebhook::new().client_event("private-a", "client-typing", TestData::json(&Typing { text: "hi" }), "1.1", None);
/// assert_eq!(typed, value);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestData(String);

impl TestData {
    /// `value` serialized to JSON text.
    ///
    /// # Panics
    ///
    /// When `value` cannot be serialized to JSON (a map with non-string keys, a failing
    /// `Serialize` impl).
    pub fn json(value: &impl Serialize) -> Self {
        Self(serde_json::to_string(value).expect("client event data must serialize to JSON"))
    }

    /// `text` as it is: the JSON text a browser sent, or anything else to test bad data.
    pub fn text(text: impl Into<String>) -> Self {
        Self(text.into())
    }

    /// The text sent as `data`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub(crate) fn into_string(self) -> String {
        self.0
    }
}

impl From<serde_json::Value> for TestData {
    /// The value, written out as JSON text.
    fn from(value: serde_json::Value) -> Self {
        Self::json(&value)
    }
}

impl From<&serde_json::Value> for TestData {
    /// The value, written out as JSON text.
    fn from(value: &serde_json::Value) -> Self {
        Self::json(value)
    }
}

impl From<&str> for TestData {
    /// The JSON text, as it is.
    fn from(text: &str) -> Self {
        Self::text(text)
    }
}

impl From<String> for TestData {
    /// The JSON text, as it is.
    fn from(text: String) -> Self {
        Self::text(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_are_written_out_and_text_is_kept_as_it_is() {
        assert_eq!(TestData::from(json!({"t": 1})).as_str(), r#"{"t":1}"#);
        assert_eq!(TestData::from(&json!([1, 2])).as_str(), "[1,2]");
        assert_eq!(TestData::from(json!("hi")).as_str(), r#""hi""#);
        assert_eq!(TestData::from(r#"{"t":1}"#).as_str(), r#"{"t":1}"#);
        assert_eq!(
            TestData::from(String::from("not json")).as_str(),
            "not json"
        );
        assert_eq!(TestData::json(&vec![1u8]).as_str(), "[1]");
    }
}
