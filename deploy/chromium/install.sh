#!/usr/bin/env bash
# Installs Debian's chromium when /usr/bin/chromium is missing (make test
# calls it): the browser tests (internal/browser) drive it headless over the
# DevTools protocol. Needs root or sudo, and Debian's package archive.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
sudo=""
if [ "$(id -u)" != 0 ]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "chromium: not installed, and installing it needs root (apt-get install chromium)" >&2
    exit 1
  fi
  sudo="sudo"
fi
echo "chromium: installing Debian's chromium…" >&2
export DEBIAN_FRONTEND=noninteractive
if ! $sudo apt-get install -y -q chromium >/dev/null 2>&1; then
  $sudo apt-get update -q >/dev/null
  $sudo apt-get install -y -q chromium >/dev/null
fi
test -x /usr/bin/chromium
echo "chromium: $(/usr/bin/chromium --version 2>/dev/null | head -1)" >&2
