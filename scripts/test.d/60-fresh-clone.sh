#!/usr/bin/env bash
# Fresh clone: the README's first command, exactly as the README writes it
# (read from the "The two commands" block, not copied here), run in a new
# clone of this repository. It must exit 0 and print the demo's table, one
# row per example. The clone shares this checkout's cargo target directory
# (CARGO_TARGET_DIR), so only our own two crates are compiled again.
# It clones HEAD: uncommitted changes are not part of what it checks.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
fail() { echo "FAIL: $*" >&2; exit 1; }

command=$(node -e '
const text = require("node:fs").readFileSync("README.md", "utf8")
const section = text.split(/^## /m).find((s) => s.startsWith("The two commands"))
const block = section && /```sh\n([\s\S]*?)```/.exec(section)
if (!block) { console.error("README.md: no ```sh block under \"## The two commands\""); process.exit(1) }
console.log(block[1].split("\n")[0].replace(/\s+#.*$/, "").trim())')
echo "README's first command: $command"

T=$(mktemp -d "${TMPDIR:-/tmp}/alyx-clone.XXXXXX")
trap 'rm -rf "$T"' EXIT
git clone --quiet "$ROOT" "$T/repo"
if [ -n "$(git status --porcelain --untracked-files=no)" ]; then
  echo "note: the clone holds HEAD ($(git rev-parse --short HEAD)); uncommitted changes are not in it"
fi

# A user's PATH: without this checkout's node_modules/.bin (test.sh adds it).
user_path=$(printf '%s' "$PATH" | tr ':' '\n' | grep -vxF "$ROOT/node_modules/.bin" | paste -sd: -)
started=$(date +%s)
status=0
(
  cd "$T/repo"
  PATH="$user_path" CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}" \
    npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false \
    bash -c "$command"
) >"$T/output" 2>&1 || status=$?
echo "exit $status after $(($(date +%s) - started)) s; the demo's output:"
sed -n '/^function  /,$p' "$T/output" | sed 's/^/  /'
if [ "$status" -ne 0 ]; then
  tail -40 "$T/output" >&2
  fail "\`$command\` in a fresh clone exited $status"
fi

grep -Eq '^function +runtime +outcome +time ms$' "$T/output" || fail "no demo table in the output"
for dir in examples/functions/*/; do
  name=$(basename "$dir")
  grep -Eq "^$name +[a-z]+ +" "$T/output" || fail "the demo table has no row for $name"
done
grep -Eq 'examples behaved as expected' "$T/output" || fail "the demo did not end with its summary line"
echo "fresh-clone: OK"
