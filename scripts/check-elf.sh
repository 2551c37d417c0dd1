#!/usr/bin/env bash
# Checks that each napi artifact is what its file name says, with readelf:
#   ELF class   ELF64 (all our Linux targets are 64-bit)
#   machine     linux-x64-*  → Advanced Micro Devices X86-64
#               linux-arm64-* → AArch64
#   a shared object (Type: DYN) with no program interpreter (it is dlopen'ed)
#   NEEDED      *-gnu  → glibc's libc.so.6, and no musl libc
#               *-musl → musl's libc.so (no libc.so.6, no ld-linux, nothing
#                        versioned GLIBC_*)
# Usage: scripts/check-elf.sh FILE.linux-<arch>-<libc>.node...
set -euo pipefail
[ $# -gt 0 ] || { echo "usage: $0 FILE.node..." >&2; exit 2; }

fail=0
bad() { echo "  FAIL: $*"; fail=1; }

for f in "$@"; do
  base=$(basename "$f")
  echo "$base ($(stat -c %s "$f") bytes)"
  [ -f "$f" ] || { bad "missing"; continue; }
  case "$base" in
    *.linux-x64-gnu.node)    machine='X86-64'  libc=gnu ;;
    *.linux-x64-musl.node)   machine='X86-64'  libc=musl ;;
    *.linux-arm64-gnu.node)  machine='AArch64' libc=gnu ;;
    *.linux-arm64-musl.node) machine='AArch64' libc=musl ;;
    *) bad "cannot tell the platform from the name"; continue ;;
  esac
  hdr=$(readelf -h "$f")
  dyn=$(readelf -d "$f")
  prog=$(readelf -l -W "$f")
  class=$(awk -F: '/^ *Class:/ {gsub(/^ +/, "", $2); print $2}' <<<"$hdr")
  mach=$(awk -F: '/^ *Machine:/ {gsub(/^ +/, "", $2); print $2}' <<<"$hdr")
  type=$(awk -F: '/^ *Type:/ {gsub(/^ +/, "", $2); print $2}' <<<"$hdr")
  needed=$(sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' <<<"$dyn" | tr '\n' ' ')
  interp=$(sed -n 's/.*Requesting program interpreter: \(.*\)\]/\1/p' <<<"$prog")
  echo "  class=$class machine=$mach type=${type%% *} interp=${interp:-none}"
  echo "  needed: $needed"
  [ "$class" = ELF64 ] || bad "class $class, want ELF64"
  [[ "$mach" == *"$machine"* ]] || bad "machine '$mach', want $machine"
  [[ "$type" == DYN* ]] || bad "type '$type', want DYN (shared object)"
  [ -z "$interp" ] || bad "has a program interpreter ($interp); a .node is a shared library"
  case $libc in
    gnu)
      grep -qw 'libc.so.6' <<<"$needed" || bad "gnu artifact does not need glibc's libc.so.6"
      grep -q 'musl' <<<"$needed" && bad "gnu artifact needs musl"
      # Weak references (std probes gettid, statx, … at run time) do not count.
      echo "  oldest glibc it loads on: $(readelf -W --dyn-syms "$f" | awk '$5 != "WEAK" && $7 == "UND"' | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -1)"
      ;;
    musl)
      grep -q 'libc.so.6\|ld-linux' <<<"$needed" && bad "musl artifact needs glibc ($needed)"
      grep -qw 'libc.so' <<<"$needed" || bad "musl artifact does not need musl's libc.so"
      if readelf -V -W "$f" | grep -q 'GLIBC_'; then bad "musl artifact has GLIBC_ symbol versions"; fi
      ;;
  esac
done

if [ $fail -ne 0 ]; then echo "check-elf: FAILED"; exit 1; fi
echo "check-elf: all $# artifacts OK"
