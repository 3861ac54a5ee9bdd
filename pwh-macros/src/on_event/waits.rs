//! Whether an `async fn`'s body can wait: an `.await`, or a macro that might hide one.

use proc_macro2::{Spacing, TokenStream, TokenTree};
use syn::visit::Visit;

/// Macros that never wait: they format, assert, log or build values.
const NEVER_WAIT: &[&str] = &[
    "assert",
    "assert_eq",
    "assert_ne",
    "concat",
    "dbg",
    "debug",
    "debug_assert",
    "debug_assert_eq",
    "debug_assert_ne",
    "eprint",
    "eprintln",
    "error",
    "format",
    "format_args",
    "info",
    "matches",
    "panic",
    "print",
    "println",
    "stringify",
    "todo",
    "trace",
    "unimplemented",
    "unreachable",
    "vec",
    "warn",
    "write",
    "writeln",
];

/// Whether `item` may wait: its body holds an `.await`, or a macro not known to never wait
/// (such a macro, `join!` say, can expand to an `.await` without showing one), or a known
/// macro whose arguments hold `await` or another macro; or the function carries an attribute
/// that may rewrite its body. Conservative: `true` for an `.await` inside a nested `async` block
/// or closure too. A wrong `false` would make the handler fail at run time (see
/// `pwh_core::__private::ready`), so every doubt says `true`.
pub(crate) fn may_wait(item: &syn::ItemFn) -> bool {
    if item.attrs.iter().any(|attr| !is_inert(attr)) {
        return true;
    }
    let mut finder = Finder { waits: false };
    finder.visit_block(&item.block);
    finder.waits
}

/// Attributes that leave the body as it is.
fn is_inert(attr: &syn::Attribute) -> bool {
    const INERT: &[&str] = &[
        "doc",
        "allow",
        "warn",
        "deny",
        "forbid",
        "expect",
        "cfg",
        "must_use",
        "inline",
        "deprecated",
        "track_caller",
        "cold",
    ];
    attr.path()
        .get_ident()
        .is_some_and(|name| INERT.iter().any(|inert| name == inert))
}

/// Whether `mac` is one of [`NEVER_WAIT`], named alone (`println!`) or under the crates that
/// define them (`std::println!`, `tracing::info!`).
fn never_waits(mac: &syn::Macro) -> bool {
    let segments = &mac.path.segments;
    let known = |ident: &syn::Ident| NEVER_WAIT.iter().any(|name| ident == name);
    match (segments.first(), segments.last()) {
        (Some(only), _) if segments.len() == 1 => known(&only.ident),
        (Some(root), Some(last)) if segments.len() == 2 => {
            ["std", "core", "alloc", "tracing", "log"]
                .iter()
                .any(|krate| root.ident == krate)
                && known(&last.ident)
        }
        _ => false,
    }
}

struct Finder {
    waits: bool,
}

impl<'ast> Visit<'ast> for Finder {
    fn visit_expr_await(&mut self, _: &'ast syn::ExprAwait) {
        self.waits = true;
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        if !never_waits(mac) || hides_a_wait(&mac.tokens) {
            self.waits = true;
        }
    }
}

/// Whether a macro's arguments hold `await`, or a macro call of their own (`name!`): a known
/// macro can wrap one that waits.
fn hides_a_wait(tokens: &TokenStream) -> bool {
    let mut previous_is_ident = false;
    tokens.clone().into_iter().any(|tree| {
        let hides = match &tree {
            TokenTree::Ident(ident) => ident == "await",
            TokenTree::Group(group) => hides_a_wait(&group.stream()),
            // `name!`, not `a != b` (whose `!` is joined to the `=`).
            TokenTree::Punct(punct) => {
                previous_is_ident && punct.as_char() == '!' && punct.spacing() == Spacing::Alone
            }
            TokenTree::Literal(_) => false,
        };
        previous_is_ident = matches!(tree, TokenTree::Ident(_));
        hides
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn waits(body: &str) -> bool {
        may_wait(&syn::parse_str(&format!("async fn f() {body}")).unwrap())
    }

    #[test]
    fn awaits_and_unknown_macros_may_wait() {
        assert!(!waits("{}"));
        assert!(!waits(
            r#"{ let x = 1; println!("{x}"); tracing::info!(x, "y"); }"#
        ));
        assert!(!waits("{ if a { return Err(format!(\"no\")); } Ok(()) }"));
        assert!(!waits("{ assert!(a != b); std::println!(\"{}\", !a); }"));
        assert!(waits("{ tokio::task::yield_now().await; }"));
        assert!(waits("{ let x = async { f().await }; }"));
        assert!(waits("{ futures::join!(a, b); }"));
        assert!(waits("{ my_macro!(); }"));
        assert!(waits("{ mine::info!(); }"));
        assert!(waits(r#"{ println!("{}", f().await); }"#));
        assert!(waits(r#"{ println!("{:?}", tokio::join!(a(), b())); }"#));
        assert!(waits("{ dbg!(futures::select! { x = a => x }); }"));
        assert!(waits("{ let g = || async { h().await }; }"));
    }

    #[test]
    fn attributes_that_may_rewrite_the_body_may_wait() {
        let item = |source: &str| may_wait(&syn::parse_str(source).unwrap());
        assert!(!item(
            "/// Docs.\n#[allow(unused)] #[inline] async fn f() {}"
        ));
        assert!(item("#[cached] async fn f() {}"));
        assert!(item("#[tracing::instrument] async fn f() {}"));
    }
}
