//! Compile-error (and compile-pass) tests of the macros, with `trybuild`.
//!
//! Compiler messages change between Rust releases, so the `.stderr` files are pinned to the
//! toolchain the project uses; on another one the test says so and checks nothing.

const PINNED: &str = "rustc 1.95.";

#[test]
fn ui() {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let version = std::process::Command::new(rustc)
        .arg("-V")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    if !version.starts_with(PINNED) {
        eprintln!("UI tests are pinned to {PINNED}x; this is {version}: skipped");
        return;
    }
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass/*.rs");
    t.compile_fail("tests/ui/fail/*.rs");
}
