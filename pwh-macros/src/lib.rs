//! Procedural macros of [pwh](https://docs.rs/pwh-core): `#[on_event]` and
//! `#[derive(FromEvent)]`. Use them through `pwh-core`, which re-exports both and documents
//! them with examples; the generated code names `::pwh_core` only.
//!
//! `#[on_event]` runs in three stages: `parse` (syntax into a model), `validate` (every error
//! found, each spanned on the offending token) and `expand` (the model into code);
//! `#[derive(FromEvent)]` in two, `parse` (which checks as it reads) and `expand`.

use proc_macro::TokenStream;

mod errors;
mod field_types;
mod from_event;
mod kinds;
mod on_event;

#[doc = include_str!("../docs/on_event.md")]
#[proc_macro_attribute]
pub fn on_event(args: TokenStream, input: TokenStream) -> TokenStream {
    on_event::expand(args.into(), input.into()).into()
}

#[doc = include_str!("../docs/from_event.md")]
#[proc_macro_derive(FromEvent, attributes(pwh))]
pub fn derive_from_event(input: TokenStream) -> TokenStream {
    from_event::expand(syn::parse_macro_input!(input as syn::DeriveInput))
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}
