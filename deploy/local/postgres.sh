#!/usr/bin/env bash
# Local PostgreSQL server for development and tests, for machines without a Docker engine.
# See docs/architecture.md, "Running on these machines".
#
#   deploy/local/postgres.sh start|stop|status|reset|psql [psql args]
#
# One server on 127.0.0.1:${PG_PORT:-55432}, data in .local/postgres of this checkout
# (git-ignored) or in $PG_DATA_DIR, with one role + one database per service (password = name,
# dev only). A second server (the fault suite's) runs beside it with its own PG_PORT and
# PG_DATA_DIR. stop shuts down with PG_STOP_MODE (fast by default; smart or immediate).
# It uses the PostgreSQL binaries directly, not Debian's clusters: pg_createcluster keeps its
# config in /etc/postgresql, which two checkouts on one machine would fight over, and the
# "main" cluster on 5432 belongs to whoever else uses this machine.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
PG_PORT="${PG_PORT:-55432}"
PG_ADMIN_PASSWORD="${PG_ADMIN_PASSWORD:-postgres}"
SERVICES=(procuratorate aid_center notifier)
AUDIT_GUARD_SQL="$ROOT/shared/runtime/src/service_runtime/security/audit_guard.sql"
START_TIMEOUT=60

die() { echo "postgres: $*" >&2; exit 1; }

