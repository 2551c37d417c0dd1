#!/usr/bin/env bash
# The whole test suite (`npm test`; CI runs the same): the Rust core with
# plain cargo, one release build of the addon, the JS tests under Node, then
# every extra suite in scripts/test.d/ (hosts, packaging, types, bench smoke)
# in name order.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "biome ci: JS lint and format (biome.json)"
biome ci --error-on-warnings .

step "cargo fmt --check, clippy -D warnings"
cargo fmt --all --check
cargo clippy --workspace --all-targets --quiet -- -D warnings

# Runner output, kept for the closing line.
log=$(mktemp)
trap 'rm -f "$log"' EXIT

step "cargo test (core, no Node)"
cargo test --workspace --quiet 2>&1 | tee -a "$log"

step "build the release addon"
npm run --silent build

step "node --test __test__/"
node --test --test-concurrency=1 __test__/ 2>&1 | tee -a "$log"

for suite in scripts/test.d/*.sh; do
  [ -e "$suite" ] || continue
  step "$suite"
  bash "$suite"
done

# The closing line CI reads: cargo's and node's own counts, added up.
awk '/test result: ok\./ { p += $4 } /^# pass / { p += $3 } /^# fail / { f += $3 }
     END { printf "\ncargo + node: %d passed, %d failed\n", p, f }' "$log"
