#!/usr/bin/env bash
# Runs the suite (the README's `npm test`, or the command given) on one Node.js and ends with
#   suite on Node <major>: N passing[, M pending][, K failing] (node vX.Y.Z, S s)
# Exit code: the command's (non-zero when any test failed); 1 when the Node or better-sqlite3 is unusable.
#
# Usage: scripts/test-on-node.sh system [command …]     the machine's node, node_modules as installed
#        scripts/test-on-node.sh 24.22.3 [command …]    Node 24.22.3 from the npm registry (scripts/ensure-node.sh)
#   NODE_INTEGRITY=sha512-…  refuse a fetched Node whose registry integrity differs (see .ci/run)
#   SUITE_SUMMARY_FILE=path  also append the summary line there (.ci/run repeats them at the end)
#
# One node_modules serves every Node: better-sqlite3 is the only addon built against one Node's ABI
# (NODE_MODULE_VERSION 115 on Node 20, 127 on 22, 137 on 24); @temporalio/core-bridge and @swc/core
# are Node-API and load on any of them. For another Node, better-sqlite3 is built against THAT Node's
# headers (npm_config_nodedir; without it node-gyp takes ~/.npmrc's nodedir=/usr, the machine's Node 20,
# "succeeds", and the addon then fails with ERR_DLOPEN_FAILED), loaded once before the suite runs
# (fail fast), kept in the per-user cache for the next run, and the machine's build is put back at the
# end, even when the suite fails. The Temporal CLI and the Java test server are per-user caches of
# `npm test`'s set-up (prepare-tests) and are independent of Node: a second run reuses them.
set -euo pipefail
cd "$(dirname "$0")/.."
log() { echo "test-on-node: $*" >&2; }
die() {
  log "ERROR: $*"
  exit 1
}

target=${1:?usage: scripts/test-on-node.sh <system | x.y.z> [command …]}
shift
default_command=false
[ $# -gt 0 ] || { set -- npm test && default_command=true; }

cache=${TZS_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/togai-zuora-sync}
addon=node_modules/better-sqlite3/build/Release/better_sqlite3.node
# Opens a database, which is what fails when the addon was built for another ABI.
LOAD_CHECK='const D = require("better-sqlite3"); const db = new D(":memory:"); db.prepare("SELECT 1").get(); db.close();'
loads() { "$1" -e "$LOAD_CHECK" 2>"$2"; }
[ -f "$addon" ] || die "$addon is missing: run npm ci first"

if [ "$target" = system ]; then
  node_bin=$(command -v node) || die "no node on PATH"
else
  node_dir=$(scripts/ensure-node.sh "$target" "${NODE_INTEGRITY:-}")
  node_bin=$node_dir/bin/node
fi
node_version=$("$node_bin" --version)
major=${node_version#v}
major=${major%%.*}
abi=$("$node_bin" -p process.versions.modules)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if [ "$target" = system ]; then
  loads "$node_bin" "$work/load.err" || die "better-sqlite3 does not load on the machine's node $node_version \
(ABI $abi; left by a killed run on another Node?): run 'npm rebuild better-sqlite3'. $(tail -n 3 "$work/load.err")"
else
  # Put the machine's build back however this ends.
  system_node=$(command -v node) || die "no node on PATH (npm needs one)"
  cp "$addon" "$work/system.node"
  restore() {
    cp "$work/system.node" "$addon"
    if loads "$system_node" "$work/restore.err"; then
      log "better-sqlite3: the machine's build is back ($("$system_node" --version))"
    else
      log "ERROR: better-sqlite3 does not load on the machine's $("$system_node" --version) after switching back: run 'npm rebuild better-sqlite3'"
    fi
    rm -rf "$work"
  }
  trap restore EXIT

  bsv=$(node -p 'require("./node_modules/better-sqlite3/package.json").version')
  cached=$cache/better-sqlite3-$bsv-node-$node_version-$(uname -m)/better_sqlite3.node
  if [ -f "$cached" ] && cp "$cached" "$addon" && loads "$node_bin" "$work/load.err"; then
    log "better-sqlite3 $bsv for $node_version (ABI $abi): cached build $cached"
  else
    [ ! -f "$cached" ] || log "cached build $cached does not load; rebuilding"
    log "building better-sqlite3 $bsv against $node_version's headers ($node_dir/include/node); ~2-3 min on 2 cores"
    started=$SECONDS
    if ! PATH=$node_dir/bin:$PATH npm_config_nodedir=$node_dir npm_config_build_from_source=true \
      npm rebuild better-sqlite3 >"$work/rebuild.log" 2>&1; then
      tail -n 30 "$work/rebuild.log" >&2
      die "npm rebuild better-sqlite3 failed on $node_version (log above)"
    fi
    log "built in $((SECONDS - started)) s"
    if ! loads "$node_bin" "$work/load.err"; then
      tail -n 5 "$work/load.err" >&2
      die "better-sqlite3 built for $node_version does not load (ABI mismatch: expected NODE_MODULE_VERSION $abi; was npm_config_nodedir honoured?)"
    fi
    mkdir -p "$(dirname "$cached")"
    cp "$addon" "$cached.tmp-$$" && mv "$cached.tmp-$$" "$cached"
  fi
  export PATH=$node_dir/bin:$PATH
fi

echo "node --version: $(node --version)   (ABI $abi; $*)"
started=$SECONDS
set +e
"$@" 2>&1 | tee "$work/suite.log"
status=${PIPESTATUS[0]}
set -e
took=$((SECONDS - started))

# Mocha's summary lines ("  429 passing (10m)", "  1 pending", "  2 failing"); the last of each counts.
count() { { grep -E "^ +[0-9]+ $1( |$)" "$work/suite.log" || true; } | tail -n 1 | awk '{print $1}'; }
passing=$(count passing)
pending=$(count pending)
failing=$(count failing)
if [ "$status" -eq 0 ] && [ -z "$passing" ] && $default_command; then
  log "ERROR: npm test exited 0 but printed no mocha summary (\"N passing\"): did mocha run?"
  status=1
fi
# A command that is not a mocha run (a benchmark, a script) is reported by its exit code only.
if $default_command || [ -n "$passing$failing" ]; then
  summary="suite on Node $major: ${passing:-0} passing"
  [ -z "$pending" ] || summary+=", $pending pending"
  [ -z "$failing" ] || summary+=", $failing failing"
  [ "$status" -eq 0 ] || summary+=" — FAILED (exit $status)"
else
  summary="'$*' on Node $major: exit $status"
fi
summary+=" (node $node_version, $took s)"
echo "$summary"
[ -z "${SUITE_SUMMARY_FILE:-}" ] || echo "$summary" >>"$SUITE_SUMMARY_FILE"
exit "$status"
