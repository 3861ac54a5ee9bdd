//! Syntax in: the attribute's arguments and the function, as a model.

use proc_macro2::{Span, TokenStream};
use syn::parse::{Parse, ParseStream};
use syn::spanned::Spanned;
use syn::{FnArg, Ident, ItemFn, LitStr, Pat, Token, Type};

/// Which events the handler wants.
pub(crate) enum Route {
    /// A kind checked against the known ones: `"channel_vacated"`.
    Kind(LitStr),
    /// Any kind, unchecked: `custom = "member_updated"`.
    Custom(LitStr),
    /// Every event: `any`.
    Any,
}

/// `deferred` or `deferred(max_attempts = 5, backoff = "2s", timeout = "1m", name = "...")`:
/// the handler's events become jobs that workers run later.
#[derive(Default)]
pub(crate) struct Deferred {
    pub(crate) max_attempts: Option<syn::LitInt>,
    /// The wait before the first retry, in milliseconds.
    pub(crate) backoff_ms: Option<u64>,
    /// How long one attempt may run, in milliseconds.
    pub(crate) timeout_ms: Option<u64>,
    /// The name its jobs are recorded under.
    pub(crate) name: Option<LitStr>,
}

/// The attribute's arguments: the route, and whether the handler is deferred.
pub(crate) struct Args {
    pub(crate) route: Route,
    pub(crate) deferred: Option<Deferred>,
}

/// A function parameter.
pub(crate) struct Param {
    /// The name the extractor is given: the binding's name, or `""` for a pattern.
    pub(crate) name: String,
    /// Where the name (or pattern) is written.
    pub(crate) pat: Box<Pat>,
    pub(crate) ty: Box<Type>,
}

/// The annotated function and the route.
pub(crate) struct Handler {
    pub(crate) route: Route,
    pub(crate) deferred: Option<Deferred>,
    pub(crate) item: ItemFn,
    pub(crate) params: Vec<Param>,
    /// `self` receivers, kept to be reported by validation.
    pub(crate) receivers: Vec<syn::Receiver>,
}

const USAGE: &str = "expected the event kind: #[on_event(\"channel_vacated\")], \
                     #[on_event(any)] for every event, or #[on_event(custom = \"kind\")] for a kind \
                     this library does not know";

impl Parse for Route {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        if input.is_empty() {
            return Err(input.error(USAGE));
        }
        let route = if input.peek(LitStr) {
            Route::Kind(input.parse()?)
        } else if input.peek(Ident) {
            let ident: Ident = input.parse()?;
            if ident == "any" {
                Route::Any
            } else if ident == "custom" {
                input.parse::<Token![=]>()?;
                Route::Custom(input.parse()?)
            } else {
                return Err(syn::Error::new(ident.span(), USAGE));
            }
        } else {
            return Err(input.error(USAGE));
        };
        Ok(route)
    }
}

const DEFERRED_USAGE: &str = "expected `deferred` or `deferred(max_attempts = 5, \
                              backoff = \"2s\", timeout = \"1m\", name = \"stable-name\")` \
                              after the event kind";

impl Parse for Args {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let route: Route = input.parse()?;
        if input.is_empty() {
            return Ok(Self {
                route,
                deferred: None,
            });
        }
        input.parse::<Token![,]>()?;
        let ident: Ident = input
            .parse()
            .map_err(|e| syn::Error::new(e.span(), DEFERRED_USAGE))?;
        if ident != "deferred" {
            return Err(syn::Error::new(ident.span(), DEFERRED_USAGE));
        }
        let mut deferred = Deferred::default();
        if input.peek(syn::token::Paren) {
            let options;
            syn::parenthesized!(options in input);
            while !options.is_empty() {
                let key: Ident = options.parse()?;
                options.parse::<Token![=]>()?;
                match key.to_string().as_str() {
                    "max_attempts" => {
                        let n: syn::LitInt = options.parse()?;
                        if n.base10_parse::<u32>().map_or(true, |n| n == 0) {
                            return Err(syn::Error::new(
                                n.span(),
                                "max_attempts is a number from 1",
                            ));
                        }
                        deferred.max_attempts = Some(n);
                    }
                    "backoff" => deferred.backoff_ms = Some(duration_ms(&options.parse()?)?),
                    "timeout" => deferred.timeout_ms = Some(duration_ms(&options.parse()?)?),
                    "name" => deferred.name = Some(options.parse()?),
                    _ => {
                        return Err(syn::Error::new(
                            key.span(),
                            "unknown option of `deferred`: expected max_attempts, backoff, \
                             timeout or name",
                        ))
                    }
                }
                if !options.is_empty() {
                    options.parse::<Token![,]>()?;
                }
            }
        }
        if !input.is_empty() {
            return Err(input.error("unexpected tokens after `deferred`"));
        }
        Ok(Self {
            route,
            deferred: Some(deferred),
        })
    }
}

