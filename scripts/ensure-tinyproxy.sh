#!/usr/bin/env bash
# Install tinyproxy (an HTTP CONNECT proxy) from Debian when it is missing: the agent's proxy test starts its own
# private tinyproxy (tests/support/proxy.py). The system service is never started, and stopped if the package's
# post-install started one anyway. Safe to run again. Needs root.
set -euo pipefail
source "$(dirname "$0")/lib/apt-install-quietly.sh"

if command -v tinyproxy >/dev/null 2>&1 || [ -x /usr/bin/tinyproxy ]; then
  exit 0
fi
apt_install_quietly ensure-tinyproxy tinyproxy
if [ -f /run/tinyproxy/tinyproxy.pid ]; then
  kill "$(cat /run/tinyproxy/tinyproxy.pid)" 2>/dev/null || true
fi
command -v tinyproxy >/dev/null 2>&1 || [ -x /usr/bin/tinyproxy ]
