#!/usr/bin/env bash
# Install Debian's Chromium for the admin UI's end-to-end tests (tests/e2e/test_admin_ui.py) when it is missing.
# Playwright itself comes from PyPI through the `test` extra; its own browser download is never used (the tests
# pass executable_path=/usr/bin/chromium), so this script never runs `playwright install`. Safe to run again.
set -euo pipefail

if command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "ensure-browser: chromium is not installed; run as root: apt-get install chromium" >&2
  exit 1
fi
echo "ensure-browser: installing chromium"
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -q chromium >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null; }
