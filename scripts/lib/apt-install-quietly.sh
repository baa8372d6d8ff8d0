# Sourced by scripts/ensure-*.sh: install Debian packages without letting their maintainer scripts start the
# system services (invoke-rc.d honours policy-rc.d); the tests start private instances of their own.
# Usage: apt_install_quietly WHO PACKAGE... (WHO prefixes the messages). Needs root.

apt_install_quietly() {
  local who=$1
  shift
  if [ "$(id -u)" -ne 0 ]; then
    echo "$who: $* not installed; run as root: apt-get install $*" >&2
    return 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  local policy=/usr/sbin/policy-rc.d created_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    created_policy=1
  fi
  echo "$who: installing $*"
  local status=0
  { apt-get update -q && apt-get install -y -q --no-install-recommends "$@"; } || status=$?
  if [ "$created_policy" = 1 ]; then rm -f "$policy"; fi
  return "$status"
}
