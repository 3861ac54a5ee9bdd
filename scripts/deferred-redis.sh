#!/usr/bin/env bash
# Deferred jobs on Redis shared by two instances of the axum example app (PWH_REDIS_URL: the
# delivery memory and the jobs, RedisJobs on Redis Streams), with PWH_EXAMPLE_SLOW_MS=3000,
# checked step by step:
#
#   1. 20 `member_added` bodies, each sent to both instances (the same bytes twice), the 40
#      requests at once: every answer 2xx within 1 s; within 15 s 20 jobs done, none dead, and
#      welcomed_total summed over both instances is 20 (each job ran once, on one instance);
#   2. 20 more bodies, and the instance holding jobs SIGKILLed while they run: the other does
#      all 20 within 25 s (one 10 s lease plus the slow handler, and margin), none dead; only
#      the jobs the killed one held at the kill may run twice (attempt 2);
#   3. Redis SIGKILLed and restarted empty on the same port while both instances run jobs:
#      each instance's log gets the `error` line naming the wipe, and new bodies are answered
#      2xx and their jobs done within 15 s, without restarting either instance.
#
#   scripts/deferred-redis.sh
#
# Needs redis-server and redis-cli. Builds example-axum and pwh-cli in release (under
# CARGO_TARGET_DIR when set), starts its own Redis (no persistence) and both apps on free
# ports of 127.0.0.1 with the demo token, and stops everything it started by its PID, also
# when a step fails. Prints each step's figures; exits non-zero when a check fails.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib/release.sh
source scripts/lib/release.sh
# shellcheck source=scripts/lib/wait.sh
source scripts/lib/wait.sh

for tool in redis-server redis-cli python3 curl; do
  command -v "$tool" >/dev/null || { echo "$tool is needed" >&2; exit 2; }
done

build_app_and_cli

dir=$(mktemp -d)
redis_pid=""
# pids[N], ports[N], logs[N]: app N (1 or 2).
pids=("" "" "")
cleanup() {
  for pid in "${pids[@]}" "$redis_pid"; do
    if [ -n "$pid" ]; then
      kill -9 "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
    fi
  done
  rm -rf "$dir"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}
redis_port=$(free_port)
ports=("" "$(free_port)" "$(free_port)")
logs=("" "$dir/app1.log" "$dir/app2.log")
redis_url="redis://127.0.0.1:$redis_port/"
# The ready stream of welcome_member's jobs and its consumer group (RedisJobs's default prefix).
stream='pwh:{pwh:jobs}:ready:welcome_member'
group='pwh-workers'
wipe_line='the Redis holding the deferred jobs was wiped'
export PUSHER_APP_KEY=demo-key PUSHER_APP_SECRET=demo-secret
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

start_redis() { # an empty Redis on $redis_port, no persistence; waits until it answers
  redis-server --port "$redis_port" --save '' --appendonly no --bind 127.0.0.1 \
    --daemonize no >>"$dir/redis.log" 2>&1 &
  redis_pid=$!
  for _ in $(seq 1 100); do
    if [ "$(redis-cli -p "$redis_port" ping 2>/dev/null)" = PONG ]; then
      return 0
    fi
    sleep 0.05
  done
  echo "redis-server did not answer; its log:" >&2
  tail -n 20 "$dir/redis.log" >&2
  exit 2
}

kill_redis() { # SIGKILL: what it held is lost
  kill -9 "$redis_pid" 2>/dev/null || true
  wait "$redis_pid" 2>/dev/null || true
  redis_pid=""
}

# start_app N: app N on ports[N], on the Redis; waits until it answers.
start_app() {
  env PWH_ADDR="127.0.0.1:${ports[$1]}" PWH_REDIS_URL="$redis_url" PWH_EXAMPLE_SLOW_MS=3000 \
    RUST_LOG=info "$app_bin" >>"${logs[$1]}" 2>&1 &
  pids[$1]=$!
  wait_for_app "app $1" "http://127.0.0.1:${ports[$1]}" "${logs[$1]}"
}

