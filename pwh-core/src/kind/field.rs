//! What the generated equality and serialization need of a field type: [`KindField`].

use serde_json::value::RawValue;

/// A field type of [`PusherEvent`](super::PusherEvent).
pub(super) trait KindField: Copy {
    /// What two values are compared by: raw JSON by its text.
    type Key: PartialEq;

    /// The value as compared.
    fn key(self) -> Self::Key;

    /// Whether the value stands for an absent field (it is then not serialized).
    fn is_absent(&self) -> bool {
        false
    }
}

impl<'e> KindField for &'e str {
    type Key = &'e str;

    fn key(self) -> Self::Key {
        self
    }
}

impl<'e> KindField for &'e RawValue {
    type Key = &'e str;

    fn key(self) -> Self::Key {
        self.get()
    }
}

impl KindField for u64 {
    type Key = u64;

    fn key(self) -> Self::Key {
        self
    }
}

impl<T: KindField> KindField for Option<T> {
    type Key = Option<T::Key>;

    fn key(self) -> Self::Key {
        self.map(T::key)
    }

    fn is_absent(&self) -> bool {
        self.is_none()
    }
}
