//! Fuzzes `Dispatcher::handle`, pwh-core's framework-free entry point, against the contract of
//! `fuzz/contract/dispatch.rs` (the input's layout and the invariants, which
//! `tests/tests/fuzz_contract.rs` also runs over the committed seeds in `fuzz/seeds/dispatch`
//! and the conformance cases).
//!
//! `scripts/fuzz.sh` seeds the corpus with `fuzz/seeds/dispatch/*` and with `[0, 0, 0, 1]` +
//! each conformance case's body.

#![no_main]
// Every refusal kind of `pwh_core::adapter::Rejection` is named in the contract's matches: a new kind
// fails to compile here, although the enum is `#[non_exhaustive]`.
#![feature(non_exhaustive_omitted_patterns_lint)]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

#[path = "../contract/dispatch.rs"]
#[deny(non_exhaustive_omitted_patterns)]
mod contract;

fuzz_target!(|data: &[u8]| {
    static HARNESS: OnceLock<contract::Harness> = OnceLock::new();
    let harness = HARNESS.get_or_init(contract::Harness::new);
    if let Err(violation) = harness.run(data) {
        panic!("contract violated: {violation}");
    }
});