# initdb refuses to run as root, so as root everything runs as the `postgres` system user
# (created by Debian's postgresql packages); otherwise as the current user.
DATA="${PG_DATA_DIR:-$ROOT/.local/postgres}"
[[ "$DATA" = /* ]] || DATA="$ROOT/$DATA"
PG_STOP_MODE="${PG_STOP_MODE:-fast}"
AS=()
if (( EUID == 0 )); then
  id -u postgres >/dev/null 2>&1 || die "no 'postgres' system user: apt-get install postgresql"
  AS=(runuser -u postgres --)
  # postgres must be able to reach the data dir; a checkout under /root (mode 700) is not.
  if [[ -z "${PG_DATA_DIR:-}" ]] && ! runuser -u postgres -- test -x "$ROOT"; then
    DATA="/var/lib/postgresql/defense-coverage/$(printf '%s' "$ROOT" | sha1sum | cut -c1-12)"
    echo "postgres: user postgres cannot enter $ROOT, keeping the data in $DATA" >&2
  fi
fi
# The unix socket lives in the data dir; its path must fit in 107 bytes (sun_path).
(( ${#DATA} + 17 <= 107 )) || die "data dir path too long for a unix socket: $DATA"

# Binaries: the version the data dir was created with, else the highest installed one
# (a newer server cannot open an older data dir without pg_upgrade).
if [[ -f "$DATA/PG_VERSION" ]]; then
  PG_BIN="/usr/lib/postgresql/$(cat "$DATA/PG_VERSION")/bin"
else
  # shellcheck disable=SC2012  # names are version numbers; sort -V orders 9.6 < 15
  PG_BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)" || true
fi

need_bin() {
  [[ -x "$PG_BIN/pg_ctl" ]] && return 0
  [[ -f "$DATA/PG_VERSION" ]] &&
    die "$DATA needs PostgreSQL $(cat "$DATA/PG_VERSION"): apt-get install postgresql-$(cat "$DATA/PG_VERSION"), or reset"
  echo "install PostgreSQL: apt-get install postgresql" >&2; exit 1
}
# Run a PostgreSQL binary as the right user. cd / so runuser does not start in a directory
# (say /root) that postgres cannot read.
pg() { local bin="$1"; shift; (cd / && "${AS[@]}" "$PG_BIN/$bin" "$@"); }
running() { [[ -x "$PG_BIN/pg_ctl" && -f "$DATA/PG_VERSION" ]] && pg pg_ctl status -D "$DATA" >/dev/null 2>&1; }
# Superuser session over the unix socket in the data dir (local connections are trusted).
admin_psql() { pg psql -X -q -v ON_ERROR_STOP=1 -h "$DATA" -p "$PG_PORT" -U postgres -d postgres; }

init_cluster() {
  echo "postgres: creating a new server in $DATA"
  mkdir -p "$DATA"
  if (( EUID == 0 )); then chown postgres: "$DATA"; fi
  chmod 700 "$DATA"
  # C.UTF-8 keeps sorting byte-wise and identical on every machine; plain C if it is missing.
  local locale=C
  if locale -a 2>/dev/null | grep -qiE '^c\.utf-?8$'; then locale=C.UTF-8; fi
  # The superuser password goes in through a file readable only by the user running initdb.
  local pwfile
  pwfile="$(mktemp)"
  printf '%s\n' "$PG_ADMIN_PASSWORD" > "$pwfile"
  if (( EUID == 0 )); then chown postgres: "$pwfile"; fi
  if ! pg initdb -D "$DATA" -U postgres --pwfile="$pwfile" --auth-local=trust \
          --auth-host=scram-sha-256 --encoding=UTF8 --locale="$locale" >/dev/null; then
    rm -f "$pwfile"; die "initdb failed"
  fi
  rm -f "$pwfile"
  # Our settings live in their own file, rewritten on every start (see write_settings).
  echo "include_if_exists = 'defense-coverage.conf'" | "${AS[@]}" tee -a "$DATA/postgresql.conf" >/dev/null
}

# Rewritten on every start so a different PG_PORT takes effect. fsync stays on (default).
write_settings() {
  "${AS[@]}" tee "$DATA/defense-coverage.conf" >/dev/null <<EOF
# Written by deploy/local/postgres.sh on every start; edits here are lost.
listen_addresses = '127.0.0.1'
port = $PG_PORT
# Socket in the data dir, never /var/run/postgresql, so it cannot clash with other servers.
unix_socket_directories = '$DATA'
# Three services with connection pools plus parallel tests.
max_connections = 200
EOF
}

# One LOGIN role and one database owned by it per service; CREATEDB because tests create
# scratch databases. Safe to repeat: existing roles and databases are left alone.
ensure_databases() {
  local svc
  for svc in "${SERVICES[@]}"; do
    admin_psql <<EOF
SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', '$svc', '$svc')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$svc') \gexec
ALTER ROLE "$svc" LOGIN CREATEDB;
SELECT format('CREATE DATABASE %I OWNER %I', '$svc', '$svc')
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$svc') \gexec
EOF
    # The audit log belongs to <svc>_audit, a role the service cannot become; the service may
    # only INSERT and SELECT it (shared/runtime/.../security/audit_guard.sql).
    pg psql -X -q -v ON_ERROR_STOP=1 -h "$DATA" -p "$PG_PORT" -U postgres -d "$svc" \
      -v service_role="$svc" -v owner_role="${svc}_audit" <"$AUDIT_GUARD_SQL" >/dev/null
  done
}

start() {
  need_bin
  local state="already running"
  if ! running; then
    state="running"
    [[ -f "$DATA/PG_VERSION" ]] || init_cluster
    write_settings
    # -l: server log in the data dir. -w: pg_ctl waits until the server accepts connections
    # or has died (polling pg_ctl status ourselves races with postmaster.pid being written).
    if ! pg pg_ctl start -D "$DATA" -l "$DATA/postgres.log" -w -t "$START_TIMEOUT" >/dev/null; then
      echo "postgres: failed to start; last 40 lines of $DATA/postgres.log:" >&2
      tail -n 40 "$DATA/postgres.log" >&2; exit 1
    fi
  fi
  # The check clients make (also covers a server that another start is still bringing up).
  local deadline=$((SECONDS + START_TIMEOUT))
  until pg pg_isready -q -h "$DATA" -p "$PG_PORT"; do
    (( SECONDS < deadline )) || die "not answering after ${START_TIMEOUT}s, see $DATA/postgres.log"
    sleep 0.5
  done
  echo "postgres: $state on 127.0.0.1:$PG_PORT ($DATA)"
  ensure_databases
}

stop() {
  if ! running; then echo "postgres: not running"; return 0; fi
  # fast (the default): roll back open transactions and disconnect clients instead of waiting
  # for them; immediate: no shutdown checkpoint, the next start recovers from the WAL.
  pg pg_ctl stop -D "$DATA" -m "$PG_STOP_MODE" -w >/dev/null
  echo "postgres: stopped ($PG_STOP_MODE)"
}

status() {
  if running; then echo "postgres: running on 127.0.0.1:$PG_PORT ($DATA)"; return 0; fi
  echo "postgres: stopped (port $PG_PORT)"; return 3
}

case "${1:-}" in
  start)  start ;;
  stop)   stop ;;
  status) status ;;
  reset)  stop; rm -rf "$DATA"; echo "postgres: deleted $DATA" ;;
  # Superuser session. Stays in the current directory (so `psql -f relative.sql` works)
  # unless postgres cannot enter it.
  psql)   shift; need_bin
          if (( EUID == 0 )) && ! runuser -u postgres -- test -x "$PWD"; then cd /; fi
          exec "${AS[@]}" "$PG_BIN/psql" -h "$DATA" -p "$PG_PORT" -U postgres "$@" ;;
  *)      echo "usage: $0 start|stop|status|reset|psql [args]" >&2; exit 2 ;;
esac
