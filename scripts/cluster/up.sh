#!/usr/bin/env bash
# Brings up a real (non-dev-server) Temporal cluster for tests and benchmarks, without Docker
# (docker-compose.yml stays the documented production stack; this is the same topology):
#   - temporal server v1.29.1 built from the Go module proxy (cached under ~/.cache),
#   - Debian's PostgreSQL as the default store AND as SQL advanced visibility,
#   - namespace "default" + the project's custom search attributes.
# Idempotent: every step checks what is already there. Needs root (apt-get, su postgres).
#
# Usage: scripts/cluster/up.sh [DATA_DIR]   (default: $TZS_CLUSTER_DIR or /tmp/tzs-temporal-cluster)
# Needs `npm run build` first (the namespace step runs dist/src/devtools/cluster-namespace.js).
# Prints the frontend address (host:port) on stdout when ready; everything else goes to stderr.
#
# Env (all optional):
#   TEMPORAL_FRONTEND_PORT        gRPC frontend port (7233). Other ports default to offsets of it,
#                                 which gives Temporal's stock ports for 7233:
#   TEMPORAL_FRONTEND_HTTP_PORT   (+10 → 7243)   TEMPORAL_HISTORY_PORT (+1 → 7234)
#   TEMPORAL_MATCHING_PORT        (+2 → 7235)    TEMPORAL_WORKER_PORT  (+6 → 7239)
#   TEMPORAL_*_MEMBERSHIP_PORT    (frontend/history/matching/worker: port-300 → 6933/6934/6935/6939)
#   TEMPORAL_METRICS_PORT         Prometheus listener; unset = no metrics endpoint
#   TEMPORAL_DB / TEMPORAL_VISIBILITY_DB   database names (temporal / temporal_visibility)
#   TEMPORAL_DB_USER / TEMPORAL_DB_PASSWORD  (temporal / temporal)
#   TEMPORAL_NAMESPACE            (default)   TEMPORAL_NUM_HISTORY_SHARDS (4; fixed once the DB exists)
#   TEMPORAL_SERVER_BIN_DIR       where server + temporal-sql-tool are built
#   TEMPORAL_READY_TIMEOUT        seconds to wait for the frontend (60)
#   TEMPORAL_FORCE_SA_REFRESH     system.forceSearchAttributesCacheRefreshOnRead (true)
#   TEMPORAL_EXTRA_DYNAMIC_CONFIG file appended to the generated dynamic config
#   TEMPORAL_LOG_LEVEL            server log level (warn)
set -euo pipefail
log() { echo "cluster up: [+${SECONDS}s] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SERVER_VERSION=v1.29.1
DATA_DIR=${1:-${TZS_CLUSTER_DIR:-/tmp/tzs-temporal-cluster}}
BIN_DIR=${TEMPORAL_SERVER_BIN_DIR:-$HOME/.cache/togai-zuora-sync/temporal-server-$SERVER_VERSION}

FE=${TEMPORAL_FRONTEND_PORT:-7233}
FE_HTTP=${TEMPORAL_FRONTEND_HTTP_PORT:-$((FE + 10))}
HISTORY=${TEMPORAL_HISTORY_PORT:-$((FE + 1))}
MATCHING=${TEMPORAL_MATCHING_PORT:-$((FE + 2))}
WORKER=${TEMPORAL_WORKER_PORT:-$((FE + 6))}
FE_MEM=${TEMPORAL_FRONTEND_MEMBERSHIP_PORT:-$((FE - 300))}
HISTORY_MEM=${TEMPORAL_HISTORY_MEMBERSHIP_PORT:-$((HISTORY - 300))}
MATCHING_MEM=${TEMPORAL_MATCHING_MEMBERSHIP_PORT:-$((MATCHING - 300))}
WORKER_MEM=${TEMPORAL_WORKER_MEMBERSHIP_PORT:-$((WORKER - 300))}
METRICS_PORT=${TEMPORAL_METRICS_PORT:-}
DB=${TEMPORAL_DB:-temporal}
VIS_DB=${TEMPORAL_VISIBILITY_DB:-temporal_visibility}
DB_USER=${TEMPORAL_DB_USER:-temporal}
DB_PASSWORD=${TEMPORAL_DB_PASSWORD:-temporal}
NAMESPACE=${TEMPORAL_NAMESPACE:-default}
SHARDS=${TEMPORAL_NUM_HISTORY_SHARDS:-4}
READY_TIMEOUT=${TEMPORAL_READY_TIMEOUT:-60}
ADDRESS="127.0.0.1:$FE"

mkdir -p "$DATA_DIR/config" "$DATA_DIR/logs"
DATA_DIR=$(cd "$DATA_DIR" && pwd)
PID_FILE="$DATA_DIR/server.pid"

# ---------------------------------------------------------------------------------------------
# 1. Binaries: go install from the module proxy (go.temporal.io/server has no replace directives).
# ---------------------------------------------------------------------------------------------
SERVER_BIN="$BIN_DIR/temporal-server"
SQL_TOOL="$BIN_DIR/temporal-sql-tool"
if [[ ! -x "$SERVER_BIN" || ! -x "$SQL_TOOL" ]]; then
  command -v go >/dev/null || die "go is not installed"
  log "building temporal server $SERVER_VERSION into $BIN_DIR (cold: ~10 min on 2 cores)"
  mkdir -p "$BIN_DIR"
  # go install names binaries after the package dir (server, sql); rename to unambiguous names.
  GOBIN="$BIN_DIR" nice -n 10 go install \
    "go.temporal.io/server/cmd/server@$SERVER_VERSION" \
    "go.temporal.io/server/cmd/tools/sql@$SERVER_VERSION" >&2
  mv -f "$BIN_DIR/server" "$SERVER_BIN"
  mv -f "$BIN_DIR/sql" "$SQL_TOOL"
fi
# The schema files ship in the module source, not in the binaries: copy them next to the binaries
# once (from the Go module cache, where go install put the module) so later runs need no Go.
SCHEMA_DIR="$BIN_DIR/schema/postgresql/v12"
if [[ ! -d "$SCHEMA_DIR/temporal/versioned" || ! -d "$SCHEMA_DIR/visibility/versioned" ]]; then
  mod_dir=$(cd / && go mod download -json "go.temporal.io/server@$SERVER_VERSION" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
  [[ -d "$mod_dir/schema/postgresql/v12/temporal/versioned" ]] || die "schema not found in module dir '$mod_dir'"
  mkdir -p "$BIN_DIR/schema/postgresql"
  rm -rf "$SCHEMA_DIR" && cp -r "$mod_dir/schema/postgresql/v12" "$SCHEMA_DIR" && chmod -R u+w "$SCHEMA_DIR"
fi

# ---------------------------------------------------------------------------------------------
# 2. PostgreSQL (Debian's package; same approach as scripts/ensure-postgres.sh).
# ---------------------------------------------------------------------------------------------
if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  log "installing PostgreSQL from Debian's packages"
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
fi
pg_version=$(ls /usr/lib/postgresql | sort -n | tail -1)
if ! pg_lsclusters -h | grep -q "^$pg_version main"; then
  log "creating cluster $pg_version/main"
  pg_createcluster "$pg_version" main >&2
fi
if ! pg_lsclusters -h | grep -q "^$pg_version main .* online"; then
  log "starting cluster $pg_version/main"
  pg_ctlcluster "$pg_version" main start >&2
fi
PG_PORT=$(pg_lsclusters -h | awk -v v="$pg_version" '$1==v && $2=="main" {print $3}')
pg() { (cd / && su postgres -c "psql -p $PG_PORT -v ON_ERROR_STOP=1 -qtAc \"$1\""); }
pgdb() { (cd / && su postgres -c "psql -p $PG_PORT -d $1 -v ON_ERROR_STOP=1 -qtAc \"$2\""); }

pg "SELECT 1 FROM pg_roles WHERE rolname='$DB_USER'" | grep -q 1 ||
  pg "CREATE ROLE $DB_USER LOGIN PASSWORD '$DB_PASSWORD'" >&2
for db in "$DB" "$VIS_DB"; do
  if ! pg "SELECT 1 FROM pg_database WHERE datname='$db'" | grep -q 1; then
    log "creating database $db"
    (cd / && su postgres -c "createdb -p $PG_PORT -O $DB_USER $db") >&2
  fi
done

# Schemas: setup-schema -v 0.0 (creates schema_version tables) once, then update-schema to the
# latest versioned dir (a no-op when already current), as Temporal's auto-setup.sh does.
sql_tool() {
  "$SQL_TOOL" --plugin postgres12 --ep 127.0.0.1 -p "$PG_PORT" -u "$DB_USER" --pw "$DB_PASSWORD" "$@"
}
for pair in "$DB:temporal" "$VIS_DB:visibility"; do
  db=${pair%%:*} dir=$SCHEMA_DIR/${pair#*:}/versioned
  if [[ $(pgdb "$db" "SELECT to_regclass('public.schema_version') IS NOT NULL") != t ]]; then
    log "setup-schema $db"
    sql_tool --db "$db" setup-schema -v 0.0 >"$DATA_DIR/logs/schema-$db.log" 2>&1 ||
      { cat "$DATA_DIR/logs/schema-$db.log" >&2; die "setup-schema $db failed"; }
  fi
  sql_tool --db "$db" update-schema -d "$dir" >>"$DATA_DIR/logs/schema-$db.log" 2>&1 ||
    { cat "$DATA_DIR/logs/schema-$db.log" >&2; die "update-schema $db failed"; }
done
log "schema versions: $DB=$(pgdb "$DB" "SELECT curr_version FROM schema_version") $VIS_DB=$(pgdb "$VIS_DB" "SELECT curr_version FROM schema_version")"

# ---------------------------------------------------------------------------------------------
# 3. Config (based on config/development-postgres12.yaml + config/docker.yaml of the module).
# ---------------------------------------------------------------------------------------------
metrics_block=""
if [[ -n "$METRICS_PORT" ]]; then
  metrics_block="  metrics:
    prometheus:
      framework: \"tally\"
      timerType: \"histogram\"
      listenAddress: \"127.0.0.1:$METRICS_PORT\""
fi
datastore() { # name db maxConns
  cat <<EOF
    $1:
      sql:
        pluginName: "postgres12"
        databaseName: "$2"
        connectAddr: "127.0.0.1:$PG_PORT"
        connectProtocol: "tcp"
        user: "$DB_USER"
        password: "$DB_PASSWORD"
        maxConns: $3
        maxIdleConns: $3
        maxConnLifetime: "1h"
EOF
}
cat >"$DATA_DIR/config/cluster.yaml" <<EOF
# Generated by scripts/cluster/up.sh; edits are overwritten on the next run.
log:
  stdout: true
  level: "${TEMPORAL_LOG_LEVEL:-warn}"

persistence:
  defaultStore: postgres-default
  visibilityStore: postgres-visibility
  numHistoryShards: $SHARDS
  datastores:
$(datastore postgres-default "$DB" 20)
$(datastore postgres-visibility "$VIS_DB" 10)

global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: "127.0.0.1"
  pprof:
    port: 0
$metrics_block

services:
  frontend:
    rpc:
      grpcPort: $FE
      membershipPort: $FE_MEM
      bindOnIP: "127.0.0.1"
      httpPort: $FE_HTTP
  history:
    rpc:
      grpcPort: $HISTORY
      membershipPort: $HISTORY_MEM
      bindOnIP: "127.0.0.1"
  matching:
    rpc:
      grpcPort: $MATCHING
      membershipPort: $MATCHING_MEM
      bindOnIP: "127.0.0.1"
  worker:
    rpc:
      grpcPort: $WORKER
      membershipPort: $WORKER_MEM
      bindOnIP: "127.0.0.1"

clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: "active"
  currentClusterName: "active"
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: "frontend"
      rpcAddress: "127.0.0.1:$FE"
      httpAddress: "127.0.0.1:$FE_HTTP"

dcRedirectionPolicy:
  policy: "noop"

archival:
  history:
    state: "disabled"
  visibility:
    state: "disabled"

namespaceDefaults:
  archival:
    history:
      state: "disabled"
    visibility:
      state: "disabled"

dynamicConfigClient:
  filepath: "$DATA_DIR/config/dynamicconfig.yaml"
  pollInterval: "10s"
EOF
cat >"$DATA_DIR/config/dynamicconfig.yaml" <<EOF
# Generated by scripts/cluster/up.sh. Same keys as the project's temporal-config/development-sql.yaml.
# forceSearchAttributesCacheRefreshOnRead: new search attributes are usable at once (test setting).
system.forceSearchAttributesCacheRefreshOnRead:
  - value: ${TEMPORAL_FORCE_SA_REFRESH:-true}
    constraints: {}
frontend.namespaceRPS:
  - value: 2400
    constraints: {}
limit.maxIDLength:
  - value: 255
    constraints: {}
frontend.enableExecuteMultiOperation:
  - value: true
EOF
if [[ -n "${TEMPORAL_EXTRA_DYNAMIC_CONFIG:-}" ]]; then
  cat "$TEMPORAL_EXTRA_DYNAMIC_CONFIG" >>"$DATA_DIR/config/dynamicconfig.yaml"
fi

# ---------------------------------------------------------------------------------------------
# 4. Server process.
# ---------------------------------------------------------------------------------------------
frontend_up() { curl -sf -o /dev/null --max-time 2 "http://127.0.0.1:$FE_HTTP/api/v1/system-info"; }
alive() { [[ -r /proc/$1/stat ]] && [[ $(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) != Z ]]; }
running_pid() {
  [[ -f "$PID_FILE" ]] || return 1
  local pid; pid=$(cat "$PID_FILE")
  [[ -n "$pid" ]] && alive "$pid" && grep -q temporal-server "/proc/$pid/cmdline" 2>/dev/null && echo "$pid"
}
if pid=$(running_pid); then
  log "server already running (pid $pid)"
else
  if frontend_up; then die "something else already answers on 127.0.0.1:$FE_HTTP"; fi
  log "starting server (logs: $DATA_DIR/logs/server.log)"
  # setsid: own process group/session, so it survives the caller's shell and can be killed alone.
  (cd "$DATA_DIR" && exec setsid "$SERVER_BIN" --root "$DATA_DIR" --config config --env cluster \
    --allow-no-auth start >>"$DATA_DIR/logs/server.log" 2>&1 </dev/null) &
  echo $! >"$PID_FILE"
fi
pid=$(cat "$PID_FILE")
deadline=$((SECONDS + READY_TIMEOUT))
until frontend_up; do
  if ! alive "$pid"; then tail -30 "$DATA_DIR/logs/server.log" >&2; die "server exited"; fi
  ((SECONDS < deadline)) || { tail -30 "$DATA_DIR/logs/server.log" >&2; die "frontend not up after ${READY_TIMEOUT}s"; }
  sleep 0.3
done
log "frontend answers on $ADDRESS (http $FE_HTTP)"

# ---------------------------------------------------------------------------------------------
# 5. Namespace + the project's search attributes (src/shared/search-attributes.ts).
# ---------------------------------------------------------------------------------------------
[[ -f "$ROOT/dist/src/devtools/cluster-namespace.js" ]] || die "run npm run build first"
node "$ROOT/dist/src/devtools/cluster-namespace.js" "$ADDRESS" "$NAMESPACE" >&2

rss_kb=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
log "ready: $ADDRESS namespace=$NAMESPACE pid=$pid rss=$((rss_kb / 1024))MiB data=$DATA_DIR"
echo "$ADDRESS"
