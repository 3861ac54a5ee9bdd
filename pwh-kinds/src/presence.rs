//! Whether a field is there: [`Presence`].

/// Whether a kind's field is in every event of the kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Presence {
    /// Always there: an event without it is malformed. Read as the value itself.
    Always,
    /// Pusher always sends it, but some Pusher-compatible servers leave it out. Read as an
    /// `Option` by the typed view; a handler may still take it as a required parameter (when
    /// it is missing, that handler's run is unprocessable).
    Usually,
    /// Only in some events of the kind (e.g. `user_id` of a `client_event`, on presence
    /// channels). Read as an `Option`, and a handler must take it as one.
    Sometimes,
}

impl Presence {
    /// Whether an event of the kind may lack the field (it is read as an `Option`).
    pub const fn is_optional(self) -> bool {
        !matches!(self, Self::Always)
    }

    /// Whether a handler parameter reading the field must be an `Option` (or a `Result`).
    pub const fn needs_option(self) -> bool {
        matches!(self, Self::Sometimes)
    }

    /// The lower-case word for it: `always`, `usually` or `sometimes`.
    pub const fn word(self) -> &'static str {
        match self {
            Self::Always => "always",
            Self::Usually => "usually",
            Self::Sometimes => "sometimes",
        }
    }
}
