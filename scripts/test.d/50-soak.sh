#!/usr/bin/env bash
# Fault soak, short form: 1,000 invocations at concurrency 16 of the whole
# fault mix (crashes, signals, timeouts, garbage, floods, grandchildren,
# unread stdin, aborts), then the leak checks — codes, zombies, surviving
# descendants, fds, pending promises, RSS. `npm run soak` runs the full
# 10,000. Linux only: the checks read /proc.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ "$(uname -s)" != Linux ]; then
  echo "soak: skipped (reads /proc; Linux only)"
  exit 0
fi
node scripts/soak.mjs --n 1000 --concurrency 16