kill_app() { # SIGKILL app N
  kill -9 "${pids[$1]}" 2>/dev/null || true
  wait "${pids[$1]}" 2>/dev/null || true
  pids[$1]=""
}

# state N FIELD: welcomed_total, or a field of "jobs" (pending, running, done, dead), from app
# N's /state; -1 when the job store did not answer.
state() {
  curl -fs "http://127.0.0.1:${ports[$1]}/state" | python3 -c '
import json, sys
state = json.load(sys.stdin)
field = sys.argv[1]
if field == "welcomed_total":
    print(state[field])
else:
    print(-1 if state["jobs"] is None else state["jobs"][field])' "$2"
}

# held_by N: the jobs app N's workers hold (its consumer's pending entries in the group; the
# consumer's name holds the process id).
held_by() {
  redis-cli -p "$redis_port" XINFO CONSUMERS "$stream" "$group" 2>/dev/null \
    | awk -v pid="-${pids[$1]}-" '
        prev == "name" { name = $0 }
        prev == "pending" && index(name, pid) { n += $0 }
        { prev = $0 }
        END { print n + 0 }'
}

# lines N: how many lines app N's log has (to look at what a step adds).
lines() { wc -l <"${logs[$1]}"; }

# since N FROM: app N's log after its first FROM lines.
since() { tail -n "+$(($2 + 1))" "${logs[$1]}"; }

# done_at_least N: whether the store counts N jobs done (asked of app 1, or app 2 when app 1
# is down).
done_at_least() {
  local app=1 count
  [ -n "${pids[1]}" ] || app=2
  count=$(state "$app" 'done' 2>/dev/null || echo -1)
  [ "$count" -ge "$1" ]
}

# wait_done N SECONDS: waits until the store counts N jobs done; prints the seconds it took.
wait_done() {
  wait_until "$2" done_at_least "$1"
}

# send_all FROM TO: users FROM..TO, each as one member_added body (one time_ms per user, so
# the same bytes) POSTed to both apps, all at once; fails a check unless every one is answered
# 2xx and each user's two bodies are the same; prints the slowest answer.
send_all() {
  local i n time_ms ms all='' slowest senders=()
  time_ms=$(date +%s%3N)
  for i in $(seq "$1" "$2"); do
    for n in 1 2; do
      "$pwh" send member_added --channel presence-check --user-id "user-$i" \
        --time-ms "$((time_ms + i))" --url "http://127.0.0.1:${ports[$n]}/pusher/webhooks" \
        --save "$dir/body-$i-$n.json" >"$dir/sent-$i-$n.txt" 2>&1 &
      senders+=($!)
    done
  done
  wait "${senders[@]}" || true
  for i in $(seq "$1" "$2"); do
    cmp -s "$dir/body-$i-1.json" "$dir/body-$i-2.json" || fail "user-$i: the two bodies differ"
    for n in 1 2; do
      ms=$(sed -n 's/^HTTP 2[0-9][0-9] .* in \([0-9.]*\) ms$/\1/p' "$dir/sent-$i-$n.txt")
      if [ -z "$ms" ]; then
        fail "user-$i was not answered 2xx by app $n: $(head -n 1 "$dir/sent-$i-$n.txt")"
        continue
      fi
      all="$all $ms"
    done
  done
  slowest=$(python3 -c 'import sys; print(max(map(float, sys.argv[1].split()), default=0))' "$all")
  echo "$(($2 - $1 + 1)) bodies sent to both apps at once, slowest answer $slowest ms"
  python3 -c "import sys; sys.exit(0 if $slowest < 1000 else 1)" || fail "an answer took 1 s or more"
}

start_redis
start_app 1
start_app 2

echo "== 1. two apps on one Redis (PWH_EXAMPLE_SLOW_MS=3000): each body's job runs once =="
send_all 1 20
took=$(wait_done 20 15) || fail "not all 20 jobs done within 15 s"
# welcomed[N]: app N's welcomed_total after step 1.
welcomed=("" "$(state 1 welcomed_total)" "$(state 2 welcomed_total)")
dead=$(state 1 dead)
echo "20 jobs done after $took s (from the last answer): welcomed by app 1: ${welcomed[1]}," \
  "app 2: ${welcomed[2]}, dead: $dead"
