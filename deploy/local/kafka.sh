#!/usr/bin/env bash
# Local single-node Kafka (KRaft, broker+controller in one JVM) for development and tests,
# for machines without a Docker engine. See docs/architecture.md, "Running on these machines".
#
#   deploy/local/kafka.sh start|stop|status|logs [tail args, e.g. -f]|reset|fetch
#   (fetch only downloads the jars; deploy/local/install.sh calls it)
#
# Listens on 127.0.0.1:${KAFKA_PORT:-59092} (controller ${KAFKA_CONTROLLER_PORT:-59093}).
# The jars come from Maven Central via deploy/kafka/pom.xml (fetched once into deploy/kafka/lib);
# all state lives in .local/kafka of this checkout (git-ignored), or in $KAFKA_DATA_DIR.
#
# SASL/SCRAM (issue 7): KAFKA_SASL=1 adds a second listener, SASL_PLAINTEXT on
# 127.0.0.1:${KAFKA_SASL_PORT:-59094}, accepting SCRAM-SHA-512 only, with the users of
# KAFKA_SCRAM_USERS ("name:password,name2:password2"; default defense:defense-local-secret).
# The PLAINTEXT listener stays for the broker itself and local tools. A second instance for
# tests runs beside the shared one with its own ports and data folder, e.g.
#   KAFKA_SASL=1 KAFKA_PORT=59195 KAFKA_CONTROLLER_PORT=59196 KAFKA_SASL_PORT=59194 \
#   KAFKA_DATA_DIR=.local/kafka-sasl deploy/local/kafka.sh start
#
# A three-broker cluster (issue 14): `kafka.sh cluster start|stop|status|bootstrap|reset` runs
# three combined broker/controller nodes (node ids 1-3, static controller quorum, replication
# factor 3, min.insync.replicas 2), each with its own data folder $KAFKA_DATA_DIR/node-<id>
# (default .local/kafka-cluster/node-<id>) and ports from
# KAFKA_CLUSTER_PORTS="broker:controller,broker:controller,broker:controller"
# (default 59290:59291,59300:59301,59310:59311). `cluster kill N` SIGKILLs node N,
# `cluster start-node N` / `stop-node N` bring one node back or down. It never touches the
# single broker above, which `./devctl up` and `./devctl test` use.
#
# ACLs: KAFKA_ACLS=1 (with KAFKA_SASL=1) switches the authorizer on (deploy/kafka/acl.properties):
# a SASL principal may then do only what the ACLs grant. Apply the platform's set with
#   .venv/bin/python -m defense_messaging.acls apply --bootstrap 127.0.0.1:$KAFKA_PORT \
#     deploy/kafka/acls.json
# (over the loopback PLAINTEXT listener, whose ANONYMOUS principal is a super user).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
KAFKA_HOME="$ROOT/deploy/kafka"          # pom.xml, log4j2.properties, template, lib/
DATA="${KAFKA_DATA_DIR:-$ROOT/.local/kafka}"   # rendered config, cluster id, pid, logs, data/
[[ "$DATA" = /* ]] || DATA="$ROOT/$DATA"
KAFKA_PORT="${KAFKA_PORT:-59092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-59093}"
KAFKA_SASL="${KAFKA_SASL:-0}"
KAFKA_SASL_PORT="${KAFKA_SASL_PORT:-59094}"
KAFKA_SCRAM_USERS="${KAFKA_SCRAM_USERS:-defense:defense-local-secret}"
KAFKA_ACLS="${KAFKA_ACLS:-0}"
KAFKA_HEAP_MAX="${KAFKA_HEAP_MAX:-768m}"
# Set by `cluster` for each of its nodes; alone, node 1 of a quorum of itself.
KAFKA_NODE_ID="${KAFKA_NODE_ID:-1}"
KAFKA_QUORUM_VOTERS="${KAFKA_QUORUM_VOTERS:-}"
KAFKA_RF="${KAFKA_RF:-1}"
KAFKA_MIN_ISR="${KAFKA_MIN_ISR:-1}"
KAFKA_WAIT="${KAFKA_WAIT:-1}"           # 0: launch and return (cluster nodes wait for each other)
CLUSTER_ID_FILE="${KAFKA_CLUSTER_ID_FILE:-$DATA/cluster.id}"
PID_FILE="$DATA/kafka.pid"
OUT_FILE="$DATA/kafka.out"               # stdout/stderr of the JVM: warnings, errors, crashes
LOG_FILE="$DATA/server.log"              # full INFO log (log4j2.properties)
START_TIMEOUT=120
STOP_TIMEOUT=30
# The version is read from the POM so that bumping it there re-fetches the jars.
KAFKA_VERSION="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$KAFKA_HOME/pom.xml")"

die() { echo "kafka: $*" >&2; exit 1; }

# Our broker's pid, if it is alive. Checks the command line too, so a stale pid file whose
# number got reused by another process is not mistaken for the broker.
broker_pid() {
  local pid
  pid="$(cat "$PID_FILE" 2>/dev/null)" || return 1
  [[ -n "$pid" ]] && grep -qa 'kafka.Kafka' "/proc/$pid/cmdline" 2>/dev/null && echo "$pid"
}

# True when something accepts TCP connections on the broker port (bash's /dev/tcp, no nc needed).
port_open() { timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$KAFKA_PORT" 2>/dev/null; }

# kafka.out has the WARN/ERROR lines plus what the JVM prints outside log4j (crashes, bad
# options), so its tail explains a failed start; server.log has the full INFO story.
show_logs() {
  echo "---- last 40 lines of $OUT_FILE (full log: $LOG_FILE)" >&2
  tail -n 40 "$OUT_FILE" >&2 2>/dev/null || true
}

fetch_jars() {
  # lib/ is complete once it holds the broker jar of the POM's version.
  [[ -f "$KAFKA_HOME/lib/kafka_2.13-$KAFKA_VERSION.jar" ]] && return 0
  command -v mvn >/dev/null || die "lib/ is empty and mvn is missing: apt-get install maven"
  echo "kafka: fetching Kafka $KAFKA_VERSION jars from Maven Central (once)..."
  # Download into lib.tmp and swap, so an interrupted download never looks complete and an
  # old version's jars never stay on the classpath next to the new ones.
  # Output is shown only on failure (Debian's mvn prints stray ANSI resets even with -q -B).
  rm -rf "$KAFKA_HOME/lib.tmp"
  local out
  if ! out="$(mvn -q -B -f "$KAFKA_HOME/pom.xml" dependency:copy-dependencies \
                -DoutputDirectory="$KAFKA_HOME/lib.tmp" 2>&1)"; then
    echo "$out" >&2; die "maven could not fetch the jars (network? proxy in ~/.m2/settings.xml?)"
  fi
  rm -rf "${KAFKA_HOME:?}/lib"
  mv "$KAFKA_HOME/lib.tmp" "$KAFKA_HOME/lib"
}

start() {
  local pid
  if pid="$(broker_pid)" && port_open; then
    echo "kafka: already running on 127.0.0.1:$KAFKA_PORT (pid $pid)"; return 0
  fi
  if [[ -z "${pid:-}" ]]; then
    port_open && die "port $KAFKA_PORT is taken by another process (set KAFKA_PORT to move)"

    # Kafka 4.x needs Java 17+ ("1.8.0" parses as 1, too old).
    local java_major=0
    if command -v java >/dev/null; then
      java_major="$(java -version 2>&1 | sed -n 's/.* version "\([0-9]*\).*/\1/p' | head -n1)"
    fi
    (( ${java_major:-0} >= 17 )) ||
      { echo "install OpenJDK 17: apt-get install openjdk-17-jre-headless" >&2; exit 1; }
    fetch_jars
    mkdir -p "$DATA"

    # Re-rendered every start so KAFKA_PORT changes and template edits take effect.
    local sasl_listener="" sasl_map=""
    if [[ "$KAFKA_SASL" == 1 ]]; then
      sasl_listener=",SASL_PLAINTEXT://127.0.0.1:$KAFKA_SASL_PORT"
      sasl_map=",SASL_PLAINTEXT:SASL_PLAINTEXT"
    fi
    local quorum="controller.quorum.bootstrap.servers=127.0.0.1:$KAFKA_CONTROLLER_PORT"
    [[ -n "$KAFKA_QUORUM_VOTERS" ]] && quorum="controller.quorum.voters=$KAFKA_QUORUM_VOTERS"
    sed -e "s|\${KAFKA_PORT}|$KAFKA_PORT|g" \
        -e "s|\${KAFKA_NODE_ID}|$KAFKA_NODE_ID|g" \
        -e "s|\${QUORUM}|$quorum|g" \
        -e "s|\${KAFKA_RF}|$KAFKA_RF|g" \
        -e "s|\${KAFKA_MIN_ISR}|$KAFKA_MIN_ISR|g" \
        -e "s|\${KAFKA_CONTROLLER_PORT}|$KAFKA_CONTROLLER_PORT|g" \
        -e "s|\${KAFKA_DATA}|$DATA|g" \
        -e "s|\${SASL_LISTENER}|$sasl_listener|g" \
        -e "s|\${SASL_PROTOCOL_MAP}|$sasl_map|g" \
        "$KAFKA_HOME/server.properties.template" > "$DATA/server.properties"
    if [[ "$KAFKA_SASL" == 1 ]]; then
      cat "$KAFKA_HOME/sasl.properties" >> "$DATA/server.properties"
    fi
    if [[ "$KAFKA_ACLS" == 1 ]]; then
      cat "$KAFKA_HOME/acl.properties" >> "$DATA/server.properties"
    fi

    # Format the storage once; the cluster id is generated once and kept next to it.
    # SCRAM credentials live in the cluster metadata: a fresh storage gets them at format time.
    local scram_args=() fresh=0
    if [[ ! -f "$DATA/data/meta.properties" ]]; then
      fresh=1
      [[ -s "$CLUSTER_ID_FILE" ]] ||
        java -cp "$KAFKA_HOME/lib/*" kafka.tools.StorageTool random-uuid > "$CLUSTER_ID_FILE"
      if [[ "$KAFKA_SASL" == 1 ]]; then
        local user
        for user in ${KAFKA_SCRAM_USERS//,/ }; do
          scram_args+=(--add-scram "SCRAM-SHA-512=[name=${user%%:*},password=${user#*:}]")
        done
      fi
      # A static quorum (the cluster) is formatted as it is; a node alone as its own quorum.
      local out quorum_args=(--standalone)
      [[ -n "$KAFKA_QUORUM_VOTERS" ]] && quorum_args=()
      if ! out="$(java -cp "$KAFKA_HOME/lib/*" kafka.tools.StorageTool format "${quorum_args[@]}" \
                    -t "$(cat "$CLUSTER_ID_FILE")" -c "$DATA/server.properties" \
                    "${scram_args[@]}" 2>&1)"; then
        echo "$out" >&2; die "formatting $DATA/data failed"
      fi
    fi

    # Keep the previous run's log aside: readiness is read from a server.log of this run only.
    if [[ -f "$LOG_FILE" ]]; then mv -f "$LOG_FILE" "$LOG_FILE.prev"; fi
    # Every partition keeps a few files open, and each test session creates its own topics:
    # a long-lived development broker outgrows the usual 1024 (or even 20,000) descriptors and
    # dies with "Too many open files". Raise the limit as far as this user may.
    ulimit -n 1048576 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
    # setsid + nohup: the broker outlives this shell and its terminal. Not being a process
    # group leader here, setsid execs instead of forking, so $! is the JVM's pid.
    setsid nohup java -Xms256m "-Xmx$KAFKA_HEAP_MAX" -cp "$KAFKA_HOME/lib/*" \
        -Dlog4j2.configurationFile="$KAFKA_HOME/log4j2.properties" \
        -Dkafka.logs.dir="$DATA" -Dkafka.console.level=WARN \
        kafka.Kafka "$DATA/server.properties" > "$OUT_FILE" 2>&1 < /dev/null &
    pid=$!
    echo "$pid" > "$PID_FILE"
    echo "kafka: started pid $pid, waiting for the broker on 127.0.0.1:$KAFKA_PORT..."
    [[ "$KAFKA_WAIT" == 1 ]] || return 0
  else
    echo "kafka: pid $pid is up but the port does not answer yet, waiting..."
  fi

  # Ready = the broker says so in its log AND the port accepts connections.
  local deadline=$((SECONDS + START_TIMEOUT))
  while (( SECONDS < deadline )); do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "kafka: the broker process died during startup" >&2; show_logs; rm -f "$PID_FILE"; exit 1
    fi
    if grep -qE 'Kafka Server started|Transitioning from RECOVERY to RUNNING' "$LOG_FILE" 2>/dev/null &&
       port_open; then
      # A storage formatted before SASL was switched on has no SCRAM users yet: add them.
      if [[ "$KAFKA_SASL" == 1 && "${fresh:-0}" == 0 ]]; then add_scram_users; fi
      echo "kafka: running on 127.0.0.1:$KAFKA_PORT (pid $pid)$(sasl_note)"; return 0
    fi
    sleep 0.5
  done
  echo "kafka: not ready after ${START_TIMEOUT}s (pid $pid left running; see logs)" >&2
  show_logs; exit 1
}

sasl_note() {
  [[ "$KAFKA_SASL" == 1 ]] && echo ", SASL_PLAINTEXT/SCRAM-SHA-512 on 127.0.0.1:$KAFKA_SASL_PORT"
  return 0
}

# Creates or updates the SCRAM users through the PLAINTEXT listener (idempotent).
add_scram_users() {
  local user out
  for user in ${KAFKA_SCRAM_USERS//,/ }; do
    if ! out="$(java -cp "$KAFKA_HOME/lib/*" kafka.admin.ConfigCommand \
                  --bootstrap-server "127.0.0.1:$KAFKA_PORT" --alter --entity-type users \
                  --entity-name "${user%%:*}" \
                  --add-config "SCRAM-SHA-512=[password=${user#*:}]" 2>&1)"; then
      echo "$out" >&2; die "could not create SCRAM user ${user%%:*}"
    fi
  done
}

stop() {
  local pid
  if ! pid="$(broker_pid)"; then
    rm -f "$PID_FILE"; echo "kafka: not running"; return 0
  fi
  # SIGTERM lets the broker close its logs cleanly, so the next start skips log recovery.
  kill -TERM "$pid"
  local deadline=$((SECONDS + STOP_TIMEOUT))
  while kill -0 "$pid" 2>/dev/null && (( SECONDS < deadline )); do sleep 0.5; done
  if kill -0 "$pid" 2>/dev/null; then
    echo "kafka: still alive after ${STOP_TIMEOUT}s, sending SIGKILL"
    kill -KILL "$pid"
    while kill -0 "$pid" 2>/dev/null; do sleep 0.2; done
  fi
  rm -f "$PID_FILE"
  echo "kafka: stopped"
}

status() {
  local pid
  if pid="$(broker_pid)" && port_open; then
    echo "kafka: running on 127.0.0.1:$KAFKA_PORT (pid $pid)"; return 0
  elif [[ -n "${pid:-}" ]]; then
    echo "kafka: pid $pid alive but 127.0.0.1:$KAFKA_PORT does not answer (starting or stuck)"
  else
    echo "kafka: stopped (port $KAFKA_PORT)"
  fi
  return 3
}

# --- the three-node cluster: each node is this script's single node under other settings ---

CLUSTER_DATA="${KAFKA_DATA_DIR:-$ROOT/.local/kafka-cluster}"
[[ "$CLUSTER_DATA" = /* ]] || CLUSTER_DATA="$ROOT/$CLUSTER_DATA"
IFS=, read -ra CLUSTER_NODES <<< "${KAFKA_CLUSTER_PORTS:-59290:59291,59300:59301,59310:59311}"

cluster_voters() {
  local i voters=()
  for i in "${!CLUSTER_NODES[@]}"; do voters+=("$((i + 1))@127.0.0.1:${CLUSTER_NODES[$i]#*:}"); done
  (IFS=,; echo "${voters[*]}")
}

cluster_bootstrap() {
  local node servers=()
  for node in "${CLUSTER_NODES[@]}"; do servers+=("127.0.0.1:${node%%:*}"); done
  (IFS=,; echo "${servers[*]}")
}

# Runs this script's single-node command for node $1 (1-based).
on_node() {
  local id="$1" command="$2" node="${CLUSTER_NODES[$(($1 - 1))]:-}"
  [[ -n "$node" ]] || die "no node $id (nodes 1-${#CLUSTER_NODES[@]})"
  shift 2
  env "$@" KAFKA_NODE_ID="$id" KAFKA_PORT="${node%%:*}" KAFKA_CONTROLLER_PORT="${node#*:}" \
      KAFKA_DATA_DIR="$CLUSTER_DATA/node-$id" KAFKA_QUORUM_VOTERS="$(cluster_voters)" \
      KAFKA_CLUSTER_ID_FILE="$CLUSTER_DATA/cluster.id" KAFKA_RF=3 KAFKA_MIN_ISR=2 \
      KAFKA_SASL=0 KAFKA_ACLS=0 "${BASH_SOURCE[0]}" "$command"
}

cluster() {
  local command="${1:-}" id
  (( ${#CLUSTER_NODES[@]} == 3 )) || die "KAFKA_CLUSTER_PORTS must name three nodes"
  case "$command" in
    start)
      fetch_jars
      mkdir -p "$CLUSTER_DATA"
      [[ -s "$CLUSTER_DATA/cluster.id" ]] ||
        java -cp "$KAFKA_HOME/lib/*" kafka.tools.StorageTool random-uuid > "$CLUSTER_DATA/cluster.id"
      # Launch all three first: a node is ready only once a majority of controllers is up.
      for id in 1 2 3; do on_node "$id" start KAFKA_WAIT=0; done
      for id in 1 2 3; do on_node "$id" start; done
      echo "kafka cluster: bootstrap $(cluster_bootstrap)" ;;
    start-node) on_node "${2:?node id}" start ;;
    stop-node)  on_node "${2:?node id}" stop ;;
    kill)
      local pid
      pid="$(cat "$CLUSTER_DATA/node-${2:?node id}/kafka.pid" 2>/dev/null)" || die "node $2 is not running"
      kill -KILL "$pid"
      while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
      echo "kafka cluster: node $2 (pid $pid) killed" ;;
    stop)      for id in 1 2 3; do on_node "$id" stop; done ;;
    status)    local rc=0; for id in 1 2 3; do on_node "$id" status || rc=$?; done; return $rc ;;
    bootstrap) cluster_bootstrap ;;
    reset)     cluster stop; rm -rf "$CLUSTER_DATA"; echo "kafka cluster: deleted $CLUSTER_DATA" ;;
    *) echo "usage: $0 cluster start|stop|status|bootstrap|kill N|start-node N|stop-node N|reset" >&2
       exit 2 ;;
  esac
}

case "${1:-}" in
  cluster) shift; cluster "$@" ;;
  start)  start ;;
  stop)   stop ;;
  status) status ;;
  logs)   shift; exec tail -n 100 "$@" "$LOG_FILE" ;;
  reset)  stop; rm -rf "$DATA"; echo "kafka: deleted $DATA" ;;
  fetch)  fetch_jars ;;
  *)      echo "usage: $0 start|stop|status|logs [-f]|reset|fetch|cluster ..." >&2; exit 2 ;;
esac
