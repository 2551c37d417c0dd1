#!/bin/sh
# The "compiler" of this example: stamps build facts into the source and
# writes dist/index.mjs. The runtime runs it (cwd = this directory) before an
# invocation whenever dist/index.mjs is missing or older than src/ or this file.
set -eu
mkdir -p dist
built_at=$(date -u +%Y-%m-%dT%H:%M:%SZ)
lines=$(wc -l < src/index.mjs | tr -d ' ')
sed -e "s/__BUILT_AT__/$built_at/" -e "s/__SOURCE_LINES__/$lines/" src/index.mjs > dist/index.mjs.tmp
mv dist/index.mjs.tmp dist/index.mjs
echo "built dist/index.mjs at $built_at"
