#!/usr/bin/env bash
# Deferred jobs over HTTP, on the axum example app with its jobs on SQLite (a file in a
# temporary directory), checked step by step:
#
#   1. PWH_EXAMPLE_SLOW_MS=5000: 10 `member_added` bodies are each answered 2xx within 1 s,
#      and all 10 jobs are done within 15 s;
#   2. 10 more bodies, the app SIGKILLed while their jobs run, restarted on the same file:
#      every job is done within 30 s, none dead;
#   3. PWH_EXAMPLE_DEFERRED_FAIL=always, PWH_JOB_MAX_ATTEMPTS=2, PWH_JOB_BACKOFF_MS=200: the
#      job is dead within 10 s and `pwh jobs dead --sqlite PATH` lists it; after a restart
#      without the failure, `pwh jobs retry --all-dead --sqlite PATH` gets it done.
#
#   scripts/deferred-http.sh
#
# Builds example-axum and pwh-cli in release (under CARGO_TARGET_DIR when set), serves on a
# free port of 127.0.0.1 with the demo token, and stops every app it started by its PID, also
# when a step fails. Prints each step's figures; exits non-zero when a check fails.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib/release.sh
source scripts/lib/release.sh
# shellcheck source=scripts/lib/wait.sh
source scripts/lib/wait.sh

build_app_and_cli

dir=$(mktemp -d)
db="$dir/pwh.sqlite3"
app_pid=""
cleanup() {
  if [ -n "$app_pid" ]; then
    kill -9 "$app_pid" 2>/dev/null || true
    wait "$app_pid" 2>/dev/null || true
  fi
  rm -rf "$dir"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
base="http://127.0.0.1:$port"
export PUSHER_APP_KEY=demo-key PUSHER_APP_SECRET=demo-secret
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# start_app VAR=value ...: the app on $port, its jobs and memory in $db; waits until it answers.
start_app() {
  env "$@" PWH_ADDR="127.0.0.1:$port" PWH_SQLITE_PATH="$db" RUST_LOG=info \
    "$app_bin" >>"$dir/app.log" 2>&1 &
  app_pid=$!
  wait_for_app "the app" "$base" "$dir/app.log"
}

stop_app() { # SIGTERM, and wait for it to exit
  kill -TERM "$app_pid" 2>/dev/null || true
  wait "$app_pid" 2>/dev/null || true
  app_pid=""
}

kill_app() { # SIGKILL
  kill -9 "$app_pid" 2>/dev/null || true
  wait "$app_pid" 2>/dev/null || true
  app_pid=""
}

# jobs FIELD: a field of /state's "jobs" (pending, running, done, dead).
jobs() {
  curl -fs "$base/state" | python3 -c 'import json, sys; print(json.load(sys.stdin)["jobs"][sys.argv[1]])' "$1"
}

# jobs_at_least FIELD N: whether jobs.FIELD >= N.
jobs_at_least() {
  [ "$(jobs "$1")" -ge "$2" ]
}

# wait_jobs FIELD N SECONDS: waits until jobs.FIELD >= N; prints the seconds it took.
wait_jobs() {
  wait_until "$3" jobs_at_least "$1" "$2"
}

# send USER: one member_added body; prints the round trip in ms.
send() {
  local out
  out=$("$pwh" send member_added --channel presence-check --user-id "$1" \
    --url "$base/pusher/webhooks")
  echo "$out" | sed -n 's/^HTTP 2[0-9][0-9] .* in \([0-9.]*\) ms$/\1/p'
}

echo "== 1. slow jobs (PWH_EXAMPLE_SLOW_MS=5000): answered at once, done later =="
start_app PWH_EXAMPLE_SLOW_MS=5000
slowest=0
for i in $(seq 1 10); do
  ms=$(send "user-$i")
  [ -n "$ms" ] || { fail "body $i was not answered 2xx"; continue; }
  slowest=$(python3 -c "print(max($slowest, $ms))")
done
echo "10 bodies answered 2xx, slowest answer $slowest ms"
python3 -c "import sys; sys.exit(0 if $slowest < 1000 else 1)" || fail "an answer took 1 s or more"
took=$(wait_jobs 'done' 10 15) || fail "not all 10 jobs done within 15 s"
echo "all 10 jobs done after $took s (from the last answer)"

echo "== 2. the app SIGKILLed with jobs running, restarted on the same file =="
for i in $(seq 11 20); do
  [ -n "$(send "user-$i")" ] || fail "body $i was not answered 2xx"
done
running=$(jobs running)
sleep 1
running=$(jobs running)
echo "SIGKILL with $running jobs running, $(jobs pending) pending"
[ "$running" -gt 0 ] || fail "no job was running at the kill"
kill_app
start_app PWH_EXAMPLE_SLOW_MS=5000
took=$(wait_jobs 'done' 20 30) || fail "not every job done within 30 s of the restart"
dead=$(jobs dead)
echo "after the restart: 20 jobs done after $took s, $dead dead"
[ "$dead" -eq 0 ] || fail "$dead jobs dead"
stop_app

echo "== 3. a failing job: dead, listed, retried from dead =="
start_app PWH_EXAMPLE_DEFERRED_FAIL=always PWH_JOB_MAX_ATTEMPTS=2 PWH_JOB_BACKOFF_MS=200
[ -n "$(send "user-dead")" ] || fail "the body was not answered 2xx"
took=$(wait_jobs dead 1 10) || fail "the job was not dead within 10 s"
echo "dead after $took s"
listed=$("$pwh" jobs dead --sqlite "$db")
echo "$listed"
echo "$listed" | grep -q "dead" || fail "pwh jobs dead does not list it"
stop_app
start_app
"$pwh" jobs retry --all-dead --sqlite "$db"
took=$(wait_jobs 'done' 21 10) || fail "the retried job was not done within 10 s"
echo "retried from dead: done after $took s; dead now $(jobs dead)"
[ "$(jobs dead)" -eq 0 ] || fail "still dead after the retry"
stop_app

if [ "$failures" -gt 0 ]; then
  echo "== $failures check(s) failed; the app's log: $dir/app.log (removed on exit) =="
  tail -n 40 "$dir/app.log"
  exit 1
fi
echo "== every check passed =="
