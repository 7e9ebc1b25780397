#!/usr/bin/env bash
# Make sure a headless-capable Chromium is installed (the KPI page test drives it). Idempotent and quiet:
# does nothing when `chromium` is on the PATH; otherwise installs Debian's chromium with apt-get when it can
# (root, apt available), with a small CJK font so the page's Chinese renders in screenshots. Never fails the build: without a browser the page test skips and says why.
set -uo pipefail

if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-chromium: no apt-get here; install chromium yourself to run the KPI page test" >&2
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
    echo "ensure-chromium: not root and no passwordless sudo; install chromium to run the KPI page test" >&2
    exit 0
  fi
fi
export DEBIAN_FRONTEND=noninteractive
if ! { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends chromium chromium-driver fonts-wqy-microhei; } \
  >/tmp/ensure-chromium.log 2>&1; then
  echo "ensure-chromium: apt-get could not install chromium (see /tmp/ensure-chromium.log)" >&2
fi
exit 0
