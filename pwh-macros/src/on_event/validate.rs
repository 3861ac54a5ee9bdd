//! Every mistake found at once, each spanned on the token to fix.

use pwh_kinds::FieldSpec;
use syn::{GenericParam, Type};

use super::parse::{Handler, Route};
use crate::errors::Errors;
use crate::field_types::is_field_type;
use crate::kinds;

pub(crate) fn validate(handler: &Handler) -> syn::Result<()> {
    let mut errors = Errors::default();
    let sig = &handler.item.sig;
    for receiver in &handler.receivers {
        errors.spanned(
            receiver,
            "an event handler cannot take `self`: make it a free function \
             (it receives the event through its parameters)",
        );
    }
    for param in &sig.generics.params {
        if !matches!(param, GenericParam::Lifetime(_)) {
            errors.spanned(
                param,
                "an event handler cannot be generic: the dispatcher must know each \
                 parameter's type (use concrete types, or `&Event` to read any field)",
            );
        }
    }
    if let Some(where_clause) = &sig.generics.where_clause {
        errors.spanned(
            where_clause,
            "an event handler cannot have a `where` clause",
        );
    }
    if handler.deferred.is_none() {
        for param in &handler.params {
            if is_job(&param.ty) {
                errors.spanned(
                    &param.ty,
                    "`Job` is given to deferred handlers only: mark the handler \
                     `#[on_event(\"kind\", deferred)]` to run it later as a job",
                );
            }
        }
    }
    if let Some(variadic) = &sig.variadic {
        errors.spanned(variadic, "an event handler cannot be variadic");
    }
    if let Some(constness) = &sig.constness {
        errors.spanned(constness, "an event handler cannot be a `const fn`");
    }
    for param in &handler.params {
        if let Type::ImplTrait(_) = *param.ty {
            errors.spanned(
                &param.ty,
                "an event handler cannot take `impl Trait`: name a concrete type",
            );
        }
    }
    match &handler.route {
        Route::Kind(kind) => {
            let name = kind.value();
            match kinds::fields(&name) {
                Some(fields) => check_fields(handler, &name, fields, &mut errors),
                None => {
                    let hint = match kinds::suggest(&name, kinds::names()) {
                        Some(close) => format!("did you mean `{close}`? "),
                        None => String::new(),
                    };
                    errors.spanned(
                        kind,
                        format!(
                            "unknown Pusher event kind `{name}`; {hint}known kinds: {}. \
                             For a kind this library does not know, write \
                             #[on_event(custom = \"{name}\")]",
                            list(kinds::names())
                        ),
                    );
                }
            }
        }
        Route::Custom(kind) if kind.value().is_empty() => {
            errors.spanned(kind, "the event kind cannot be empty");
        }
        Route::Custom(_) | Route::Any => {}
    }
    errors.finish()
}

/// Parameters read as fields by name must name a field the kind has; a field the kind carries
/// only sometimes must be taken as an `Option` (a field Pusher always sends, but some
/// compatible servers leave out, may be taken either way).
fn check_fields(handler: &Handler, kind: &str, fields: &[FieldSpec], errors: &mut Errors) {
    let names = || fields.iter().map(|field| field.name);
    for param in &handler.params {
        if !is_field_type(&param.ty) {
            continue;
        }
        let name = param.name.as_str();
        if name == "name" {
            continue;
        }
        if let Some(field) = fields.iter().find(|field| field.name == name) {
            if field.presence.needs_option() && !is_optional(&param.ty) {
                errors.spanned(
                    &param.ty,
                    format!(
                        "`{kind}` events carry `{name}` only sometimes, so it cannot be a \
                         required parameter: take it as `Option<_>` (e.g. `{name}: Option<&str>`), \
                         or as `Result<_, ExtractError>` to see why it is missing"
                    ),
                );
            }
            continue;
        }
        let hint = match kinds::suggest(name, names()) {
            Some(close) if !name.is_empty() => format!(" (did you mean `{close}`?)"),
            _ => String::new(),
        };
        let what = if name.is_empty() {
            "a destructured parameter".to_owned()
        } else {
            format!("no `{name}` field")
        };
        errors.spanned(
            &param.pat,
            format!(
                "`{kind}` events have {what}{hint}; their fields are {} (and `name`). \
                 Parameters of this type are read from the field named like the parameter",
                list(names())
            ),
        );
    }
}

/// Whether `ty` is `Option<_>` or `Result<_, _>`: it can stand for an absent field.
fn is_optional(ty: &Type) -> bool {
    match ty {
        Type::Paren(p) => is_optional(&p.elem),
        Type::Group(g) => is_optional(&g.elem),
        Type::Path(p) => p
            .path
            .segments
            .last()
            .is_some_and(|s| s.ident == "Option" || s.ident == "Result"),
        _ => false,
    }
}

fn list<'a>(items: impl Iterator<Item = &'a str>) -> String {
    items
        .map(|i| format!("`{i}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether `ty` names pwh's `Job` (`Job`, `pwh_core::Job`, `&Job`).
fn is_job(ty: &Type) -> bool {
    match ty {
        Type::Reference(r) => is_job(&r.elem),
        Type::Path(p) => {
            p.qself.is_none()
                && p.path
                    .segments
                    .last()
                    .is_some_and(|s| s.ident == "Job" && s.arguments.is_empty())
        }
        _ => false,
    }
}
