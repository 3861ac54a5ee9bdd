//! What a field holds: [`Shape`].

/// What a field of a kind holds, and so how it is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Shape {
    /// A JSON string, read as text (`&str`).
    Text,
    /// Any JSON, kept raw (`&RawValue`): a client event's `data`.
    Json,
    /// A non-negative integer (`u64`), sent as a JSON number or as a string of digits.
    Count,
}
