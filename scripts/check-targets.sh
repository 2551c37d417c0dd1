#!/usr/bin/env bash
# Type-checks the workspace for the targets this machine cannot link
# (TOOLCHAIN.md: Windows needs the MSVC CRT, macOS its SDK):
#
#   bash scripts/check-targets.sh            # x86_64 Windows and macOS
#   bash scripts/check-targets.sh aarch64-apple-darwin
#
# Needs `rustup target add <triple>` once. psm (under serde_stacker) assembles
# a file for the target in its build script; `cargo check` links nothing, so a
# stand-in compiler and archiver that only create their output files are
# enough. A separate target dir keeps the main target/ lock free.
set -euo pipefail
cd "$(dirname "$0")/.."
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(x86_64-pc-windows-msvc x86_64-apple-darwin)

tools=$(mktemp -d)
trap 'rm -rf "$tools"' EXIT
cat > "$tools/cc" <<'SH'
#!/bin/sh
out=
while [ $# -gt 0 ]; do case "$1" in -o) out="$2"; shift;; -Fo*) out="${1#-Fo}";; esac; shift; done
[ -n "$out" ] && : > "$out"
exit 0
SH
cat > "$tools/ar" <<'SH'
#!/bin/sh
for a in "$@"; do case "$a" in -out:*) : > "${a#-out:}"; exit 0;; *.a|*.lib) : > "$a"; exit 0;; esac; done
exit 0
SH
chmod +x "$tools/cc" "$tools/ar"

for target in "${TARGETS[@]}"; do
  var=${target//-/_}
  echo "== cargo check --target $target"
  env "CC_$var=$tools/cc" "AR_$var=$tools/ar" CARGO_TARGET_DIR=target/check-targets \
    cargo check --workspace --target "$target"
done
