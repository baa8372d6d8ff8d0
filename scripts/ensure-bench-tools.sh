#!/usr/bin/env bash
# Install the load generator the benchmark smoke test (tests/bench/) and `make bench` use: Debian's wrk.
# pgbench comes with the PostgreSQL client tools (scripts/ensure-databases.sh). Safe to run again.
set -euo pipefail

if ! command -v wrk >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = "0" ]; then
    echo "ensure-bench-tools: installing wrk"
    apt-get install -y -qq wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
  else
    echo "ensure-bench-tools: wrk not found and cannot install it (needs root and apt-get); the benchmark smoke test will be skipped" >&2
  fi
fi
