#!/usr/bin/env bash
# Installs Debian's clickhouse-server and clickhouse-client when
# clickhouse-server is missing (make test and make run call it).
exec "$(dirname "$0")/../debian-package.sh" clickhouse-server clickhouse-server clickhouse-client
