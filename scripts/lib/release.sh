# shellcheck shell=bash
# Sourced by the scripts that run the example app and the pwh command from release builds.

# build_app_and_cli: builds example-axum and pwh-cli in release (under CARGO_TARGET_DIR when
# set); sets app_bin and pwh to the two binaries.
build_app_and_cli() {
  local target_dir
  target_dir=$(cargo metadata --format-version 1 --no-deps --offline 2>/dev/null \
    | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
  target_dir=${target_dir:-${CARGO_TARGET_DIR:-target}}
  echo "building example-axum and pwh-cli in release (target: $target_dir)..." >&2
  cargo build --release --quiet -p example-axum -p pwh-cli
  # shellcheck disable=SC2034 # read by the sourcing script
  app_bin="$target_dir/release/example-axum"
  # shellcheck disable=SC2034
  pwh="$target_dir/release/pwh"
}
