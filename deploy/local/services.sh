#!/usr/bin/env bash
# The three services and the agency console as local background processes (uvicorn), each on
# its own port: procuratorate 8101, aid_center 8102, notifier 8103, console 8104 (override with
# <SERVICE>_HTTP_PORT).
#
#   deploy/local/services.sh start|stop|status
#
# start is idempotent and returns once every /ready answers 200; logs go to .local/services/.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
RUN="$ROOT/.local/services"
PY="$ROOT/.venv/bin/python"
SERVICES=(procuratorate aid_center notifier console)
READY_TIMEOUT=90
# A developer's machine: the services run with the published local keys, which they refuse
# to use in any other mode.
export DEFENSE_ENV="${DEFENSE_ENV:-development}"

port_of() {
  local var="${1^^}_HTTP_PORT"
  case "$1" in
    procuratorate) echo "${!var:-8101}" ;;
    aid_center) echo "${!var:-8102}" ;;
    notifier) echo "${!var:-8103}" ;;
    console) echo "${!var:-8104}" ;;
  esac
}

# The console holds no connection of its own to wait for: it is ready when it answers.
probe_of() { [[ "$1" == console ]] && echo /health || echo /ready; }

pid_of() {
  local pid
  pid="$(cat "$RUN/$1.pid" 2>/dev/null)" || return 1
  # The command line is checked too: a stale pid file's number may belong to another process.
  [[ -n "$pid" ]] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "-m $1 " \
    && echo "$pid"
}

ready() { curl -fs -o /dev/null "http://127.0.0.1:$(port_of "$1")$(probe_of "$1")"; }

start() {
  mkdir -p "$RUN"
  [[ -x "$PY" ]] || { echo "services: run deploy/local/install.sh first" >&2; exit 1; }
  local svc
  for svc in "${SERVICES[@]}"; do
    if pid_of "$svc" >/dev/null; then
      echo "services: $svc already running (pid $(pid_of "$svc"))"
      continue
    fi
    nohup "$PY" -m "$svc" >>"$RUN/$svc.log" 2>&1 &
    echo $! >"$RUN/$svc.pid"
  done
  for svc in "${SERVICES[@]}"; do
    local waited=0
    until ready "$svc"; do
      if ! pid_of "$svc" >/dev/null; then
        echo "services: $svc exited; last log lines:" >&2; tail -n 40 "$RUN/$svc.log" >&2
        exit 1
      fi
      ((waited++ < READY_TIMEOUT)) || { echo "services: $svc not ready after ${READY_TIMEOUT}s" >&2; exit 1; }
      sleep 1
    done
    echo "services: $svc ready on http://127.0.0.1:$(port_of "$svc")"
  done
}

stop() {
  local svc pid
  for svc in "${SERVICES[@]}"; do
    if pid="$(pid_of "$svc")"; then
      kill -TERM "$pid"
      for _ in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
      kill -KILL "$pid" 2>/dev/null || true
      echo "services: $svc stopped"
    fi
    rm -f "$RUN/$svc.pid"
  done
}

status() {
  local svc rc=0
  for svc in "${SERVICES[@]}"; do
    if pid_of "$svc" >/dev/null && ready "$svc"; then
      echo "$svc: ready on http://127.0.0.1:$(port_of "$svc") (pid $(pid_of "$svc"))"
    elif pid_of "$svc" >/dev/null; then
      echo "$svc: running, not ready"; rc=3
    else
      echo "$svc: stopped"; rc=3
    fi
  done
  return $rc
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
