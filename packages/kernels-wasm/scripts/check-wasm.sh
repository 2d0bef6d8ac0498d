#!/usr/bin/env bash
# Rebuilds the wasm modules into a temp folder and fails if any byte differs from wasm/.
#   bash scripts/check-wasm.sh             fail when clang-16 is missing
#   bash scripts/check-wasm.sh --optional  skip with a note when clang-16 is missing, unless CI=true
set -euo pipefail
PKG_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CLANG="${CLANG:-clang-16}"
if ! command -v "$CLANG" >/dev/null 2>&1; then
  if [[ "${1:-}" == "--optional" && "${CI:-}" != "true" ]]; then
    echo "check-wasm: skipped ($CLANG not installed; CI=true makes this a failure)"
    exit 0
  fi
  echo "check-wasm: $CLANG is required (apt-get install -y clang-16 lld-16)" >&2
  exit 1
fi
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
bash "$PKG_DIR/scripts/build-wasm.sh" "$TMP" >/dev/null
status=0
for file in "$TMP"/*; do
  name="$(basename "$file")"
  if ! cmp -s "$file" "$PKG_DIR/wasm/$name"; then
    echo "check-wasm: wasm/$name differs from a fresh build: run 'pnpm --filter @x/kernels-wasm build:wasm' and commit" >&2
    status=1
  fi
done
for file in "$PKG_DIR"/wasm/*; do
  [[ -e "$TMP/$(basename "$file")" ]] || { echo "check-wasm: wasm/$(basename "$file") is not produced by the build" >&2; status=1; }
done
[[ $status == 0 ]] && echo "check-wasm: committed modules match a fresh build"
exit $status
