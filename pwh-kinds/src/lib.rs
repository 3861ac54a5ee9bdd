#![doc = include_str!("../README.md")]

mod definition;
mod field_spec;
mod kind_spec;
mod presence;
mod shape;
mod table;

pub use field_spec::FieldSpec;
pub use kind_spec::KindSpec;
pub use presence::Presence;
pub use shape::Shape;
pub use table::KINDS;
