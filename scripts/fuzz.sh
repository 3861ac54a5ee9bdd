#!/usr/bin/env bash
# Fuzz pwh-core's framework-free entry point (Dispatcher::handle) with cargo-fuzz.
#
#   scripts/fuzz.sh [seconds]        # default 600
#
# Needs the nightly toolchain (`rustup toolchain install nightly`); installs cargo-fuzz when
# missing. Seeds fuzz/corpus/dispatch with the committed seeds (fuzz/seeds/dispatch, which
# `cargo test -p pwh-tests --test fuzz_contract` also runs) and from conformance/cases.json
# (prefix 00 00 00 01: POST, the first token's key, a valid signature, no max age; the layout
# is in fuzz/contract/dispatch.rs), runs the `dispatch` target for the given time, and prints
# executions, exec/s, crashes and the corpus size.
# Crashing inputs land in fuzz/artifacts/dispatch/ (git-ignored, as are fuzz/corpus and
# fuzz/coverage). Set CARGO_TARGET_DIR to build elsewhere than fuzz/target.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-600}
case $seconds in
  '' | *[!0-9]*) echo "usage: scripts/fuzz.sh [seconds]" >&2; exit 2 ;;
esac

if ! cargo +nightly --version >/dev/null 2>&1; then
  echo "error: the nightly toolchain is needed: rustup toolchain install nightly" >&2
  exit 2
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "installing cargo-fuzz..." >&2
  cargo install cargo-fuzz --locked
fi

corpus=fuzz/corpus/dispatch
artifacts=fuzz/artifacts/dispatch
mkdir -p "$corpus" "$artifacts"

# Seeds: the committed ones, then each conformance case's exact body behind the 4-byte prefix.
cp fuzz/seeds/dispatch/* "$corpus"/
echo "seeded $(find fuzz/seeds/dispatch -type f | wc -l) committed seeds into $corpus" >&2
if command -v python3 >/dev/null 2>&1; then
  python3 - "$corpus" <<'PY'
import base64, json, sys
corpus = sys.argv[1]
cases = json.load(open("conformance/cases.json"))["cases"]
for case in cases:
    if "body_base64" in case:
        body = base64.b64decode(case["body_base64"])
    else:
        body = case.get("body", "").encode()
    with open(f"{corpus}/seed-{case['name']}", "wb") as f:
        f.write(b"\x00\x00\x00\x01" + body)
print(f"seeded {len(cases)} conformance bodies into {corpus}", file=sys.stderr)
PY
else
  echo "python3 not found: not seeding the corpus from conformance/cases.json" >&2
fi

target_dir=()
if [[ -n ${CARGO_TARGET_DIR:-} ]]; then
  target_dir=(--target-dir "$CARGO_TARGET_DIR")
fi

log=$(mktemp "${TMPDIR:-/tmp}/pwh-fuzz.XXXXXX.log")
crashes_before=$(find "$artifacts" -type f | wc -l)
echo "fuzzing for ${seconds}s (log: $log)..." >&2
set +e
# -a: debug assertions, so that arithmetic overflow panics too.
cargo +nightly fuzz run -a ${target_dir[@]+"${target_dir[@]}"} dispatch "$corpus" -- \
  -max_total_time="$seconds" -print_final_stats=1 -dict=fuzz/dispatch.dict \
  -max_len=4096 -timeout=10 -rss_limit_mb=2048 2>&1 | tee "$log" \
  | grep --line-buffered -vE '^(#[0-9]+\s+(NEW|REDUCE)\s|"|###### )'
status=${PIPESTATUS[0]}
set -e

crashes=$(( $(find "$artifacts" -type f | wc -l) - crashes_before ))
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
secs=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -1)
echo
echo "== fuzz dispatch: ${secs:-?}s, ${runs:-?} executions, ${rate:-?} exec/s, corpus $(find "$corpus" -type f | wc -l) inputs, $crashes new crash(es), exit $status =="
if (( crashes > 0 )); then
  find "$artifacts" -type f -newer "$log" -printf '  %p\n'
fi
exit "$status"
