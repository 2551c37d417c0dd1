#!/usr/bin/env bash
# `npm run build:cross`: the Linux targets this machine cannot build natively
# (musl, arm64), cross-compiled with zig, then checked with scripts/check-elf.sh.
#
#   bash scripts/build-cross.sh                     # all three
#   bash scripts/build-cross.sh aarch64-unknown-linux-gnu   # just some
#
# Needs: rustup, python3 (for PyPI's ziglang + cargo-zigbuild, installed into
# target/cross/venv when not already on PATH), readelf (binutils).
#
# Output: target/cross/out/<triple>/alyx-runtime.<platform>.node. The root's
# linux-x64-gnu .node, binding.js and binding.d.ts are not touched, and a
# separate cargo target dir (target/cross/cargo) keeps these slow builds from
# holding the lock of the main target/ that `npm run build` uses.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export PATH="$ROOT/node_modules/.bin:$PATH"

TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(x86_64-unknown-linux-musl aarch64-unknown-linux-gnu aarch64-unknown-linux-musl)

CROSS=${ALYX_CROSS_DIR:-$ROOT/target/cross}
mkdir -p "$CROSS/bin"

# 1. Rust std for each target.
installed=$(rustup target list --installed)
for t in "${TARGETS[@]}"; do
  grep -qx "$t" <<<"$installed" || rustup target add "$t"
done

# 2. zig + cargo-zigbuild. PyPI's ziglang is a Python module, not a `zig` on
#    PATH, and `napi build -x` wants `zig` (and would otherwise try a slow
#    `cargo install cargo-zigbuild`), so: a venv if either is missing, and a
#    two-line shim.
PY=python3
if ! command -v cargo-zigbuild >/dev/null 2>&1 || ! python3 -c 'import ziglang' 2>/dev/null; then
  if [ ! -x "$CROSS/venv/bin/python" ]; then
    python3 -m venv "$CROSS/venv"
  fi
  if ! "$CROSS/venv/bin/python" -c 'import ziglang' 2>/dev/null || [ ! -x "$CROSS/venv/bin/cargo-zigbuild" ]; then
    "$CROSS/venv/bin/python" -m pip install --quiet --disable-pip-version-check ziglang cargo-zigbuild
  fi
  PY=$CROSS/venv/bin/python
  export PATH="$CROSS/venv/bin:$PATH"
fi
if ! command -v zig >/dev/null 2>&1; then
  printf '#!/bin/sh\nexec "%s" -m ziglang "$@"\n' "$PY" >"$CROSS/bin/zig"
  chmod +x "$CROSS/bin/zig"
  export PATH="$CROSS/bin:$PATH"
fi
echo "zig $(zig version), $(cargo-zigbuild --version)"

# 3. Build each target into its own output dir.
artifacts=()
for t in "${TARGETS[@]}"; do
  out="$CROSS/out/$t"
  rm -rf "$out" && mkdir -p "$out"
  echo "== napi build --release -x --target $t"
  # --no-js: the loader is target-independent and lives in the root's
  # binding.js; the .d.ts goes to the output dir, away from the root's.
  napi build --platform --release -x --target "$t" \
    --target-dir "$CROSS/cargo" --output-dir "$out" --no-js --dts binding.d.ts
  for f in "$out"/*.node; do artifacts+=("$f"); done
done

# 4. Each artifact is what its name says.
bash scripts/check-elf.sh "${artifacts[@]}"
