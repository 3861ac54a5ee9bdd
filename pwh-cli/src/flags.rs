//! The flag of each field the kinds have: what `send` asks for when a kind needs a field, and
//! what it sends when a field Pusher always sends is not given. Which kind needs which field is
//! read from the one definition of the kinds (`pwh_kinds::KINDS`).

use pwh_kinds::{FieldSpec, KindSpec, Presence};

use crate::cli::EventFields;

/// The command line's flag for a field of the kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FieldFlag {
    /// The field, as in the event, e.g. `user_id`.
    pub(crate) field: &'static str,
    /// The flag that gives it, e.g. `--user-id`.
    pub(crate) flag: &'static str,
    /// An example value, named when the flag is missing.
    pub(crate) example: Option<&'static str>,
    /// What is sent when the kind usually has the field (Pusher always sends it) and the flag
    /// is not given.
    pub(crate) default: Option<&'static str>,
}

/// The socket id of a `client_event` when `--socket-id` is not given.
pub(crate) const DEFAULT_SOCKET_ID: &str = "123.456";

/// Every field of the kinds with its flag (a test checks that none is left out).
pub(crate) const FIELD_FLAGS: &[FieldFlag] = &[
    flag("channel", "--channel"),
    flag("user_id", "--user-id"),
    FieldFlag {
        example: Some("client-typing"),
        ..flag("event", "--event")
    },
    FieldFlag {
        default: Some("{}"),
        ..flag("data", "--data")
    },
    FieldFlag {
        default: Some(DEFAULT_SOCKET_ID),
        ..flag("socket_id", "--socket-id")
    },
    flag("subscription_count", "--count"),
];

const fn flag(field: &'static str, flag: &'static str) -> FieldFlag {
    FieldFlag {
        field,
        flag,
        example: None,
        default: None,
    }
}

/// The flag of `field`, if a kind has that field.
pub(crate) fn flag_of(field: &str) -> Option<&'static FieldFlag> {
    FIELD_FLAGS.iter().find(|flag| flag.field == field)
}

/// What a missing field is asked for with: the flag, and an example when there is one.
pub(crate) fn needed(field: &FieldSpec) -> String {
    match flag_of(field.name) {
        Some(FieldFlag {
            flag,
            example: Some(example),
            ..
        }) => format!("{flag} (e.g. {example})"),
        Some(flag) => flag.flag.to_owned(),
        None => format!("the field `{}`", field.name),
    }
}

/// Whether `fields` gives the field named `field`.
pub(crate) fn given(fields: &EventFields, field: &str) -> bool {
    match field {
        "channel" => fields.channel.is_some(),
        "user_id" => fields.user_id.is_some(),
        "event" => fields.event.is_some(),
        "data" => fields.data.is_some(),
        "socket_id" => fields.socket_id.is_some(),
        "subscription_count" => fields.count.is_some(),
        _ => false,
    }
}

/// What is sent as `field` of `kind` when it is not given: the default of a field the kind
/// usually has; `None` for any other field, and for any field of an unknown kind.
pub(crate) fn default_of(kind: Option<&KindSpec>, field: &str) -> Option<&'static str> {
    let spec = kind?.field(field)?;
    if spec.presence != Presence::Usually {
        return None;
    }
    flag_of(field)?.default
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_of_every_kind_has_a_flag_and_is_read_from_it() {
        for kind in pwh_kinds::KINDS {
            for field in kind.fields {
                let flag = flag_of(field.name)
                    .unwrap_or_else(|| panic!("{}.{} has no flag", kind.name, field.name));
                let none = EventFields::default();
                assert!(!given(&none, field.name));
                if field.presence == Presence::Usually {
                    assert!(flag.default.is_some(), "{}.{}", kind.name, field.name);
                }
            }
        }
        for flag in FIELD_FLAGS {
            let used = pwh_kinds::KINDS
                .iter()
                .any(|k| k.field(flag.field).is_some());
            assert!(used, "{} is a field of no kind", flag.field);
        }
    }

    #[test]
    fn defaults_only_for_fields_the_kind_usually_has() {
        let client = KindSpec::find("client_event");
        assert_eq!(default_of(client, "socket_id"), Some(DEFAULT_SOCKET_ID));
        assert_eq!(default_of(client, "data"), Some("{}"));
        assert_eq!(default_of(client, "user_id"), None);
        assert_eq!(default_of(KindSpec::find("cache_miss"), "data"), None);
        assert_eq!(default_of(None, "socket_id"), None);
    }
}
