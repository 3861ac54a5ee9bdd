//! `#[on_event(...)]`: parse, validate, expand.

mod expand;
mod parse;
mod validate;

use proc_macro2::TokenStream;

/// The whole attribute: arguments and item in, code out; on errors, every error and the item
/// unchanged, so that the compiler reports only what is wrong with the handler (not, say, an
/// import that only the removed function used).
pub(crate) fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let expanded = parse::Handler::parse(args, item.clone())
        .and_then(|handler| validate::validate(&handler).map(|()| expand::expand(&handler)));
    match expanded {
        Ok(code) => code,
        Err(errors) => {
            let mut out = errors.into_compile_error();
            out.extend(item);
            out
        }
    }
}