[ "$((welcomed[1] + welcomed[2]))" -eq 20 ] || fail "welcomed $((welcomed[1] + welcomed[2])) times for 20 jobs"
[ "$dead" -eq 0 ] || fail "$dead jobs dead"

echo "== 2. the app holding jobs SIGKILLed while they run: the other takes them over =="
from=("" "$(lines 1)" "$(lines 2)")
send_all 21 40
sleep 1
# The app holding more jobs is killed; what it held is read after the kill (its consumer's
# pending entries stay until the other app takes them over, after their lease).
killed=1
[ "$(held_by 2)" -gt "$(held_by 1)" ] && killed=2
survivor=$((3 - killed))
running=$(state "$survivor" running)
killed_pid=${pids[$killed]}
kill_app "$killed"
pids[killed]=$killed_pid
held=$(held_by "$killed")
held_other=$(held_by "$survivor")
pids[killed]=""
killed_welcomed=$(since "$killed" "${from[$killed]}" | grep -c 'welcomed a member' || true)
echo "SIGKILL app $killed holding $held jobs (app $survivor held $held_other; $running" \
  "running in all), after it welcomed $killed_welcomed of this step's bodies"
[ "$held" -gt 0 ] || fail "the killed app held no job"
took=$(wait_done 40 25) || fail "not every job done within 25 s of the kill"
dead=$(state "$survivor" dead)
survivor_log=$(since "$survivor" "${from[$survivor]}")
twice=$(grep 'job done' <<<"$survivor_log" | grep -c 'attempt=2' || true)
more=$(grep 'job done' <<<"$survivor_log" | grep -c 'attempt=[3-9]' || true)
survivor_welcomed=$(($(state "$survivor" welcomed_total) - welcomed[survivor]))
total=$((killed_welcomed + survivor_welcomed))
echo "40 jobs done $took s after the kill, $dead dead; this step's 20 jobs welcomed" \
  "$killed_welcomed times by app $killed and $survivor_welcomed by app $survivor ($total);" \
  "$twice ran twice (done at attempt 2, taken over), $more more than twice"
[ "$dead" -eq 0 ] || fail "$dead jobs dead"
[ "$twice" -le "$held" ] || fail "$twice jobs ran twice, but the killed app held only $held"
[ "$more" -eq 0 ] || fail "$more jobs ran more than twice"
[ "$total" -ge 20 ] || fail "welcomed $total times for 20 jobs"
[ "$total" -le "$((20 + held))" ] || fail "welcomed $total times for 20 jobs, $held held at the kill"

echo "== 3. Redis restarted empty mid-run: the wipe is said, the apps serve on =="
start_app "$killed"
from=("" "$(lines 1)" "$(lines 2)")
send_all 41 50
sleep 1
echo "Redis SIGKILLed with $(state 1 running) jobs running, restarted empty on the same port"
kill_redis
start_redis
sleep 2
send_all 51 60
took=$(wait_done 10 15) || fail "the 10 new jobs not done within 15 s of the restart"
echo "the 10 jobs sent after the wipe done after $took s; $(state 1 'done') done in all," \
  "$(state 1 dead) dead"
for n in 1 2; do
  line=$(since "$n" "${from[$n]}" | grep -m 1 "$wipe_line" || true)
  if [ -z "$line" ]; then
    fail "app $n's log does not say the wipe"
  else
    echo "app $n: $line"
    grep -q ERROR <<<"$line" || fail "app $n says the wipe below error"
  fi
  kill -0 "${pids[$n]}" 2>/dev/null || fail "app $n is not running"
done

if [ "$failures" -gt 0 ]; then
  for n in 1 2; do
    echo "== app $n's log (removed on exit) =="
    tail -n 30 "${logs[$n]}"
  done
  echo "== $failures check(s) failed =="
  exit 1
fi
echo "== every check passed =="
