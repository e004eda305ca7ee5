#!/usr/bin/env bash
# Installs Debian's chromium when it is missing (make test calls it): the
# browser tests (internal/browser) drive it headless over the DevTools
# protocol.
exec "$(dirname "$0")/../debian-package.sh" chromium chromium
