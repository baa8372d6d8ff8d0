#!/usr/bin/env bash
# Install OpenLDAP's server (slapd) and client tools (ldap-utils) from Debian when they are missing.
# The tests start their own throw-away slapd (tests/support/slapd.py); the system slapd service is never started,
# and stopped if the package's post-install started one anyway. Safe to run again. Needs root.
set -euo pipefail
source "$(dirname "$0")/lib/apt-install-quietly.sh"

if { command -v slapd >/dev/null 2>&1 || [ -x /usr/sbin/slapd ]; } && command -v ldapsearch >/dev/null 2>&1; then
  exit 0
fi
apt_install_quietly ensure-slapd slapd ldap-utils
if pgrep -x slapd >/dev/null 2>&1 && [ -f /var/run/slapd/slapd.pid ]; then
  kill "$(cat /var/run/slapd/slapd.pid)" 2>/dev/null || true
fi
command -v slapd >/dev/null 2>&1 || [ -x /usr/sbin/slapd ]
