#!/usr/bin/env bash
# Install tinyproxy (an HTTP CONNECT proxy) from Debian when it is missing: the agent's proxy test starts its own
# private tinyproxy (tests/support/proxy.py). This script never starts or enables the system service, and stops it
# if the package's post-install started one. Safe to run again. Needs root.
set -euo pipefail

if command -v tinyproxy >/dev/null 2>&1 || [ -x /usr/bin/tinyproxy ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "ensure-tinyproxy: tinyproxy is not installed; run as root: apt-get install tinyproxy" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod 755 "$policy"
  created_policy=1
fi
cleanup() { if [ "$created_policy" = 1 ]; then rm -f "$policy"; fi; }
trap cleanup EXIT

echo "ensure-tinyproxy: installing tinyproxy"
apt-get update -q
apt-get install -y -q --no-install-recommends tinyproxy
if [ -f /run/tinyproxy/tinyproxy.pid ]; then
  kill "$(cat /run/tinyproxy/tinyproxy.pid)" 2>/dev/null || true
fi
command -v tinyproxy >/dev/null 2>&1 || [ -x /usr/bin/tinyproxy ]
