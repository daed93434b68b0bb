#!/usr/bin/env bash
# Installs (Debian's package) and starts a local PostgreSQL for the connection store's PostgreSQL
# tests, and prints the URL to export as TEST_DATABASE_URL. Needs root (CI runs as root).
# Usage: export TEST_DATABASE_URL="$(scripts/ensure-postgres.sh)"
set -euo pipefail
log() { echo "ensure-postgres: $*" >&2; }

if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  log "installing PostgreSQL from Debian's packages"
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
fi

version=$(ls /usr/lib/postgresql | sort -n | tail -1)
if ! pg_lsclusters -h | grep -q "^$version main"; then
  log "creating cluster $version/main"
  pg_createcluster "$version" main >&2
fi
if ! pg_lsclusters -h | grep -q "^$version main .* online"; then
  log "starting cluster $version/main"
  pg_ctlcluster "$version" main start >&2
fi
port=$(pg_lsclusters -h | awk -v v="$version" '$1==v && $2=="main" {print $3}')

su postgres -c "psql -p $port -qtAc \"SELECT 1 FROM pg_roles WHERE rolname='tzs'\"" | grep -q 1 ||
  su postgres -c "psql -p $port -qc \"CREATE ROLE tzs LOGIN PASSWORD 'tzs'\"" >&2
su postgres -c "psql -p $port -qtAc \"SELECT 1 FROM pg_database WHERE datname='tzs_test'\"" | grep -q 1 ||
  su postgres -c "createdb -p $port -O tzs tzs_test" >&2

echo "postgres://tzs:tzs@127.0.0.1:$port/tzs_test"
