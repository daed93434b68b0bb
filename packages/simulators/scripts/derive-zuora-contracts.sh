#!/usr/bin/env bash
# Derives contracts/zuora/zuora-sdk-derived.yaml (Zuora operations beyond the vendored subset) and
# contracts/zuora/zuora-sdk-constraints.yaml (limits of the subset's request bodies) from
# Zuora's official Python SDK, pinned in derive-zuora-contracts.py, in a throw-away virtualenv:
#   packages/simulators/scripts/derive-zuora-contracts.sh [extra args for the script]
# Needs python3 with venv and PyPI access. Never write a vendor schema by hand: change the
# script's DEFAULT_OPERATIONS and rerun.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
pkg="$(dirname "$here")"
venv="${ZUORA_SDK_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/togai-zuora-sync/zuora-sdk-3.21.0-venv}"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet 'zuora-sdk==3.21.0' pyyaml
fi
# The limits Zuora states for the subset's request bodies (lengths, item counts, character limits).
"$venv/bin/python" "$here/derive-zuora-constraints.py" \
  --subset "$pkg/contracts/zuora/zuora-openapi-subset.yaml" \
  -o "$pkg/contracts/zuora/zuora-sdk-constraints.yaml"
"$venv/bin/python" "$here/derive-zuora-contracts.py" \
  --schema-prefix Sdk \
  --subset "$pkg/contracts/zuora/zuora-openapi-subset.yaml" \
  -o "$pkg/contracts/zuora/zuora-sdk-derived.yaml" "$@"
