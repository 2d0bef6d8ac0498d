#!/usr/bin/env bash
# Builds the committed WebAssembly modules of @x/kernels-wasm from csrc/.
#
#   bash scripts/build-wasm.sh [OUT_DIR]      (default: wasm/)
#
# Sources: every csrc/common/*.c, plus every file listed in csrc/<family>/<family>.list. A list line
# is "<file> [isa]": isa "simd" (the default) goes into every build, "relaxed" only into the
# relaxed-SIMD build; "<file>" may omit its ".c". Lines starting with '#' are comments. Adding a family = adding a folder with a .list: no edit here.
#
# Outputs (one module per ISA, plus a shared-memory twin of each for worker threads):
#   x-kernels-simd.wasm        SIMD128                       (default everywhere)
#   x-kernels-relaxed.wasm     SIMD128 + relaxed SIMD        (picked when WebAssembly.validate says yes)
#   x-kernels-simd-mt.wasm     SIMD128, imported shared memory, atomics (threads)
#   x-kernels-relaxed-mt.wasm  relaxed SIMD, shared memory
#   manifest.json              sha256 of each module, compiler version, source hash
# The compiler is pinned (Debian clang-16 16.0.6 + lld-16); builds are byte-for-byte reproducible.
set -euo pipefail

PKG_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT_DIR="${1:-$PKG_DIR/wasm}"
CLANG="${CLANG:-clang-16}"
PINNED_VERSION="16.0.6"

if ! command -v "$CLANG" >/dev/null 2>&1; then
  echo "build-wasm: $CLANG not found (apt-get install -y clang-16 lld-16)" >&2
  exit 3
fi
COMPILER="$("$CLANG" --version | head -n 1)"
if [[ "$COMPILER" != *"$PINNED_VERSION"* && "${XK_ALLOW_OTHER_CLANG:-0}" != "1" ]]; then
  echo "build-wasm: expected clang $PINNED_VERSION, got: $COMPILER (set XK_ALLOW_OTHER_CLANG=1 to override)" >&2
  exit 3
fi

cd "$PKG_DIR"
mkdir -p "$OUT_DIR"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# Collect sources: "<path> <isa>" lines, sorted for a stable link order.
: >"$WORK/sources"
for file in csrc/common/*.c; do echo "$file simd" >>"$WORK/sources"; done
for list in csrc/*/*.list; do
  dir="$(dirname "$list")"
  while read -r name isa _rest; do
    [[ -z "${name:-}" || "$name" == \#* ]] && continue
    isa="${isa:-simd}"
    [[ ! -f "$dir/$name" && -f "$dir/$name.c" ]] && name="$name.c"
    case "$isa" in simd | relaxed) ;; *)
      echo "build-wasm: $list: unknown isa '$isa' for $name (expected simd or relaxed)" >&2
      exit 2
      ;;
    esac
    [[ -f "$dir/$name" ]] || { echo "build-wasm: $list names missing file $name" >&2; exit 2; }
    echo "$dir/$name $isa" >>"$WORK/sources"
  done <"$list"
done
LC_ALL=C sort -o "$WORK/sources" "$WORK/sources"

CFLAGS=(--target=wasm32 -O3 -std=c11 -msimd128 -mbulk-memory -mnontrapping-fptoint -msign-ext
  -ffreestanding -nostdlib -fno-exceptions -Wall -Wextra -Werror -Wno-unused-parameter)
LDFLAGS=(-fuse-ld=lld -Wl,--no-entry -Wl,--import-memory -Wl,--stack-first -Wl,-z,stack-size=65536
  -Wl,--initial-memory=1048576 -Wl,--max-memory=2147483648 -Wl,--export=__heap_base
  -Wl,--export=__stack_pointer -Wl,--strip-all)

build() { # build <isa: simd|relaxed> <threads: 0|1> <output>
  local isa="$1" threads="$2" out="$3" flags=("${CFLAGS[@]}") link=("${LDFLAGS[@]}") objs=()
  [[ "$isa" == relaxed ]] && flags+=(-mrelaxed-simd)
  if [[ "$threads" == 1 ]]; then
    flags+=(-matomics)
    link+=(-Wl,--shared-memory)
  fi
  local objdir="$WORK/$isa-$threads"
  mkdir -p "$objdir"
  while read -r path file_isa; do
    [[ "$file_isa" == relaxed && "$isa" != relaxed ]] && continue
    local obj="$objdir/$(echo "$path" | tr '/' '_').o"
    "$CLANG" "${flags[@]}" -c "$path" -o "$obj"
    objs+=("$obj")
  done <"$WORK/sources"
  "$CLANG" "${flags[@]}" "${link[@]}" -o "$out" "${objs[@]}"
}

build simd 0 "$OUT_DIR/x-kernels-simd.wasm"
build relaxed 0 "$OUT_DIR/x-kernels-relaxed.wasm"
build simd 1 "$OUT_DIR/x-kernels-simd-mt.wasm"
build relaxed 1 "$OUT_DIR/x-kernels-relaxed-mt.wasm"

# Source hash: sha256 over (path, sha256) of every input, including this script.
SOURCE_HASH="$( (find csrc -type f | LC_ALL=C sort; echo scripts/build-wasm.sh) | while read -r f; do
  printf '%s %s\n' "$f" "$(sha256sum "$f" | cut -d' ' -f1)"
done | sha256sum | cut -d' ' -f1)"

{
  echo "{"
  echo "  \"compiler\": \"$COMPILER\","
  echo "  \"sourceHash\": \"$SOURCE_HASH\","
  echo "  \"modules\": {"
  first=1
  for name in x-kernels-simd x-kernels-relaxed x-kernels-simd-mt x-kernels-relaxed-mt; do
    [[ $first == 1 ]] || echo ","
    first=0
    sha="$(sha256sum "$OUT_DIR/$name.wasm" | cut -d' ' -f1)"
    size="$(wc -c <"$OUT_DIR/$name.wasm" | tr -d ' ')"
    printf '    "%s.wasm": {\n      "sha256": "%s",\n      "bytes": %s\n    }' "$name" "$sha" "$size"
  done
  echo ""
  echo "  }"
  echo "}"
} >"$OUT_DIR/manifest.json"
echo "build-wasm: wrote $(ls "$OUT_DIR" | tr '\n' ' ')"
