#!/usr/bin/env bash
# Every test of the workspace, with nothing preinstalled but Rust: installs Debian's
# redis-server when it is missing (apt-get; root or sudo), starts one on a free loopback port
# for the tests that need Redis (PWH_TEST_REDIS_URL: pwh-redis, pwh-cli, example-shared) and a
# 3-master Redis Cluster of three more (PWH_TEST_REDIS_CLUSTER: the same crates), runs
# `cargo test --workspace --all-features` (extra arguments are passed to it; with
# `-p`/`--package`, only those packages), and stops every redis-server it started by its PID
# on exit.
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
cluster_pids=()
stop_redis() {
  for pid in $redis_pid "${cluster_pids[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in $redis_pid "${cluster_pids[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
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

# Waits until the redis-server of PID $2 answers on port $1; fails showing its log $3.
wait_for_redis() {
  local port="$1" pid="$2" log="$3"
  for _ in $(seq 1 100); do
    if [ "$(redis-cli -p "$port" ping 2>/dev/null)" = "PONG" ]; then
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      break
    fi
    sleep 0.1
  done
  if [ "$(redis-cli -p "$port" ping 2>/dev/null)" != "PONG" ]; then
    echo "redis-server did not answer on 127.0.0.1:$port" >&2
    cat "$log" >&2 || true
    return 1
  fi
}

echo "== redis-server for pwh-redis's tests (PWH_TEST_REDIS_URL)"
redis_port="$(free_port)"
redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$redis_dir" \
  --save '' --appendonly no --daemonize no >"$redis_dir/redis.log" 2>&1 &
redis_pid=$!
wait_for_redis "$redis_port" "$redis_pid" "$redis_dir/redis.log"
export PWH_TEST_REDIS_URL="redis://127.0.0.1:$redis_port/"

echo "== a 3-master Redis Cluster for the tests of pwh-redis, the apps and pwh (PWH_TEST_REDIS_CLUSTER)"
cluster_nodes=()
for _ in 1 2 3; do
  # A cluster node also listens on its port + 10000 (the cluster bus): both must be free.
  for _ in $(seq 1 20); do
    port="$(free_port)"
    if [ "$port" -lt 55535 ] && ! (exec 3<>"/dev/tcp/127.0.0.1/$((port + 10000))") 2>/dev/null; then
      break
    fi
  done
  node_dir="$redis_dir/cluster-$port"
  mkdir -p "$node_dir"
  redis-server --port "$port" --bind 127.0.0.1 --dir "$node_dir" \
    --cluster-enabled yes --cluster-config-file "$node_dir/nodes-$port.conf" \
    --save '' --appendonly no --daemonize no >"$node_dir/redis.log" 2>&1 &
  cluster_pids+=($!)
  wait_for_redis "$port" "$!" "$node_dir/redis.log"
  cluster_nodes+=("127.0.0.1:$port")
done
if ! redis-cli --cluster create "${cluster_nodes[@]}" --cluster-replicas 0 --cluster-yes \
  >"$redis_dir/cluster-create.log" 2>&1; then
  echo "redis-cli --cluster create ${cluster_nodes[*]} failed" >&2
  cat "$redis_dir/cluster-create.log" >&2 || true
  exit 1
fi
first_port="${cluster_nodes[0]##*:}"
for _ in $(seq 1 100); do
  if redis-cli -p "$first_port" cluster info 2>/dev/null | grep -q '^cluster_state:ok'; then
    break
  fi
  sleep 0.1
done
if ! redis-cli -p "$first_port" cluster info 2>/dev/null | grep -q '^cluster_state:ok'; then
  echo "the Redis Cluster ${cluster_nodes[*]} is not ok" >&2
  redis-cli -p "$first_port" cluster info >&2 || true
  exit 1
fi
PWH_TEST_REDIS_CLUSTER="$(IFS=,; echo "${cluster_nodes[*]}")"
export PWH_TEST_REDIS_CLUSTER
# A skip would hide these tests: never here.
unset PWH_SKIP_REDIS_TESTS
echo "redis-server $(redis-server --version | sed -n 's/.*v=\([^ ]*\).*/\1/p') on $PWH_TEST_REDIS_URL (pid $redis_pid)"
echo "Redis Cluster (3 masters) on $PWH_TEST_REDIS_CLUSTER (pids ${cluster_pids[*]})"

scope=(--workspace)
for arg in "$@"; do
  case "$arg" in
    --) break ;;
    -p | -p* | --package | --package=*) scope=() ;;
  esac
done
echo "== cargo test ${scope[*]} --all-features $*"
cargo test "${scope[@]}" --all-features "$@"
