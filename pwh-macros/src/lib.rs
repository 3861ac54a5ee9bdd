//! Macros of pwh. Use them through `pwh-core`.
use proc_macro::TokenStream;

/// Registers an event handler.
#[proc_macro_attribute]
pub fn on_event(_args: TokenStream, input: TokenStream) -> TokenStream {
    input
}

/// Derives `FromEvent`.
#[proc_macro_derive(FromEvent, attributes(pwh))]
pub fn derive_from_event(_input: TokenStream) -> TokenStream {
    TokenStream::new()
}
