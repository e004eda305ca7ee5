#!/usr/bin/env bash
# Installs Debian's clickhouse-server and clickhouse-client when
# clickhouse-server is missing (make test and make run call it). Needs root
# or sudo, and Debian's package archive.
set -euo pipefail
if command -v clickhouse-server >/dev/null 2>&1; then
  exit 0
fi
sudo=""
if [ "$(id -u)" != 0 ]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "clickhouse: not installed, and installing it needs root (apt-get install clickhouse-server clickhouse-client)" >&2
    exit 1
  fi
  sudo="sudo"
fi
echo "clickhouse: installing Debian's clickhouse-server and clickhouse-client…" >&2
export DEBIAN_FRONTEND=noninteractive
if ! $sudo apt-get install -y -q clickhouse-server clickhouse-client >/dev/null 2>&1; then
  $sudo apt-get update -q >/dev/null
  $sudo apt-get install -y -q clickhouse-server clickhouse-client >/dev/null
fi
command -v clickhouse-server >/dev/null 2>&1
echo "clickhouse: $(clickhouse-server --version 2>/dev/null | head -1)" >&2
