#!/usr/bin/env bash
# The whole test suite: Rust core, release addon build, JS tests under Node,
# the host smoke suites under Deno and Bun, and the type check.
# `npm test` runs this; CI runs `npm test` too.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "cargo test (core, no Node)"
cargo test --workspace --quiet

step "build the release addon"
npm run --silent build

step "node --test"
node --test --test-concurrency=1 __test__/

if [ -d __test__/hosts ]; then
  for host in __test__/hosts/*.sh; do
    step "host: $host"
    bash "$host"
  done
fi
