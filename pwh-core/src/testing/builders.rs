//! One builder method of [`TestWebhook`] per kind, generated from the one definition of the
//! kinds (`pwh_kinds::with_kinds!`): `channel_occupied(channel)`,
//! `client_event(channel, event, data, socket_id, user_id)`, ...

use serde_json::{Map, Value};

use super::data::TestData;
use super::TestWebhook;

/// The type of a builder's parameter, from the field's shape and presence: a field the kind
/// carries only sometimes is an `Option`.
macro_rules! param_type {
    (Text Sometimes) => { Option<&str> };
    (Text $presence:ident) => { &str };
    (Json Sometimes) => { Option<impl Into<TestData>> };
    (Json $presence:ident) => { impl Into<TestData> };
    (Count Sometimes) => { Option<u64> };
    (Count $presence:ident) => { u64 };
}

/// The JSON of a builder's argument: raw JSON as Pusher sends it, text in a JSON string.
macro_rules! param_value {
    (Json $value:expr) => {
        Value::from(Into::<TestData>::into($value).into_string())
    };
    ($shape:ident $value:expr) => {
        Value::from($value)
    };
}

/// Inserts the argument `$field` into `$event`; an absent optional one is left out.
macro_rules! insert {
    ($event:ident $field:ident $shape:ident Sometimes) => {
        if let Some(value) = $field {
            $event.insert(stringify!($field).to_owned(), param_value!($shape value));
        }
    };
    ($event:ident $field:ident $shape:ident $presence:ident) => {
        $event.insert(stringify!($field).to_owned(), param_value!($shape $field));
    };
}

/// The start of the doc line of a builder's parameter; the field's doc follows.
macro_rules! param_doc {
    ($field:ident Json) => {
        concat!(
            "- `",
            stringify!($field),
            "` (a [`TestData`]: JSON text, sent in a JSON string as ",
            "Pusher sends it; for JSON not in a string, as some compatible servers send it, ",
            "build the event with [`event`](Self::event)):"
        )
    };
    ($field:ident $shape:ident) => {
        concat!("- `", stringify!($field), "`:")
    };
}

/// Writes the builder methods of the kinds handed over by `pwh_kinds::with_kinds!`.
macro_rules! builders {
    ($( $(#[doc = $doc:literal])* $kind:ident $variant:ident {
        $( $(#[doc = $fdoc:literal])* $field:ident : $shape:ident $presence:ident, )*
    } )*) => {
        /// One method per kind Pusher documents, each taking the kind's fields in order.
        impl TestWebhook {
            $(
                #[doc = concat!("Adds a `", stringify!($kind), "` event:")]
                $(#[doc = $doc])*
                #[doc = ""]
                $(
                    #[doc = param_doc!($field $shape)]
                    $(#[doc = $fdoc])*
                )*
                pub fn $kind(self, $($field: param_type!($shape $presence)),*) -> Self {
                    let mut event = Map::new();
                    event.insert("name".to_owned(), Value::from(stringify!($kind)));
                    $( insert!(event $field $shape $presence); )*
                    self.event(Value::Object(event))
                }
            )*
        }
    };
}

pwh_kinds::with_kinds!(builders);
