#!/usr/bin/env bash
# Installs Debian's prometheus package when promtool is missing (make test
# calls it): the tests check deploy/prometheus/alerts.yml, the dashboard's
# queries and a scrape of /metrics with it. Only promtool is used; the
# package's server is not started here.
exec "$(dirname "$0")/../debian-package.sh" --no-recommends promtool prometheus
