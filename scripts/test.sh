#!/usr/bin/env bash
# Every test of the workspace, with nothing preinstalled but Rust: installs Debian's
# redis-server when it is missing (apt-get; root or sudo), starts one on a free loopback port
# for pwh-redis's tests (PWH_TEST_REDIS_URL), runs `cargo test --workspace --all-features`
# (extra arguments are passed to it; with `-p`/`--package`, only those packages), and stops
# that redis-server by its PID on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v redis-server >/dev/null 2>&1; then
  echo "== installing Debian's redis-server (apt-get)"
  sudo=""
  if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null 2>&1; then
    sudo="sudo"
  fi
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
fi

redis_dir="$(mktemp -d)"
redis_pid=""
stop_redis() {
  if [ -n "$redis_pid" ]; then
    kill "$redis_pid" 2>/dev/null || true
    wait "$redis_pid" 2>/dev/null || true
  fi
  rm -rf "$redis_dir"
}
trap stop_redis EXIT

free_port() {
  if command -v python3 >/dev/null 2>&1; then
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
    return
  fi
  local port
  for _ in $(seq 1 100); do
    port=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return
    fi
  done
  echo "no free port found" >&2
  return 1
}

echo "== redis-server for pwh-redis's tests (PWH_TEST_REDIS_URL)"
redis_port="$(free_port)"
redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$redis_dir" \
  --save '' --appendonly no --daemonize no >"$redis_dir/redis.log" 2>&1 &
redis_pid=$!
for _ in $(seq 1 100); do
  if [ "$(redis-cli -p "$redis_port" ping 2>/dev/null)" = "PONG" ]; then
    break
  fi
  if ! kill -0 "$redis_pid" 2>/dev/null; then
    break
  fi
  sleep 0.1
done
if [ "$(redis-cli -p "$redis_port" ping 2>/dev/null)" != "PONG" ]; then
  echo "redis-server did not answer on 127.0.0.1:$redis_port" >&2
  cat "$redis_dir/redis.log" >&2 || true
  exit 1
fi
export PWH_TEST_REDIS_URL="redis://127.0.0.1:$redis_port/"
# A skip would hide these tests: never here.
unset PWH_SKIP_REDIS_TESTS
echo "redis-server $(redis-server --version | sed -n 's/.*v=\([^ ]*\).*/\1/p') on $PWH_TEST_REDIS_URL (pid $redis_pid)"

scope=(--workspace)
for arg in "$@"; do
  case "$arg" in
    --) break ;;
    -p | -p* | --package | --package=*) scope=() ;;
  esac
done
echo "== cargo test ${scope[*]} --all-features $*"
cargo test "${scope[@]}" --all-features "$@"
