#!/usr/bin/env bash
# Instructions per iteration of each contender of benches/dispatch.rs, counted by valgrind's
# callgrind: deterministic for the same binary and inputs, so a busy shared machine does not
# move them the way it moves criterion's times. Instructions are not time (cache misses,
# branch mispredictions and the clock's cost differ), so read them beside criterion's medians.
#
#   benches/callgrind.sh                               # every contender, then the ratios
#   benches/callgrind.sh webhook_20_events/entry_point # some contenders
#   KEEP=/tmp/cg benches/callgrind.sh ...              # keep both callgrind.out files of each
#       contender (<group>-<bench>.n1.out and .n2.out); benches/callgrind-diff.py prints the
#       instructions per delivery of each function: the difference of the two, per iteration.
#
# Each contender runs twice under callgrind, with N1 and N2 iterations after the same warm-up
# of 2,000 deliveries; (I(N2) - I(N1)) / (N2 - N1) removes the setup. Warm-up and iterations
# stay within one pass through the pool of 10,000 bodies, which the dispatcher's memory has
# room for: every delivery is a first one and nothing is forgotten (N2 at most 8,000).
set -euo pipefail
cd "$(dirname "$0")/.."

N1=${N1:-200}
N2=${N2:-1200}
command -v valgrind >/dev/null || { echo "valgrind is needed: apt-get install -y valgrind" >&2; exit 1; }

exe=$(cargo bench -p pwh-bench --bench dispatch --no-run 2>&1 \
  | sed -n 's/.*Executable .*(\(.*\)).*/\1/p' | tail -n 1)
[ -x "$exe" ] || { echo "could not build the dispatch bench" >&2; exit 1; }

if [ $# -gt 0 ]; then
  contenders=("$@")
else
  contenders=(
    webhook_1_event/entry_point webhook_1_event/entry_point_no_log webhook_1_event/baseline
    webhook_1_event/pusher webhook_20_events/entry_point webhook_20_events/entry_point_no_log
    webhook_20_events/baseline webhook_20_events/pusher
    dispatch_kinds/kinds_1 dispatch_kinds/kinds_100 dispatch_kinds/kinds_10000
    dispatch_kinds/kinds_10000_hot
  )
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Runs contender $1 for $2 iterations under callgrind into file $3; prints
# "<all instructions> <instructions inside SHA-256 compression>".
instructions() {
  local total sha
  total=$(PWH_BENCH_COUNT="$1:$2" valgrind --tool=callgrind --callgrind-out-file="$3" "$exe" 2>&1 \
    | sed -n 's/.*Collected : \([0-9]*\).*/\1/p')
  sha=$(callgrind_annotate --inclusive=yes --threshold=100 "$3" 2>/dev/null \
    | awk '/:sha2::sha256::compress256 \[/ && !seen { gsub(",", "", $1); print $1; seen = 1 }')
  echo "$total ${sha:-0}"
}

# valgrind's virtual CPU has no SHA extensions, so sha2 runs its portable code there, which
# costs far more instructions than SHA-NI on the real CPU: the "without SHA-256" column is the
# comparison of everything else.
declare -A per rest
printf '%-32s %12s %18s\n' contender instructions "without SHA-256"
for c in "${contenders[@]}"; do
  read -r t1 s1 < <(instructions "$c" "$N1" "$tmp/1.out")
  read -r t2 s2 < <(instructions "$c" "$N2" "$tmp/2.out")
  if [ -n "${KEEP:-}" ]; then
    mkdir -p "$KEEP"
    cp "$tmp/1.out" "$KEEP/${c//\//-}.n1.out"
    cp "$tmp/2.out" "$KEEP/${c//\//-}.n2.out"
  fi
  per[$c]=$(( (t2 - t1) / (N2 - N1) ))
  rest[$c]=$(( ((t2 - s2) - (t1 - s1)) / (N2 - N1) ))
  printf '%-32s %12d %18d\n' "$c" "${per[$c]}" "${rest[$c]}"
done

ratio() { # label numerator denominator
  if [ -n "${per[$2]:-}" ] && [ -n "${per[$3]:-}" ]; then
    awk -v l="$1" -v n="${per[$2]}" -v d="${per[$3]}" -v rn="${rest[$2]}" -v rd="${rest[$3]}" \
      'BEGIN { printf "%-40s %12.2f %18.2f\n", l, n / d, rn / rd }'
  fi
}
echo
printf '%-40s %12s %18s\n' ratio instructions "without SHA-256"
ratio "entry point / baseline, 1 event" webhook_1_event/entry_point webhook_1_event/baseline
ratio "entry point / baseline, 20 events" webhook_20_events/entry_point webhook_20_events/baseline
ratio "entry point without log / baseline, 1" webhook_1_event/entry_point_no_log webhook_1_event/baseline
ratio "entry point without log / baseline, 20" webhook_20_events/entry_point_no_log webhook_20_events/baseline
ratio "pusher / entry point, 1 event" webhook_1_event/pusher webhook_1_event/entry_point
ratio "pusher / entry point, 20 events" webhook_20_events/pusher webhook_20_events/entry_point
ratio "100 kinds / 1 kind" dispatch_kinds/kinds_100 dispatch_kinds/kinds_1
ratio "10,000 kinds / 1 kind" dispatch_kinds/kinds_10000 dispatch_kinds/kinds_1
