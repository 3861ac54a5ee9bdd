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
