#!/usr/bin/env bash
# The whole test suite (`npm test`; CI runs the same): the Rust core with
# plain cargo, one release build of the addon, the JS tests under Node, then
# every extra suite in scripts/test.d/ (hosts, packaging, types, bench smoke)
# in name order.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "cargo fmt --check, clippy -D warnings"
cargo fmt --all --check
cargo clippy --workspace --all-targets --quiet -- -D warnings

step "cargo test (core, no Node)"
cargo test --workspace --quiet

step "build the release addon"
npm run --silent build

step "node --test __test__/"
node --test --test-concurrency=1 __test__/

for suite in scripts/test.d/*.sh; do
  [ -e "$suite" ] || continue
  step "$suite"
  bash "$suite"
done
