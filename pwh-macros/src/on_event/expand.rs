//! The model out: the function unchanged, a handle, its `EventHandler` impl and its registration.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::visit_mut::VisitMut;
use syn::{Lifetime, ReturnType, Type};

use super::parse::{Handler, Param, Route};

pub(crate) fn expand(handler: &Handler) -> TokenStream {
    let item = &handler.item;
    let vis = &item.vis;
    let name = &item.sig.ident;
    let route = match &handler.route {
        Route::Kind(kind) | Route::Custom(kind) => {
            quote!(::pwh_core::handler::EventRoute::Kind(::std::borrow::Cow::Borrowed(#kind)))
        }
        Route::Any => quote!(::pwh_core::handler::EventRoute::Any),
    };
    let deferred = handler.deferred.as_ref().map(|d| {
        let max_attempts = d.max_attempts.iter();
        let backoff = d.backoff_ms.iter();
        let timeout = d.timeout_ms.iter();
        let name = d.name.iter();
        quote! {
            .deferred(
                ::pwh_core::jobs::JobPolicy::default()
                    #(.max_attempts(#max_attempts))*
                    #(.backoff(::std::time::Duration::from_millis(#backoff)))*
                    #(.timeout(::std::time::Duration::from_millis(#timeout)))*
            )
            #(.job_name(#name))*
        }
    });
    let args: Vec<_> = (0..handler.params.len())
        .map(|i| format_ident!("__pwh_arg{}", i))
        .collect();
    let extractions = handler.params.iter().zip(&args).map(|(param, arg)| {
        let mut ty = (*param.ty).clone();
        ElideLifetimes.visit_type_mut(&mut ty);
        let param_name = &param.name;
        let (read, _) = extractor(handler, param, &ty);
        quote_spanned! {param.ty.span()=>
            let #arg = #read(__pwh_cx, #param_name)?;
        }
    });
    let needs = handler.params.iter().map(|param| {
        let mut ty = (*param.ty).clone();
        ElideLifetimes.visit_type_mut(&mut ty);
        let (_, needs) = extractor(handler, param, &ty);
        quote_spanned! {param.ty.span()=>
            #needs(&mut __pwh_needs);
        }
    });
    // Run by what the signature says, never by a guess from the body: an `async fn` through
    // its future (which the dispatcher polls in place first), a plain `fn` at once (`call_now`).
    let is_async = item.sig.asyncness.is_some();
    let call = if is_async {
        quote!(#name(#(#args),*).await)
    } else {
        quote!(#name(#(#args),*))
    };
    let ret_span = match &item.sig.output {
        ReturnType::Default => item.sig.ident.span(),
        ReturnType::Type(_, ty) => ty.span(),
    };
    let convert = quote_spanned! {ret_span=>
        ::pwh_core::handler::IntoHandlerResult::into_handler_result(__pwh_ret)
    };
    let body = quote! {
        #(#extractions)*
        let __pwh_ret = #call;
        #convert
    };
    let methods = if is_async {
        quote! {
            async fn call(
                &self,
                __pwh_cx: &::pwh_core::EventContext<'_>,
            ) -> ::std::result::Result<(), ::pwh_core::HandlerError> {
                #body
            }
        }
    } else {
        quote! {
            async fn call(
                &self,
                __pwh_cx: &::pwh_core::EventContext<'_>,
            ) -> ::std::result::Result<(), ::pwh_core::HandlerError> {
                Self::__pwh_call_now(__pwh_cx)
            }

            fn call_now(
                &self,
                __pwh_cx: &::pwh_core::EventContext<'_>,
            ) -> ::std::option::Option<::std::result::Result<(), ::pwh_core::HandlerError>> {
                ::std::option::Option::Some(Self::__pwh_call_now(__pwh_cx))
            }
        }
    };
    let inherent = if is_async {
        quote!()
    } else {
        quote! {
            impl #name {
                fn __pwh_call_now(
                    __pwh_cx: &::pwh_core::EventContext<'_>,
                ) -> ::std::result::Result<(), ::pwh_core::HandlerError> {
                    #body
                }
            }
        }
    };
    let handle_doc = format!(
        "Handle of the `{name}` Pusher event handler, to add it to a dispatcher by hand: \
         `.handler(pwh_core::handler!({name}))`."
    );
    quote! {
        #item

        #[doc = #handle_doc]
        #[allow(non_camel_case_types)]
        #[derive(Debug, Clone, Copy, Default)]
        #vis struct #name {}

        const _: () = {
            #inherent

            #[::pwh_core::__private::async_trait]
            impl ::pwh_core::handler::EventHandler for #name {
                fn info(&self) -> ::pwh_core::handler::HandlerInfo {
                    #[allow(unused_mut)]
                    let mut __pwh_needs = ::pwh_core::handler::StateNeeds::default();
                    #(#needs)*
                    ::pwh_core::handler::HandlerInfo::new(
                        ::std::concat!(::std::module_path!(), "::", ::std::stringify!(#name)),
                        #route,
                    )
                    .at(::std::file!(), ::std::line!())
                    .needs(__pwh_needs)
                    #deferred
                }

                #methods
            }

            ::pwh_core::__private::inventory::submit! {
                ::pwh_core::__private::Registration::new(&#name {})
            }
        };
    }
}

/// The functions a parameter of type `ty` is read through, and its state needs added by:
/// `FromEvent`'s, or, for a parameter named `data` of a handler that can receive client events,
/// those of `ClientDataParam`, the same trait under another name, whose compile error points
/// to `ClientData<T>` (a `#[derive(FromEvent)]` struct would read the event's own fields, not
/// those inside `data`).
fn extractor(handler: &Handler, param: &Param, ty: &Type) -> (TokenStream, TokenStream) {
    let client_events = match &handler.route {
        Route::Kind(kind) => kind.value() == "client_event",
        Route::Custom(_) | Route::Any => true,
    };
    let span = param.ty.span();
    if client_events && param.name == "data" {
        (
            quote_spanned!(span=> <#ty as ::pwh_core::__private::ClientDataParam<'_>>::read_param),
            quote_spanned!(span=> <#ty as ::pwh_core::__private::ClientDataParam<'_>>::param_needs),
        )
    } else {
        (
            quote_spanned!(span=> <#ty as ::pwh_core::FromEvent<'_>>::from_event),
            quote_spanned!(span=> <#ty as ::pwh_core::FromEvent<'_>>::required_state),
        )
    }
}

/// Replaces named lifetimes (`&'a str`) with `'_`: the generated code has no `'a` in scope.
struct ElideLifetimes;

impl VisitMut for ElideLifetimes {
    fn visit_lifetime_mut(&mut self, lifetime: &mut Lifetime) {
        if lifetime.ident != "static" {
            *lifetime = Lifetime::new("'_", lifetime.span());
        }
    }
}
