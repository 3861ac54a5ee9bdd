//! The model out: `impl FromEvent` reading each field with its own `FromEvent`.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::Lifetime;

use super::parse::Struct;

pub(crate) fn expand(model: &Struct) -> TokenStream {
    let ident = &model.ident;
    let (impl_generics, self_ty, lt) = match &model.lifetime {
        Some(lt) => (quote!(<#lt>), quote!(#ident<#lt>), lt.clone()),
        None => {
            let lt = Lifetime::new("'__pwh_r", Span::call_site());
            (quote!(<#lt>), quote!(#ident), lt)
        }
    };
    let fields = model.fields.iter().map(|field| {
        let name = &field.ident;
        let ty = &field.ty;
        let key = &field.name;
        quote_spanned! {ty.span()=>
            #name: <#ty as ::pwh_core::FromEvent<#lt>>::from_event(__pwh_cx, #key)?,
        }
    });
    let needs = model.fields.iter().map(|field| {
        let ty = &field.ty;
        quote_spanned! {ty.span()=>
            <#ty as ::pwh_core::FromEvent<#lt>>::required_state(__pwh_needs);
        }
    });
    quote! {
        #[automatically_derived]
        impl #impl_generics ::pwh_core::FromEvent<#lt> for #self_ty {
            fn required_state(__pwh_needs: &mut ::pwh_core::handler::StateNeeds) {
                #(#needs)*
            }

            fn from_event(
                __pwh_cx: &::pwh_core::EventContext<#lt>,
                _: &'static str,
            ) -> ::std::result::Result<Self, ::pwh_core::handler::ExtractError> {
                ::std::result::Result::Ok(Self { #(#fields)* })
            }
        }
    }
}
