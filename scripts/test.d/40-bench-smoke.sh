#!/usr/bin/env bash
# Bench smoke: `node bench/run.mjs --smoke` (and bench/http.mjs --smoke) — tiny N, C and Node echo only,
# no ballast, 1 MiB payload — must run end to end and report sane numbers
# (finite, p50 ≤ p99, no failed invocation). Never a timing threshold:
# performance claims live in BENCHMARKS.md, not in tests.
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v cc >/dev/null || { echo "bench smoke needs a C compiler (cc)" >&2; exit 1; }
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
node bench/run.mjs --smoke --out "$out/BENCHMARKS.md"
grep -q '^## Targets' "$out/BENCHMARKS.md"
grep -q '^## Invocations' "$out/BENCHMARKS.md"

# The HTTP bench (bench/http.mjs): createNodeHandler vs bare rt.invoke on a
# Go echo route, tiny N; it must run end to end without a failed request.
node bench/http.mjs --smoke >"$out/http.md"
grep -q '^| http (createNodeHandler) |' "$out/http.md"
