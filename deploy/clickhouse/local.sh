#!/usr/bin/env bash
# A throw-away ClickHouse for make run, on loopback:
#   local.sh start DIR   installs it if missing, starts it with its data in
#                        DIR, and prints the DSN to give plauditd
#   local.sh stop DIR    stops it and removes DIR
# PLAUDIT_LOCAL_CLICKHOUSE_PORT sets the native port (default 19000; HTTP
# on the next one).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cmd=${1:?start or stop}
dir=${2:?a directory}
port=${PLAUDIT_LOCAL_CLICKHOUSE_PORT:-19000}
case "$cmd" in
start)
  "$here/install.sh"
  mkdir -p "$dir/data" "$dir/tmp"
  dir=$(cd "$dir" && pwd)
  cat >"$dir/config.xml" <<XML
<yandex>
  <logger><level>warning</level><log>$dir/server.log</log><errorlog>$dir/server.err.log</errorlog></logger>
  <tcp_port>$port</tcp_port>
  <http_port>$((port + 1))</http_port>
  <listen_host>127.0.0.1</listen_host>
  <path>$dir/data/</path>
  <tmp_path>$dir/tmp/</tmp_path>
  <users_config>/etc/clickhouse-server/users.xml</users_config>
  <mark_cache_size>67108864</mark_cache_size>
</yandex>
XML
  clickhouse-server --config-file="$dir/config.xml" >"$dir/stdout.log" 2>&1 &
  echo $! >"$dir/pid"
  for _ in $(seq 1 100); do
    if clickhouse-client --port "$port" -q "SELECT 1" >/dev/null 2>&1; then
      echo "clickhouse://127.0.0.1:$port/plaudit"
      exit 0
    fi
    if ! kill -0 "$(cat "$dir/pid")" 2>/dev/null; then
      echo "clickhouse: the server exited; see $dir/server.err.log" >&2
      exit 1
    fi
    sleep 0.2
  done
  echo "clickhouse: the server did not answer on 127.0.0.1:$port" >&2
  exit 1
  ;;
stop)
  if [ -f "$dir/pid" ]; then
    kill "$(cat "$dir/pid")" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$(cat "$dir/pid")" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -rf "$dir"
  ;;
*)
  echo "usage: $0 start|stop DIR" >&2
  exit 2
  ;;
esac
