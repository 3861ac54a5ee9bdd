//! A crate outside the workspace that depends on pwh-core alone compiles an `#[on_event]`
//! handler, and the handler runs when a signed webhook is dispatched.

use std::path::Path;
use std::process::Command;

#[test]
fn a_crate_depending_on_pwh_core_alone_registers_and_runs_its_handler() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("external-crate");
    let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
    let deps = manifest.split("[dependencies]").nth(1).unwrap();
    let deps: Vec<_> = deps
        .lines()
        .take_while(|l| !l.starts_with('['))
        .filter(|l| !l.trim().is_empty())
        .collect();
    assert_eq!(
        deps,
        ["pwh-core = { path = \"../../pwh-core\" }"],
        "pwh-core must be the only dependency"
    );

    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("external-crate");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = Command::new(cargo)
        .args(["run", "--quiet", "--manifest-path"])
        .arg(dir.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", &target)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "external crate failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(stdout.trim(), "status 200 handled 1");
}
