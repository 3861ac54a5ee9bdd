//! The definition as a table: [`KINDS`].

use crate::field_spec::FieldSpec;
use crate::kind_spec::KindSpec;
use crate::presence::Presence;
use crate::shape::Shape;

/// Writes the definition handed over by [`with_kinds!`](crate::with_kinds) as `KINDS`.
macro_rules! table {
    ($( $(#[doc = $doc:literal])* $kind:ident $variant:ident {
        $( $(#[doc = $fdoc:literal])* $field:ident : $shape:ident $presence:ident, )*
    } )*) => {
        /// Every kind Pusher documents, in the order of the definition, with its fields.
        ///
        /// Generated from [`with_kinds!`](crate::with_kinds), as `pwh-core`'s views are.
        pub const KINDS: &[KindSpec] = &[$(
            KindSpec {
                name: stringify!($kind),
                variant: stringify!($variant),
                doc: &[$($doc),*],
                fields: &[$(
                    FieldSpec {
                        name: stringify!($field),
                        shape: Shape::$shape,
                        presence: Presence::$presence,
                        doc: &[$($fdoc),*],
                    },
                )*],
            },
        )*];
    };
}

crate::with_kinds!(table);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_their_fields_are_named_once_each() {
        let mut names: Vec<_> = KINDS.iter().map(|kind| kind.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), KINDS.len());
        for kind in KINDS {
            let mut fields: Vec<_> = kind.field_names().collect();
            fields.sort_unstable();
            fields.dedup();
            assert_eq!(fields.len(), kind.fields.len(), "{}", kind.name);
            assert!(
                !fields.contains(&"name"),
                "{}: `name` is not a field",
                kind.name
            );
            assert!(!kind.summary().is_empty(), "{} has a doc", kind.name);
        }
    }

    #[test]
    fn variants_are_the_names_in_camel_case() {
        for kind in KINDS {
            let camel: String = kind
                .name
                .split('_')
                .map(|word| word[..1].to_uppercase() + &word[1..])
                .collect();
            assert_eq!(camel, kind.variant);
        }
    }

    #[test]
    fn finds_kinds_and_fields_by_name() {
        let kind = KindSpec::find("subscription_count").unwrap();
        assert_eq!(kind.variant, "SubscriptionCount");
        let count = kind.field("subscription_count").unwrap();
        assert_eq!(
            (count.shape, count.presence),
            (Shape::Count, Presence::Always)
        );
        assert_eq!(
            kind.summary(),
            "The number of subscriptions of a channel changed."
        );
        assert!(kind.field("user_id").is_none());
        assert!(KindSpec::find("Subscription_Count").is_none());
        let client = KindSpec::find("client_event").unwrap();
        let presences: Vec<_> = client.fields.iter().map(|f| f.presence.word()).collect();
        assert_eq!(
            presences,
            ["always", "always", "usually", "usually", "sometimes"]
        );
    }
}
