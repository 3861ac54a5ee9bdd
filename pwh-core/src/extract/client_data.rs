//! `ClientData<T>`: a client event's `data`, parsed into `T`.

use serde::de::DeserializeOwned;

use super::{ExtractError, FromEvent};
use crate::context::EventContext;
use crate::value::Value;

/// A client event's `data`, parsed as JSON into `T`.
///
/// Pusher sends `data` as a string of JSON text; some compatible servers send the object
/// itself: both are accepted. The parameter's name does not matter.
///
/// ```
/// use pwh_core::ClientData;
///
/// #[derive(serde::Deserialize)]
/// struct Typing { text: String }
///
/// #[pwh_core::on_event("client_event")]
/// async fn typing(channel: &str, event: &str, ClientData(typing): ClientData<Typing>) {
///     println!("{event} on {channel}: {}", typing.text);
/// }
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClientData<T>(pub T);

impl<'r, T: DeserializeOwned> FromEvent<'r> for ClientData<T> {
    fn from_event(cx: &EventContext<'r>, _param: &'static str) -> Result<Self, ExtractError> {
        const FIELD: &str = "data";
        let value = cx
            .event()
            .get(FIELD)
            .ok_or(ExtractError::Missing { field: FIELD })?;
        let parsed = match value {
            Value::String(text) => serde_json::from_str(text),
            other => serde_json::from_value(other.to_json()),
        };
        parsed.map(ClientData).map_err(|e| ExtractError::Invalid {
            field: FIELD,
            target: std::any::type_name::<T>(),
            problem: describe(&e),
        })
    }
}

/// What went wrong, without quoting the data (serde's messages may quote values).
fn describe(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let what = match e.classify() {
        Category::Syntax | Category::Eof => "not valid JSON",
        Category::Data => "JSON of another shape",
        Category::Io => "unreadable",
    };
    if e.line() == 0 {
        what.to_owned()
    } else {
        format!("{what} (line {}, column {})", e.line(), e.column())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::tests::with_cx;

    #[derive(Debug, serde::Deserialize, PartialEq)]
    struct Typing {
        text: String,
    }

    #[test]
    fn data_as_text_or_object() {
        let text =
            br#"{"time_ms":1,"events":[{"name":"client_event","data":"{\"text\":\"hi\"}"}]}"#;
        let object = br#"{"time_ms":1,"events":[{"name":"client_event","data":{"text":"hi"}}]}"#;
        for body in [&text[..], &object[..]] {
            with_cx(body, |cx| {
                let ClientData(t) = ClientData::<Typing>::from_event(cx, "whatever").unwrap();
                assert_eq!(t.text, "hi");
            });
        }
    }

    #[test]
    fn errors_do_not_quote_the_data() {
        let body = br#"{"time_ms":1,"events":[{"name":"client_event","data":"{\"text\":\"private words\"}}"}]}"#;
        with_cx(body, |cx| {
            let err = ClientData::<Typing>::from_event(cx, "data")
                .unwrap_err()
                .to_string();
            assert!(err.contains("not valid JSON"), "{err}");
            assert!(!err.contains("private"), "{err}");
        });
        let body = br#"{"time_ms":1,"events":[{"name":"client_event","data":"{\"text\":5}"}]}"#;
        with_cx(body, |cx| {
            let err = ClientData::<Typing>::from_event(cx, "data")
                .unwrap_err()
                .to_string();
            assert!(err.contains("another shape"), "{err}");
        });
    }
}
