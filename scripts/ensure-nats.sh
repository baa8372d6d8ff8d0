#!/usr/bin/env bash
# Install the NATS server from Debian (package nats-server) when it is missing. The relay tests start their own
# private nats-server (tests/support/nats.py) on a free port; the system service is never started. Safe to run
# again. Needs root.
set -euo pipefail
source "$(dirname "$0")/lib/apt-install-quietly.sh"

if command -v nats-server >/dev/null 2>&1 || [ -x /usr/sbin/nats-server ]; then
  exit 0
fi
apt_install_quietly ensure-nats nats-server
command -v nats-server >/dev/null 2>&1 || [ -x /usr/sbin/nats-server ]
