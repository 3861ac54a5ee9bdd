//! Syntax in, checked: a struct with named fields, each read by (renamed) name.

use syn::{Data, DeriveInput, Fields, GenericParam, Ident, Lifetime, LitStr, Type};

use crate::errors::Errors;

pub(crate) struct Field {
    pub(crate) ident: Ident,
    pub(crate) ty: Type,
    /// The event field it is read from.
    pub(crate) name: String,
}

pub(crate) struct Struct {
    pub(crate) ident: Ident,
    /// The struct's one lifetime, if it borrows from the event.
    pub(crate) lifetime: Option<Lifetime>,
    pub(crate) fields: Vec<Field>,
}

impl Struct {
    pub(crate) fn parse(input: &DeriveInput) -> syn::Result<Self> {
        let mut errors = Errors::default();
        let mut lifetime = None;
        for param in &input.generics.params {
            match param {
                GenericParam::Lifetime(l) if lifetime.is_none() => {
                    lifetime = Some(l.lifetime.clone())
                }
                GenericParam::Lifetime(l) => errors.spanned(
                    l,
                    "#[derive(FromEvent)] supports one lifetime: the one borrowing from the event",
                ),
                other => errors.spanned(
                    other,
                    "#[derive(FromEvent)] does not support type or const parameters",
                ),
            }
        }
        let mut fields = Vec::new();
        match &input.data {
            Data::Struct(data) => match &data.fields {
                Fields::Named(named) => {
                    for field in &named.named {
                        let Some(ident) = field.ident.clone() else {
                            continue;
                        };
                        let mut name = ident.to_string().trim_start_matches("r#").to_owned();
                        for attr in field.attrs.iter().filter(|a| a.path().is_ident("pwh")) {
                            let parsed = attr.parse_nested_meta(|meta| {
                                if meta.path.is_ident("rename") {
                                    name = meta.value()?.parse::<LitStr>()?.value();
                                    Ok(())
                                } else {
                                    Err(meta.error("unknown attribute: expected `rename = \"field\"`"))
                                }
                            });
                            if let Err(e) = parsed {
                                errors.push(e);
                            }
                        }
                        fields.push(Field {
                            ident,
                            ty: field.ty.clone(),
                            name,
                        });
                    }
                }
                other => errors.spanned(
                    other,
                    "#[derive(FromEvent)] needs named fields: each is read from the event field of its name",
                ),
            },
            Data::Enum(e) => errors.spanned(e.enum_token, "#[derive(FromEvent)] works on structs, not enums"),
            Data::Union(u) => errors.spanned(u.union_token, "#[derive(FromEvent)] works on structs, not unions"),
        }
        errors.finish()?;
        Ok(Self {
            ident: input.ident.clone(),
            lifetime,
            fields,
        })
    }
}
