//! The route table: for each event kind, the handlers to run, in one flat array.

use std::collections::HashMap;
use std::ops::Range;

use rustc_hash::FxBuildHasher;

use crate::handler::EventRoute;

/// Which targets (handlers) each event kind goes to: a kind's own handlers, then the
/// catch-all ones; kinds without handlers of their own go to the catch-all ones only.
///
/// All targets live in one array, each kind's side by side, so that a lookup touches the
/// table's bucket, the kind's text and one run of targets, however many kinds there are.
pub(crate) struct Routes<T> {
    /// FxHash: the kinds looked up come from verified bodies, which nobody without the secret
    /// can write, so no keyed (and slower) hash is needed against chosen collisions.
    kinds: HashMap<Box<str>, Range<usize>, FxBuildHasher>,
    targets: Vec<T>,
    catch_all: Range<usize>,
}

impl<T: Clone> Routes<T> {
    /// The table for `targets` and the route of each, kept in this order within a kind.
    pub(crate) fn new(targets: impl IntoIterator<Item = (EventRoute, T)>) -> Self {
        let mut catch_all = Vec::new();
        let mut by_kind: Vec<(Box<str>, Vec<T>)> = Vec::new();
        let mut index: HashMap<Box<str>, usize> = HashMap::new();
        for (route, target) in targets {
            match route {
                EventRoute::Any => catch_all.push(target),
                EventRoute::Kind(kind) => {
                    let next = by_kind.len();
                    let i = *index.entry(kind.as_ref().into()).or_insert(next);
                    match by_kind.get_mut(i) {
                        Some((_, own)) => own.push(target),
                        None => by_kind.push((kind.as_ref().into(), vec![target])),
                    }
                }
            }
        }
        let mut flat = catch_all.clone();
        let mut kinds = HashMap::default();
        for (kind, own) in by_kind {
            let start = flat.len();
            flat.extend(own);
            flat.extend_from_slice(&catch_all);
            kinds.insert(kind, start..flat.len());
        }
        Self {
            kinds,
            targets: flat,
            catch_all: 0..catch_all.len(),
        }
    }

    /// The targets of an event of `kind`, in order.
    pub(crate) fn get(&self, kind: &str) -> &[T] {
        let range = self.kinds.get(kind).unwrap_or(&self.catch_all);
        self.targets.get(range.clone()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_gets_its_handlers_then_the_catch_all_ones() {
        let routes = Routes::new([
            (EventRoute::kind("a"), 1),
            (EventRoute::Any, 10),
            (EventRoute::kind("b"), 2),
            (EventRoute::kind("a"), 3),
            (EventRoute::Any, 20),
        ]);
        assert_eq!(routes.get("a"), [1, 3, 10, 20]);
        assert_eq!(routes.get("b"), [2, 10, 20]);
        assert_eq!(routes.get("unknown"), [10, 20]);
        assert_eq!(routes.get(""), [10, 20]);
    }

    #[test]
    fn without_catch_all_an_unknown_kind_has_no_targets() {
        let routes = Routes::new([(EventRoute::kind("a"), 1)]);
        assert_eq!(routes.get("a"), [1]);
        assert!(routes.get("b").is_empty());
    }

    #[test]
    fn many_kinds_and_kinds_differing_late_are_told_apart() {
        let kinds: Vec<String> = (0..10_000)
            .map(|i| format!("a_long_common_prefix_{i}"))
            .collect();
        let routes = Routes::new(
            kinds
                .iter()
                .enumerate()
                .map(|(i, k)| (EventRoute::kind(k.clone()), i)),
        );
        for (i, kind) in kinds.iter().enumerate() {
            assert_eq!(routes.get(kind), [i]);
        }
        assert!(routes.get("a_long_common_prefix_").is_empty());
    }
}
