#!/usr/bin/env bash
# Load and fault test of the axum example app (the pwh-loadtest crate does the work).
#
#   scripts/load.sh                       # 50,000 distinct signed webhooks, 64 connections
#   scripts/load.sh --fail-once 0.05      # 5 % of handler calls fail once; 500s are retried
#   scripts/load.sh --webhooks 5000 --concurrency 16
#   scripts/load.sh --redis               # the same load with the in-memory memory and with
#                                         # Redis (a redis-server of its own), side by side
#                                         # (same as --store redis; the jobs go there too)
#   scripts/load.sh --store sqlite        # the same load with PWH_STORE=memory, then with the
#                                         # delivery memory and jobs in one SQLite file (in a
#                                         # temporary directory, removed after), side by side,
#                                         # with the ratio and its aim (>= 0.5x memory)
#   scripts/load.sh --store sqlite --deferred
#                                         # every event a member_added: each becomes a job of
#                                         # the deferred handler welcome_member; waits until
#                                         # every job is done (--time-limit, default 300 s),
#                                         # checks each ran once, reports the time to the last
#                                         # job done and jobs/s, on both stores
#   scripts/load.sh --deferred            # the same, in memory only
#   scripts/load.sh --instances 2 --redis --fail-once 0.05
#                                         # two apps sharing one Redis, every body sent to both:
#                                         # steady, Redis stopped mid-run, one app SIGKILLed
#   scripts/load.sh --instances 2 --redis --scenario kill --webhooks 20000
#   scripts/load.sh --instances 2 --redis --deferred
#                                         # one app in memory, then two apps on one Redis
#                                         # (steady), every event a member_added job: every
#                                         # job done once over both, enqueue webhooks/s side
#                                         # by side (aim >= 0.5x memory)
#   scripts/load.sh --instances 2 --redis --scenario stall     # Redis stalled by DEBUG SLEEP 2
#   scripts/load.sh --instances 2 --redis --scenario rotation  # one body, two tokens
#   scripts/load.sh --instances 2 --redis --scenario large     # 15,000 events, fail-once 0.05
#   scripts/load.sh --help
#
# --redis needs redis-server (apt-get install -y redis-server); the tool starts it on a free
# port of 127.0.0.1 with --save '' --appendonly no --enable-debug-command local (DEBUG SLEEP
# for the stall scenario) in a temporary directory and stops it by
# its PID when the run ends, also when it fails.
#
# The app's store is always set explicitly: PWH_STORE=memory for the in-memory runs,
# PWH_SQLITE_PATH in a temporary directory of the run for SQLite (and for the jobs of a Redis
# run); never a file in the working directory.
#
# Builds example-axum and pwh-loadtest in release (under CARGO_TARGET_DIR when set), starts the
# app on a free port of 127.0.0.1, sends, checks exactly-once handling, stops the app with
# SIGTERM, and prints a summary. Exits non-zero when a check fails.
set -euo pipefail
cd "$(dirname "$0")/.."

target_dir=$(cargo metadata --format-version 1 --no-deps --offline 2>/dev/null \
  | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
target_dir=${target_dir:-${CARGO_TARGET_DIR:-target}}

echo "building example-axum and pwh-loadtest in release (target: $target_dir)..." >&2
cargo build --release --quiet -p example-axum -p pwh-loadtest

app=(--app-bin "$target_dir/release/example-axum")
for arg in "$@"; do
  case $arg in
    --app-bin | --app-bin=*) app=() ;; # the caller's binary wins
  esac
done
exec "$target_dir/release/pwh-loadtest" ${app[@]+"${app[@]}"} "$@"
