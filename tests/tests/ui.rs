//! Compile-error (and compile-pass) tests of the macros, with `trybuild`.
//!
//! Compiler messages change between Rust releases, so the `.stderr` files are pinned to the
//! toolchain the project uses (`build.rs` tells); on another one the test is reported as
//! ignored, not passed.

#[test]
#[cfg_attr(
    not(ui_pinned),
    ignore = "the .stderr files are pinned to rustc 1.95; this is another toolchain"
)]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass/*.rs");
    t.compile_fail("tests/ui/fail/*.rs");
}
