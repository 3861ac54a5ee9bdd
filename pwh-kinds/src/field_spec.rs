//! One field of a kind: [`FieldSpec`].

use crate::presence::Presence;
use crate::shape::Shape;

/// A field of a kind, besides `name`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FieldSpec {
    /// Its name in the event object, e.g. `user_id`.
    pub name: &'static str,
    /// What it holds.
    pub shape: Shape,
    /// Whether it is in every event of the kind.
    pub presence: Presence,
    /// Its `///` doc lines in the definition, each as written (with its leading space).
    pub doc: &'static [&'static str],
}
