#!/usr/bin/env bash
# Stops the Temporal server started by scripts/cluster/up.sh (SIGTERM, then SIGKILL after a grace period).
# PostgreSQL is left running (shared with the project's other tests).
#
# Usage: scripts/cluster/down.sh [DATA_DIR] [--purge]
#   --purge  also drops the two databases and deletes DATA_DIR (next cluster-up starts from zero).
# Env: TZS_CLUSTER_DIR, TEMPORAL_DB, TEMPORAL_VISIBILITY_DB, TEMPORAL_STOP_TIMEOUT (15 s).
set -euo pipefail
log() { echo "cluster down: $*" >&2; }

purge=false
args=()
for a in "$@"; do
  if [[ $a == --purge ]]; then purge=true; else args+=("$a"); fi
done
DATA_DIR=${args[0]:-${TZS_CLUSTER_DIR:-/tmp/tzs-temporal-cluster}}
PID_FILE="$DATA_DIR/server.pid"
TIMEOUT=${TEMPORAL_STOP_TIMEOUT:-15}
# A killed process may linger briefly as a zombie (state Z) until init reaps it.
alive() { [[ -r /proc/$1/stat ]] && [[ $(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) != Z ]]; }

if [[ -f "$PID_FILE" ]]; then
  pid=$(cat "$PID_FILE")
  if [[ -n "$pid" ]] && alive "$pid" && grep -q temporal-server "/proc/$pid/cmdline" 2>/dev/null; then
    log "stopping server pid $pid"
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq $((TIMEOUT * 10))); do alive "$pid" || break; sleep 0.1; done
    if alive "$pid"; then
      log "still running after ${TIMEOUT}s; SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      for _ in $(seq 50); do alive "$pid" || break; sleep 0.1; done
    fi
  else
    log "no running server for pid file ($pid)"
  fi
  rm -f "$PID_FILE"
else
  log "no pid file at $PID_FILE"
fi

if $purge; then
  if command -v pg_lsclusters >/dev/null; then
    pg_version=$(ls /usr/lib/postgresql | sort -n | tail -1)
    PG_PORT=$(pg_lsclusters -h | awk -v v="$pg_version" '$1==v && $2=="main" && $4=="online" {print $3}')
    if [[ -n "$PG_PORT" ]]; then
      for db in "${TEMPORAL_DB:-temporal}" "${TEMPORAL_VISIBILITY_DB:-temporal_visibility}"; do
        log "dropping database $db"
        (cd / && su postgres -c "dropdb -p $PG_PORT --if-exists --force $db") >&2
      done
    fi
  fi
  log "removing $DATA_DIR"
  rm -rf "$DATA_DIR"
fi
