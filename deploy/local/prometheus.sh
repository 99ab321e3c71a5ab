#!/usr/bin/env bash
# Prometheus from Debian's package, scraping the three local services and evaluating the alert
# rules (deploy/observability/prometheus.yml, alerts.yml); its own data under .local/prometheus.
#
#   deploy/local/prometheus.sh start|stop|status
#
# Port 59090 (PROMETHEUS_PORT), on 127.0.0.1. start is idempotent and waits until it is ready.
# Grafana has no Debian package (and its Go module is not for us to build): docker-compose.yml
# starts it with the dashboards provisioned; see README.md, "Dashboards".
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
DATA="$ROOT/.local/prometheus"
PORT="${PROMETHEUS_PORT:-59090}"
PID_FILE="$DATA/prometheus.pid"
CONFIG_DIR="$ROOT/deploy/observability"

prometheus_pid() {
  local pid
  pid="$(cat "$PID_FILE" 2>/dev/null)" || return 1
  # A stale pid file's number may belong to another process: check the command line too.
  [[ -n "$pid" ]] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "--storage.tsdb.path=$DATA/data" \
    && echo "$pid"
}

ready() { curl -fs -o /dev/null "http://127.0.0.1:$PORT/-/ready"; }

start() {
  command -v prometheus >/dev/null || { echo "prometheus: run deploy/local/install.sh first" >&2; exit 1; }
  if prometheus_pid >/dev/null && ready; then
    echo "prometheus: already running on http://127.0.0.1:$PORT (pid $(prometheus_pid))"; return 0
  fi
  mkdir -p "$DATA/data"
  if ! prometheus_pid >/dev/null; then
    # Relative rule_files resolve against the configuration's folder.
    nohup prometheus --config.file="$CONFIG_DIR/prometheus.yml" --storage.tsdb.path="$DATA/data" \
      --web.listen-address="127.0.0.1:$PORT" --storage.tsdb.retention.time=7d \
      >>"$DATA/prometheus.log" 2>&1 &
    echo $! >"$PID_FILE"
  fi
  for _ in $(seq 60); do
    if ready; then echo "prometheus: ready on http://127.0.0.1:$PORT (pid $(prometheus_pid))"; return 0; fi
    prometheus_pid >/dev/null || { echo "prometheus: exited; last log lines:" >&2; tail -n 20 "$DATA/prometheus.log" >&2; exit 1; }
    sleep 1
  done
  echo "prometheus: not ready after 60s (see $DATA/prometheus.log)" >&2; exit 1
}

stop() {
  local pid
  if pid="$(prometheus_pid)"; then
    kill -TERM "$pid"
    for _ in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$pid" 2>/dev/null || true
    echo "prometheus: stopped"
  fi
  rm -f "$PID_FILE"
}

status() {
  if prometheus_pid >/dev/null && ready; then
    echo "prometheus: ready on http://127.0.0.1:$PORT (pid $(prometheus_pid))"
  else
    echo "prometheus: stopped"; return 3
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
