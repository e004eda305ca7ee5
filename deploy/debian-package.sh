#!/usr/bin/env bash
# Installs Debian packages when a command they provide is missing: make test
# and make run call it for the servers and tools the tests use
# (clickhouse-server, chromium, promtool). Needs root or sudo, and Debian's
# package archive. apt-get update runs only when the first install fails.
#
# usage: deploy/debian-package.sh [--no-recommends] COMMAND PACKAGE...
set -euo pipefail
opts=()
if [ "${1:-}" = "--no-recommends" ]; then
  opts=(--no-install-recommends)
  shift
fi
if [ $# -lt 2 ]; then
  echo "usage: $0 [--no-recommends] COMMAND PACKAGE..." >&2
  exit 2
fi
cmd=$1
shift
if command -v "$cmd" >/dev/null 2>&1; then
  exit 0
fi
sudo=""
if [ "$(id -u)" != 0 ]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "$cmd: not installed, and installing it needs root (apt-get install $*)" >&2
    exit 1
  fi
  sudo="sudo"
fi
echo "$cmd: installing Debian's $*…" >&2
export DEBIAN_FRONTEND=noninteractive
if ! $sudo apt-get install -y -q "${opts[@]}" "$@" >/dev/null 2>&1; then
  $sudo apt-get update -q >/dev/null
  $sudo apt-get install -y -q "${opts[@]}" "$@" >/dev/null
fi
command -v "$cmd" >/dev/null
echo "$cmd: $("$cmd" --version 2>&1 | head -1)" >&2
