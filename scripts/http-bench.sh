#!/usr/bin/env bash
# HTTP load benchmark of issue 6: each example app against a bare app of the same framework
# whose POST route only reads the body and answers 200; and, to tell pwh's cost from the cost
# of the work itself, an app that mounts pwh with one no-op handler and a hand-written
# endpoint doing the minimum by hand (`hand-*`: pwh_bench::baseline::Baseline behind a route).
#
#   scripts/http-bench.sh                      # axum, Rocket and actix-web, 3 rounds of 5 s, 64 connections
#   DURATION=3 ROUNDS=2 scripts/http-bench.sh  # shorter
#   FRAMEWORKS=axum EVENTS=20 scripts/http-bench.sh
#
# Settings (environment): FRAMEWORKS ("axum rocket actix"), ROUNDS (3), DURATION (seconds, 5),
# CONNECTIONS (64), THREADS (wrk threads, 2), BODIES (distinct signed webhooks, 500000), EVENTS
# (events per webhook, 1), PORT (127.0.0.1 port, 3180), PIN (1: app on CPU 0, wrk on CPU 1).
#
# Every request must be a first delivery, and the apps' delivery memory must not forget any
# body early: pwh's default memory (64 MiB, which the example and noop apps use) has room for
# about 559,000 bodies and forgets a body only at its max age, so a body sent twice in a run
# is a replay (which runs nothing). So BODIES stays within that room (gen-bodies warns
# otherwise), and a run must send at most BODIES requests: 500,000 in 5 s allows 100,000
# req/s. A run of the example or pwh app that sent more requests than BODIES is flagged.
#
# What it does: installs wrk if missing (apt-get), builds example-axum, example-rocket,
# example-actix and the
# pwh-bench binaries (bare-*, noop-*, hand-*, gen-bodies) in release, then for each round and
# framework runs the example app, the pwh no-op app, the hand-written app and the bare app one
# after the other (the order rotates between rounds): fresh signed bodies with time_ms = now
# (demo-key / demo-secret, the apps' demo token), a fresh app process on 127.0.0.1 with
# RUST_LOG=warn, one wrk run of DURATION, then the app is stopped. It prints requests/s and
# p99 latency of every run, the medians, and the ratios example / bare (goal: >= 0.9),
# pwh / bare, hand / bare, pwh / hand and example / pwh. A run with non-2xx answers or, for an
# example app, fewer handled events than sent (replays) is flagged. Every loop is bounded and
# whatever the script started is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

FRAMEWORKS=${FRAMEWORKS:-axum rocket actix}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-5}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
BODIES=${BODIES:-500000}
EVENTS=${EVENTS:-1}
PORT=${PORT:-3180}
PIN=${PIN:-0}
KEY=demo-key
ADDR=127.0.0.1:$PORT
URL=http://$ADDR

work=$(mktemp -d /tmp/http-bench.XXXXXX)
app_pid=
cleanup() {
  if [ -n "$app_pid" ] && kill -0 "$app_pid" 2>/dev/null; then
    kill -TERM "$app_pid" 2>/dev/null || true
    wait "$app_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if ! command -v wrk >/dev/null; then
  echo "installing wrk (apt-get)..." >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >&2
fi

target_dir=$(cargo metadata --format-version 1 --no-deps --offline 2>/dev/null \
  | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
target_dir=${target_dir:-${CARGO_TARGET_DIR:-target}}
echo "building example-axum, example-rocket, example-actix and pwh-bench in release (target: $target_dir)..." >&2
cargo build --release --quiet -p example-axum -p example-rocket -p example-actix -p pwh-bench --bins --features pwh-bench/actix
bin=$target_dir/release

pin_app=()
pin_wrk=()
if [ "$PIN" = 1 ]; then
  pin_app=(taskset -c 0)
  pin_wrk=(taskset -c 1)
fi

# Starts $1 (a binary) on $ADDR; returns once it accepts connections (at most 10 s).
start_app() {
  RUST_LOG=warn PWH_ADDR=$ADDR ${pin_app[@]+"${pin_app[@]}"} "$1" >"$work/app.log" 2>&1 &
  app_pid=$!
  for _ in $(seq 1 100); do
    if curl -s -o /dev/null --max-time 1 "$URL/"; then
      return 0
    fi
    if ! kill -0 "$app_pid" 2>/dev/null; then
      echo "$1 exited at start:" >&2
      cat "$work/app.log" >&2
      return 1
    fi
    sleep 0.1
  done
  echo "$1 did not listen on $ADDR within 10 s" >&2
  return 1
}

# Stops the app (SIGTERM, then SIGKILL after 10 s).
stop_app() {
  kill -TERM "$app_pid" 2>/dev/null || true
  for _ in $(seq 1 100); do
    kill -0 "$app_pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$app_pid" 2>/dev/null || true
  wait "$app_pid" 2>/dev/null || true
  app_pid=
}

# field NAME LINE: the value of NAME=... in LINE.
field() { sed -n "s/.*[[:space:]]$1=\([^[:space:]]*\).*/\1/p" <<<" $2"; }

# run KIND FRAMEWORK ROUND: one measured run of the example or bare app; appends to results.
results=$work/results.txt
run() {
  local kind=$1 fw=$2 round=$3 app
  case $kind in
    example) app=$bin/example-$fw ;;
    pwh) app=$bin/noop-$fw ;;
    hand) app=$bin/hand-$fw ;;
    *) app=$bin/bare-$fw ;;
  esac
  "$bin/gen-bodies" --count "$BODIES" --events "$EVENTS" --out "$work/bodies.txt"
  start_app "$app"
  local out line
  out=$(${pin_wrk[@]+"${pin_wrk[@]}"} wrk -t "$THREADS" -c "$CONNECTIONS" -d "${DURATION}s" \
    --timeout 5s -s scripts/http-bench.lua "$URL" -- "$work/bodies.txt" "$THREADS" "$KEY")
  line=$(grep '^RESULT' <<<"$out" || true)
  local note=""
  if [ -z "$line" ]; then
    echo "wrk printed no result:" >&2
    echo "$out" >&2
    stop_app
    return 1
  fi
  local requests rps p99 status_errors errors
  requests=$(field requests "$line")
  rps=$(field rps "$line")
  p99=$(field p99_us "$line")
  status_errors=$(field status_errors "$line")
  errors=$(($(field connect_errors "$line") + $(field read_errors "$line") \
    + $(field write_errors "$line") + $(field timeouts "$line")))
  [ "$status_errors" = 0 ] || note="$note $status_errors non-2xx!"
  [ "$errors" = 0 ] || note="$note $errors socket errors/timeouts"
  if [ "$kind" = example ] || [ "$kind" = pwh ]; then
    # Bodies sent again were replays: lower DURATION or raise BODIES.
    [ "$requests" -le "$BODIES" ] || note="$note $requests requests for $BODIES bodies: replays!"
  fi
  if [ "$kind" = example ]; then
    # Every request carried EVENTS events, each handled once unless it was refused or a replay.
    local handled sent
    handled=$(curl -s --max-time 5 "$URL/state" | sed -n 's/.*"handled_total":\([0-9]*\).*/\1/p')
    sent=$((requests * EVENTS))
    note="$note handled ${handled:-?}/$sent events"
    if [ -z "$handled" ] || [ $((handled * 100)) -lt $((sent * 99)) ]; then
      note="$note (FEWER THAN SENT: replays or refusals?)"
    fi
  fi
  stop_app
  printf '%-7s %-8s %-7s round %d: %10.0f req/s  p99 %8.2f ms %s\n' \
    "$fw" "$kind" "" "$round" "$rps" "$(awk -v u="$p99" 'BEGIN { print u / 1000 }')" "$note" >&2
  echo "$fw $kind $round $rps $p99" >>"$results"
}

