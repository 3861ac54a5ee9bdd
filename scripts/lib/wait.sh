# shellcheck shell=bash
# Sourced by the scripts that wait for an app to reach a state.

# wait_until SECONDS COMMAND...: runs COMMAND every 0.2 s until it succeeds; prints the seconds
# it took, or "timeout" (and fails) after SECONDS.
wait_until() {
  local limit=$1 start now
  shift
  start=$(date +%s.%N)
  while true; do
    if "$@"; then
      now=$(date +%s.%N)
      python3 -c "print(f'{$now - $start:.1f}')"
      return 0
    fi
    now=$(date +%s.%N)
    if python3 -c "import sys; sys.exit(0 if $now - $start > $limit else 1)"; then
      echo "timeout"
      return 1
    fi
    sleep 0.2
  done
}

# wait_for_app NAME URL LOG: waits up to 10 s for GET URL/state to answer; otherwise prints
# the last lines of LOG, saying NAME did not answer, and exits the script with 2.
wait_for_app() {
  local name=$1 url=$2 log=$3
  for _ in $(seq 1 100); do
    if curl -fs "$url/state" >/dev/null 2>&1; then
      return 0
    fi
    sleep 0.1
  done
  echo "$name did not answer; its log:" >&2
  tail -n 30 "$log" >&2
  exit 2
}
