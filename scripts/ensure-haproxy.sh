#!/usr/bin/env bash
# Install haproxy from Debian when it is missing: the scale-out test (tests/reliability/test_load_balanced_hosts.py)
# starts its own private haproxy (tests/support/haproxy.py) on free loopback ports with a generated configuration.
# The system service is never started, and stopped if the package's post-install started one anyway. Safe to run
# again. Needs root.
set -euo pipefail
source "$(dirname "$0")/lib/apt-install-quietly.sh"

if command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ]; then
  exit 0
fi
apt_install_quietly ensure-haproxy haproxy
if [ -f /run/haproxy.pid ]; then
  kill "$(cat /run/haproxy.pid)" 2>/dev/null || true
fi
command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ]
