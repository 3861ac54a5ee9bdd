//! The kinds and their fields as a plain table: [`KNOWN_KINDS`].

/// Writes `KNOWN_KINDS` from the kinds handed over by `pwh_kinds::with_kinds!`.
macro_rules! known_kinds {
    ($( $(#[doc = $doc:literal])* $kind:ident $variant:ident {
        $( $(#[doc = $fdoc:literal])* $field:ident : $shape:ident $presence:ident, )*
    } )*) => {
        /// The kinds Pusher documents, each with the fields it has besides `name`, and whether
        /// the field is always there (`true`) or may be missing (`false`: [`PusherEvent`]
        /// reads it as an `Option`).
        ///
        /// | kind | fields besides `name` |
        /// |---|---|
        $(
            #[doc = concat!(
                "| `", stringify!($kind), "` | ",
                $( "`", stringify!($field), "` (", presence_word!($presence), ") ", )*
                "|"
            )]
        )*
        ///
        /// *always*: in every event of the kind; *usually*: Pusher always sends it, some
        /// compatible servers leave it out; *sometimes*: only in some events of the kind.
        ///
        /// Generated, as [`PusherEvent`] and `#[on_event]`'s checks are, from the one
        /// definition of the kinds (`pwh_kinds::with_kinds!`).
        ///
        /// [`PusherEvent`]: super::PusherEvent
        pub const KNOWN_KINDS: &[(&str, &[(&str, bool)])] = &[$(
            (
                stringify!($kind),
                &[$(
                    (
                        stringify!($field),
                        !pwh_kinds::Presence::$presence.is_optional(),
                    ),
                )*],
            ),
        )*];
    };
}

/// The word for a presence, in the table of the docs.
macro_rules! presence_word {
    (Always) => {
        "always"
    };
    (Usually) => {
        "usually"
    };
    (Sometimes) => {
        "sometimes"
    };
}

pwh_kinds::with_kinds!(known_kinds);
