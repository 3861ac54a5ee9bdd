//! The parameter types read from the event field named like the parameter: a copy of
//! `pwh_core`'s list (pwh-core depends on this crate, so it cannot be read from there),
//! compared with it in full by a test.

use syn::{GenericArgument, PathArguments, Type};

/// Each field type, by the last segment of its path.
pub(crate) const FIELD_TYPES: &[&str] = &[
    "str", "String", "u64", "u32", "u16", "usize", "i64", "i32", "f64", "bool", "RawValue", "Value",
];

/// Whether `ty` is read from the field named like the parameter: a field type, a reference
/// to one, or an `Option`/`Result` of those.
pub(crate) fn is_field_type(ty: &Type) -> bool {
    match ty {
        Type::Reference(r) => is_field_type(&r.elem),
        Type::Paren(p) => is_field_type(&p.elem),
        Type::Group(g) => is_field_type(&g.elem),
        Type::Path(p) if p.qself.is_none() => {
            let Some(last) = p.path.segments.last() else {
                return false;
            };
            if last.ident == "Option" || last.ident == "Result" {
                return match &last.arguments {
                    PathArguments::AngleBracketed(args) => match args.args.first() {
                        Some(GenericArgument::Type(inner)) => is_field_type(inner),
                        _ => false,
                    },
                    _ => false,
                };
            }
            FIELD_TYPES.iter().any(|name| last.ident == name)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mirrors_the_list_of_pwh_core() {
        assert_eq!(FIELD_TYPES, pwh_core::__private::FIELD_TYPES);
    }

    #[test]
    fn field_types_references_and_options_of_them() {
        let field = |ty: &str| is_field_type(&syn::parse_str::<Type>(ty).unwrap());
        for ty in [
            "&str",
            "&'r str",
            "String",
            "u64",
            "Option<&str>",
            "Result<u32, ExtractError>",
            "&RawValue",
            "serde_json::Value",
            "Option<Option<bool>>",
        ] {
            assert!(field(ty), "{ty}");
        }
        for ty in [
            "&Event",
            "&Webhook",
            "Shared<App>",
            "ClientData<Msg>",
            "Option<PusherEvent>",
            "Vec<u8>",
            "(u64, u64)",
        ] {
            assert!(!field(ty), "{ty}");
        }
    }
}
