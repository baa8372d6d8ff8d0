#!/usr/bin/env bash
# Start the local servers the tests need when they are not running: PostgreSQL and MariaDB.
# Uses the same commands as the machine's own start-up; safe to run again.
set -euo pipefail

wait_for() { # name, command...
  local name=$1; shift
  for _ in $(seq 1 60); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.5
  done
  echo "ensure-services: $name did not come up" >&2
  return 1
}

if command -v pg_isready >/dev/null 2>&1; then
  if ! pg_isready -q -h 127.0.0.1 -p 5432; then
    echo "ensure-services: starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
    wait_for PostgreSQL pg_isready -q -h 127.0.0.1 -p 5432
  fi
else
  echo "ensure-services: PostgreSQL client tools not found; PostgreSQL tests will be skipped" >&2
fi

if command -v mariadb-admin >/dev/null 2>&1; then
  if ! mariadb-admin -h 127.0.0.1 -P 3306 -u root ping >/dev/null 2>&1; then
    echo "ensure-services: starting MariaDB"
    start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd || true
    wait_for MariaDB mariadb-admin -h 127.0.0.1 -P 3306 -u root ping
  fi
else
  echo "ensure-services: MariaDB client tools not found; MariaDB tests will be skipped" >&2
fi
