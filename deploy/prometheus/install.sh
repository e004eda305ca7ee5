#!/usr/bin/env bash
# Installs Debian's prometheus package when promtool is missing (make test
# calls it): the tests check deploy/prometheus/alerts.yml, the dashboard's
# queries and a scrape of /metrics with it. Only promtool is used; the
# package's server is not started here. Needs root or sudo, and Debian's
# package archive.
set -euo pipefail
if command -v promtool >/dev/null 2>&1; then
  exit 0
fi
sudo=""
if [ "$(id -u)" != 0 ]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "promtool: not installed, and installing it needs root (apt-get install prometheus)" >&2
    exit 1
  fi
  sudo="sudo"
fi
echo "promtool: installing Debian's prometheus…" >&2
export DEBIAN_FRONTEND=noninteractive
if ! $sudo apt-get install -y -q --no-install-recommends prometheus >/dev/null 2>&1; then
  $sudo apt-get update -q >/dev/null
  $sudo apt-get install -y -q --no-install-recommends prometheus >/dev/null
fi
command -v promtool >/dev/null
echo "promtool: $(promtool --version 2>&1 | head -1)" >&2
