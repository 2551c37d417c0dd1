#!/usr/bin/env bash
# Hosts: the smoke suite in __test__/hosts/ (invoke, timeout, onLog,
# watch/close, the ESM import form) and createFetchHandler under each host's
# own server (http.ts) under Deno and under Bun, both from
# node_modules/.bin (devDependencies). A missing host is skipped locally and
# fails with CI=true.
#
# Deno's permissions, and why each is needed:
#   --allow-read   load index.js, binding.js and the .node file
#   --allow-env    the loader and index.js read process.env
#   --allow-ffi    load the native addon (without it, Deno's error blames
#                  npm optional dependencies instead)
#   --allow-write=$ALYX_SMOKE_DIR   only for the test: it writes its function
#                  fixtures there. Users of the package do not need it.
#   --allow-net=127.0.0.1   only for http.deno.ts: Deno.serve on an ephemeral port
# No --allow-run: functions are spawned by the native core, not by Deno.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$PWD/node_modules/.bin:$PATH"

smoke_dir=$(mktemp -d "${TMPDIR:-/tmp}/alyx-hosts.XXXXXX")
trap 'rm -rf "$smoke_dir"' EXIT
# Deno and Bun are native Windows programs: give them a Windows path there.
case "$(uname -s)" in
  MINGW* | MSYS* | CYGWIN*) ALYX_SMOKE_DIR=$(cygpath -w "$smoke_dir") ;;
  *) ALYX_SMOKE_DIR=$smoke_dir ;;
esac
export ALYX_SMOKE_DIR

missing() {
  if [ "${CI:-}" = true ]; then
    echo "FAIL: $1 not found in node_modules/.bin (run npm ci); CI=true makes this a failure" >&2
    exit 1
  fi
  echo "SKIP: $1 not found in node_modules/.bin (run npm ci)"
}

ran=0
if [ -x node_modules/.bin/deno ]; then
  echo "== $(deno --version | head -1)"
  deno test --allow-read --allow-env --allow-ffi --allow-write="$ALYX_SMOKE_DIR" __test__/hosts/smoke.deno.ts
  deno test --allow-read --allow-env --allow-ffi --allow-net=127.0.0.1 --allow-write="$ALYX_SMOKE_DIR" __test__/hosts/http.deno.ts
  ran=$((ran + 1))
else
  missing deno
fi

if [ -x node_modules/.bin/bun ]; then
  echo "== bun $(bun --version)"
  bun test ./__test__/hosts/smoke.bun.ts ./__test__/hosts/http.bun.ts
  ran=$((ran + 1))
else
  missing bun
fi
echo "hosts: $ran of 2 hosts passed the smoke suite"
