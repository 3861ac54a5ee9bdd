//! `ClientData<T>`: a client event's `data`, parsed into `T`.

use serde::de::DeserializeOwned;

use super::{ExtractError, FromEvent, StateNeeds};
use crate::context::EventContext;
use crate::json;

/// A client event's `data`, parsed as JSON into `T`.
///
/// Pusher sends `data` as a string of JSON text; some compatible servers send the object
/// itself: both are accepted. The parameter's name does not matter. `data` is whatever the
/// browser sent, so take `Result<ClientData<T>, ExtractError>` to handle other shapes yourself
/// (note that serde's derive also reads a struct from a JSON array of its fields).
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
        let field = cx
            .event()
            .field(FIELD)
            .ok_or(ExtractError::Missing { field: FIELD })?;
        // Pusher sends the JSON as text; some servers pass the value itself.
        let json = field.text().unwrap_or(field.raw().get());
        serde_json::from_str(json)
            .map(ClientData)
            .map_err(|e| ExtractError::Invalid {
                field: FIELD,
                target: std::any::type_name::<T>(),
                problem: json::quiet_message(&e),
            })
    }
}

/// [`FromEvent`] under another name, through which `#[on_event]` reads a parameter named
/// `data` of a handler that can receive client events: the same extraction, with a compile
/// error that points to [`ClientData<T>`] when the type cannot be a parameter. A
/// `#[derive(FromEvent)]` struct reads the event's own fields, not those inside `data`, so
/// suggesting it there would compile into a handler that never runs.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a handler parameter",
    label = "not readable from a Pusher event",
    note = "to parse a client event's `data` into `{Self}`, take `data: ClientData<{Self}>` \
            (`{Self}` implementing `serde::Deserialize`; destructure with `ClientData(value)`)",
    note = "not `#[derive(FromEvent)]` on `{Self}`: a derived struct reads the event's own fields \
            (`channel`, `event`, `socket_id`, ...), not those inside `data`, and a missing one \
            stops the handler at run time"
)]
pub trait ClientDataParam<'r>: Sized {
    /// [`FromEvent::from_event`] (named apart, so that both traits in scope are no ambiguity).
    ///
    /// # Errors
    ///
    /// Those of [`FromEvent::from_event`].
    fn read_param(cx: &EventContext<'r>, param: &'static str) -> Result<Self, ExtractError>;

    /// [`FromEvent::required_state`].
    fn param_needs(needs: &mut StateNeeds);
}

impl<'r, T: FromEvent<'r>> ClientDataParam<'r> for T {
    fn read_param(cx: &EventContext<'r>, param: &'static str) -> Result<Self, ExtractError> {
        <T as FromEvent<'r>>::from_event(cx, param)
    }

    fn param_needs(needs: &mut StateNeeds) {
        <T as FromEvent<'r>>::required_state(needs);
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
            assert!(err.contains("trailing characters"), "{err}");
            assert!(!err.contains("private"), "{err}");
        });
        let body = br#"{"time_ms":1,"events":[{"name":"client_event","data":"{\"text\":5}"}]}"#;
        with_cx(body, |cx| {
            let err = ClientData::<Typing>::from_event(cx, "data")
                .unwrap_err()
                .to_string();
            assert!(
                err.contains("invalid type: integer, expected a string"),
                "{err}"
            );
            assert!(err.contains("line 1 column"), "{err}");
        });
    }
}
