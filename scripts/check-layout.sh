#!/usr/bin/env bash
# The layout rules anyone can re-run (issue: "one event model, a dispatcher split by concern,
# thin and symmetric adapters"):
#   1. no `src` file over 400 lines;
#   2. no module of pwh-core imports a sibling's name through the crate root's re-exports
#      (`use crate::{...}`, `use crate::Name`, `crate::Name::...` in code);
#   3. no import cycle among pwh-core's top-level modules (scripts/module-cycles.py);
#   4. the adapters' sources share no block of six or more lines of the same logic (with the
#      `duplicates` tool, when it is on PATH; the shared crate header is not logic);
#   5. pwh-core's crate root exports at most 22 names, what a handler author needs
#      (scripts/root-exports.py); the rest lives in its modules.
# (Exported macros name items as `$crate::Name`, as they must.)
# Prints what breaks a rule and exits 1; exits 0 when every rule holds.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0

long=$(git ls-files '*.rs' | grep '/src/' | xargs wc -l | awk '$2 != "total" && $1 > 400')
if [ -n "$long" ]; then
  echo "src files over 400 lines:"; echo "$long"; status=1
else
  echo "ok: no src file over 400 lines"
fi

cycles=$(python3 scripts/module-cycles.py || true)
if [ -n "$cycles" ]; then
  echo "$cycles"; status=1
else
  echo "ok: no import cycle among pwh-core's modules"
fi

through_root=$(grep -rnE 'use crate::(\{|[A-Z])|[^:[:alnum:]_$]crate::[A-Z][A-Za-z]*(::|\(|<)' \
  pwh-core/src --include=*.rs | grep -v '^pwh-core/src/lib.rs:' | grep -vE '^[^:]+:[0-9]+:\s*//' || true)
if [ -n "$through_root" ]; then
  echo "pwh-core modules importing through the crate root:"; echo "$through_root"; status=1
else
  echo "ok: pwh-core modules import each name from the module that defines it"
fi

if root=$(python3 scripts/root-exports.py 22); then
  echo "ok: pwh-core's root exports $root"
else
  echo "pwh-core's root exports more than 22 names: $root"; status=1
fi

if command -v duplicates >/dev/null 2>&1; then
  pairs=$(duplicates --min-lines 6 --most 200 --seconds 120 \
    | grep -E '^D[0-9]+ ' \
    | grep -E 'pwh-(axum|rocket|actix)/src/[^ ]+ ~ pwh-(axum|rocket|actix)/src/' \
    | awk '{ split($2, a, "/"); split($4, b, "/"); if (a[1] != b[1]) print }' \
    | grep -vE 'lib\.rs:1-[0-9]+ ~ pwh-[a-z]+/src/lib\.rs:1-[0-9]+' || true)
  if [ -n "$pairs" ]; then
    echo "adapter sources sharing six or more lines:"; echo "$pairs"; status=1
  else
    echo "ok: the adapters' sources share no block of six or more lines (crate headers aside)"
  fi
else
  echo "skipped: the duplicates tool is not on PATH"
fi
exit $status
