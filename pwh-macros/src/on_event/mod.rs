//! `#[on_event(...)]`: parse, validate, expand.

mod expand;
mod parse;
mod validate;

use proc_macro2::TokenStream;

/// The whole attribute: arguments and item in, code (or every error) out.
pub(crate) fn expand(args: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    let handler = parse::Handler::parse(args, item)?;
    validate::validate(&handler)?;
    Ok(expand::expand(&handler))
}
