//! Whether an `async fn`'s body can wait: an `.await`, or a macro that might hide one.

use proc_macro2::{TokenStream, TokenTree};
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

/// Whether `block` may wait: it holds an `.await`, or a macro not known to never wait (such a
/// macro, `join!` say, can expand to an `.await` without showing one), or a macro whose
/// arguments hold `await`. Conservative: `true` for an `.await` inside a nested `async` block
/// or closure too.
pub(crate) fn may_wait(block: &syn::Block) -> bool {
    let mut finder = Finder { waits: false };
    finder.visit_block(block);
    finder.waits
}

struct Finder {
    waits: bool,
}

impl<'ast> Visit<'ast> for Finder {
    fn visit_expr_await(&mut self, _: &'ast syn::ExprAwait) {
        self.waits = true;
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        let known = mac
            .path
            .segments
            .last()
            .is_some_and(|s| NEVER_WAIT.iter().any(|name| s.ident == name));
        if !known || mentions_await(&mac.tokens) {
            self.waits = true;
        }
    }
}

fn mentions_await(tokens: &TokenStream) -> bool {
    tokens.clone().into_iter().any(|tree| match tree {
        TokenTree::Ident(ident) => ident == "await",
        TokenTree::Group(group) => mentions_await(&group.stream()),
        _ => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn waits(body: &str) -> bool {
        may_wait(&syn::parse_str(body).unwrap())
    }

    #[test]
    fn awaits_and_unknown_macros_may_wait() {
        assert!(!waits("{}"));
        assert!(!waits(
            r#"{ let x = 1; println!("{x}"); tracing::info!(x, "y"); }"#
        ));
        assert!(!waits("{ if a { return Err(format!(\"no\")); } Ok(()) }"));
        assert!(waits("{ tokio::task::yield_now().await; }"));
        assert!(waits("{ let x = async { f().await }; }"));
        assert!(waits("{ futures::join!(a, b); }"));
        assert!(waits("{ my_macro!(); }"));
        assert!(waits(r#"{ println!("{}", f().await); }"#));
        assert!(waits("{ let g = || async { h().await }; }"));
    }
}
