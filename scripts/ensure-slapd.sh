#!/usr/bin/env bash
# Install OpenLDAP's server (slapd) and client tools (ldap-utils) from Debian when they are missing.
# The tests start their own throw-away slapd (tests/support/slapd.py); this script never starts or enables the
# system slapd service, and stops it if the package's post-install started one. Safe to run again. Needs root.
set -euo pipefail

if command -v slapd >/dev/null 2>&1 || [ -x /usr/sbin/slapd ]; then
  if command -v ldapsearch >/dev/null 2>&1; then
    exit 0
  fi
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "ensure-slapd: slapd is not installed; run as root: apt-get install slapd ldap-utils" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
# Keep the package's maintainer scripts from starting the system service (invoke-rc.d honours policy-rc.d).
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod 755 "$policy"
  created_policy=1
fi
cleanup() { if [ "$created_policy" = 1 ]; then rm -f "$policy"; fi; }
trap cleanup EXIT

echo "ensure-slapd: installing slapd and ldap-utils"
apt-get update -q
apt-get install -y -q --no-install-recommends slapd ldap-utils

# Belt and braces: if anything started the system slapd anyway, stop it (the tests use their own instance).
if pgrep -x slapd >/dev/null 2>&1 && [ -f /var/run/slapd/slapd.pid ]; then
  kill "$(cat /var/run/slapd/slapd.pid)" 2>/dev/null || true
fi
command -v slapd >/dev/null 2>&1 || [ -x /usr/sbin/slapd ]
