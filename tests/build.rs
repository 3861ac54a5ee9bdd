//! Tells the UI tests whether this is the toolchain their `.stderr` files were written for.

const PINNED: &str = "rustc 1.95.";

fn main() {
    println!("cargo::rustc-check-cfg=cfg(ui_pinned)");
    println!("cargo::rerun-if-env-changed=RUSTC");
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let version = std::process::Command::new(rustc)
        .arg("-V")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    if version.starts_with(PINNED) {
        println!("cargo::rustc-cfg=ui_pinned");
    }
}
