//! One kind: [`KindSpec`].

use crate::field_spec::FieldSpec;
use crate::table::KINDS;

/// A kind Pusher documents, with its fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KindSpec {
    /// Its name, as sent in the event's `name`, e.g. `member_added`.
    pub name: &'static str,
    /// The name of its variant of `pwh_core::PusherEvent`, e.g. `MemberAdded`.
    pub variant: &'static str,
    /// Its `///` doc lines in the definition, each as written (with its leading space).
    pub doc: &'static [&'static str],
    /// Its fields besides `name`, in the order Pusher writes them.
    pub fields: &'static [FieldSpec],
}

impl KindSpec {
    /// The kind named `name`, if Pusher documents it.
    pub fn find(name: &str) -> Option<&'static KindSpec> {
        KINDS.iter().find(|kind| kind.name == name)
    }

    /// Its field named `name`, if it has one.
    pub fn field(&self, name: &str) -> Option<&'static FieldSpec> {
        self.fields.iter().find(|field| field.name == name)
    }

    /// The names of its fields, in order.
    pub fn field_names(&self) -> impl Iterator<Item = &'static str> + Clone {
        self.fields.iter().map(|field| field.name)
    }

    /// The first line of its doc, trimmed: what the kind means, in one sentence.
    pub fn summary(&self) -> &'static str {
        self.doc.first().map_or("", |line| line.trim())
    }
}
