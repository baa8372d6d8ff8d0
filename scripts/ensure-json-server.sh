#!/usr/bin/env bash
# Install json-server (npm registry, pinned 0.17.4: the last release with a Node module API, `_page`/`_limit`
# paging and X-Total-Count) into .cache/node/ when it is missing. The REST connector tests start their own
# server from tests/integration/rest_target.js; this script never starts one. Safe to run again.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
prefix="$root/.cache/node"
if [ -f "$prefix/node_modules/json-server/package.json" ]; then
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "ensure-json-server: npm is missing; install Node.js 18+ (apt-get install nodejs npm)" >&2
  exit 1
fi
mkdir -p "$prefix"
# keep the cache out of git without touching the project's .gitignore
[ -f "$root/.cache/.gitignore" ] || printf '*\n' >"$root/.cache/.gitignore"
echo "ensure-json-server: installing json-server@0.17.4 into $prefix"
npm install --prefix "$prefix" --no-audit --no-fund --silent json-server@0.17.4
