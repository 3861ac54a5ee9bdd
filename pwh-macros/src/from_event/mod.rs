//! `#[derive(FromEvent)]`: parse, validate, expand.

mod expand;
mod parse;

/// The whole derive: the struct in, an `impl FromEvent` (or every error) out.
pub(crate) fn expand(input: syn::DeriveInput) -> syn::Result<proc_macro2::TokenStream> {
    let model = parse::Struct::parse(&input)?;
    Ok(expand::expand(&model))
}
