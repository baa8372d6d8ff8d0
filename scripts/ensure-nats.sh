#!/usr/bin/env bash
# Install the NATS server from Debian (package nats-server) when it is missing. The relay tests start their own
# private nats-server (tests/support/nats.py) on a free port; this script never starts or enables the system
# service, and stops it if the package's post-install started one. Safe to run again. Needs root.
set -euo pipefail

if command -v nats-server >/dev/null 2>&1 || [ -x /usr/sbin/nats-server ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "ensure-nats: nats-server is not installed; run as root: apt-get install nats-server" >&2
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

echo "ensure-nats: installing nats-server"
apt-get update -q
apt-get install -y -q --no-install-recommends nats-server
command -v nats-server >/dev/null 2>&1 || [ -x /usr/sbin/nats-server ]