echo "wrk: $CONNECTIONS connections, $THREADS threads, ${DURATION}s per run, $ROUNDS rounds;" \
  "$BODIES distinct webhooks of $EVENTS event(s); pinned: $PIN; $(nproc) CPUs" >&2
for round in $(seq 1 "$ROUNDS"); do
  for fw in $FRAMEWORKS; do
    case $((round % 4)) in
      1) order="example pwh hand bare" ;;
      2) order="pwh hand bare example" ;;
      3) order="hand bare example pwh" ;;
      *) order="bare example pwh hand" ;;
    esac
    for kind in $order; do
      run "$kind" "$fw" "$round"
    done
  done
done

# Medians over the rounds, and the ratio of the medians (and the median of per-round ratios).
echo
awk '
  # The ratio of the median req/s of kinds a and b of framework f, the median of the per-round
  # ratios, and the ratio of the median p99s; with goal set, whether it reaches 0.9.
  function ratio(f, a, b, goal,    c, x, q, r1) {
    if (!((f, a) in m) || !((f, b) in m)) return
    c = 0
    for (x in rounds) if ((f, a, x) in r && (f, b, x) in r) q[++c] = r[f, a, x] / r[f, b, x]
    r1 = m[f, a] / m[f, b]
    printf "%-8s %-7s / %-7s req/s %.3f (median of per-round ratios %.3f), p99 %.2f%s\n",
      f, a, b, r1, median(q, c), mp[f, a] / mp[f, b], goal ? (r1 >= 0.9 ? "   goal >= 0.9 met" : "   goal >= 0.9 MISSED") : ""
  }
  function median(a, n,    i, j, t) {
    for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  {
    if (!($1 in fw)) { fw[$1] = 1; order[++nf] = $1 }
    key = $1 " " $2; n[key]++; rps[key, n[key]] = $4; p99[key, n[key]] = $5; r[$1, $2, $3] = $4; rounds[$3] = 1
  }
  END {
    printf "%-8s %-8s %12s %12s\n", "app", "", "median req/s", "median p99"
    for (j = 1; j <= nf; j++) {
      f = order[j]
      for (k = 1; k <= 4; k++) {
        kind = k == 1 ? "example" : k == 2 ? "pwh" : k == 3 ? "hand" : "bare"; key = f " " kind
        if (!(key in n)) continue
        delete a; delete b
        for (i = 1; i <= n[key]; i++) { a[i] = rps[key, i]; b[i] = p99[key, i] }
        m[f, kind] = median(a, n[key]); mp[f, kind] = median(b, n[key])
        printf "%-8s %-8s %12.0f %9.2f ms\n", f, kind, m[f, kind], mp[f, kind] / 1000
      }
    }
    print ""
    for (j = 1; j <= nf; j++) {
      f = order[j]
      ratio(f, "example", "bare", 1)
      ratio(f, "pwh", "bare", 0)
      ratio(f, "hand", "bare", 0)
      ratio(f, "pwh", "hand", 0)
      ratio(f, "example", "pwh", 0)
    }
  }' "$results"