/// A duration written as a number and a unit: `"500ms"`, `"2s"`, `"1m"`, `"1h"`, in ms.
fn duration_ms(text: &LitStr) -> syn::Result<u64> {
    let value = text.value();
    let value = value.trim();
    let split = value
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(value.len());
    let (number, unit) = value.split_at(split);
    let scale = match unit.trim() {
        "ms" => 1,
        "s" => 1_000,
        "m" | "min" => 60_000,
        "h" => 3_600_000,
        _ => 0,
    };
    match number.parse::<u64>() {
        Ok(n) if scale > 0 => Ok(n.saturating_mul(scale)),
        _ => Err(syn::Error::new(
            text.span(),
            "expected a duration such as \"500ms\", \"2s\", \"1m\" or \"1h\"",
        )),
    }
}

impl Handler {
    pub(crate) fn parse(args: TokenStream, item: TokenStream) -> syn::Result<Self> {
        let item: syn::Item = syn::parse2(item)?;
        let route_result = syn::parse2::<Args>(args);
        let item = match item {
            syn::Item::Fn(item) => item,
            other => {
                let message = "#[on_event] goes on a function: \
                               `#[on_event(\"channel_vacated\")] async fn f(channel: &str) {}`";
                let mut error = syn::Error::new(item_keyword_span(&other), message);
                if let Err(e) = route_result {
                    error.combine(e);
                }
                return Err(error);
            }
        };
        let Args { route, deferred } = route_result?;
        let mut params = Vec::new();
        let mut receivers = Vec::new();
        for input in &item.sig.inputs {
            match input {
                FnArg::Receiver(receiver) => receivers.push(receiver.clone()),
                FnArg::Typed(typed) => params.push(Param {
                    name: binding_name(&typed.pat),
                    pat: typed.pat.clone(),
                    ty: typed.ty.clone(),
                }),
            }
        }
        Ok(Self {
            route,
            deferred,
            item,
            params,
            receivers,
        })
    }
}

/// The name a parameter's value is looked up by: `channel` for `channel: &str` (also
/// `mut channel` and `_channel`), nothing for a destructuring pattern such as `Shared(feeds)`.
fn binding_name(pat: &Pat) -> String {
    match pat {
        Pat::Ident(ident) => ident
            .ident
            .to_string()
            .trim_start_matches("r#")
            .trim_start_matches('_')
            .to_owned(),
        Pat::Type(typed) => binding_name(&typed.pat),
        _ => String::new(),
    }
}

/// A short span for an item that is not a function: its keyword when there is one.
fn item_keyword_span(item: &syn::Item) -> Span {
    match item {
        syn::Item::Struct(s) => s.struct_token.span,
        syn::Item::Enum(e) => e.enum_token.span,
        syn::Item::Const(c) => c.const_token.span,
        syn::Item::Static(s) => s.static_token.span,
        syn::Item::Impl(i) => i.impl_token.span,
        syn::Item::Mod(m) => m.mod_token.span,
        syn::Item::Trait(t) => t.trait_token.span,
        syn::Item::Type(t) => t.type_token.span,
        syn::Item::Use(u) => u.use_token.span,
        other => other.span(),
    }
}
