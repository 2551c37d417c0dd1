#!/usr/bin/env bash
# Pack-and-install: what `npm install @alyx/runtime` gives a user, without a
# registry. Packs the root (through its real `npm pack`, prepack check
# included) and the linux-x64-gnu platform package (with the built .node
# copied into a temp copy of npm/linux-x64-gnu), installs both tarballs into a
# fresh project, and invokes a function through require("@alyx/runtime") —
# then through the import forms the README documents for Node, Deno and Bun.
#
# The root tarball is staged with optionalDependencies added (as
# `napi pre-publish` does at release): npm then finds
# @alyx/runtime-linux-x64-gnu in the given tarball and skips the other six
# platforms (not on this OS/CPU, or not on the registry).
#
# Needs a release build (scripts/test.sh runs `npm run build` first).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
export PATH="$ROOT/node_modules/.bin:$PATH"
export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false

PLATFORM=linux-x64-gnu
NODE_FILE=alyx-runtime.$PLATFORM.node
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) ;;
  *) echo "SKIP: pack-and-install runs on linux x64 only (it packs the $PLATFORM package)"; exit 0 ;;
esac

fail() { echo "FAIL: $*" >&2; exit 1; }
[ -f "$NODE_FILE" ] || fail "$NODE_FILE missing: run npm run build first"
size=$(stat -c %s "$NODE_FILE")
# A release build is ~3.5 MB stripped; a debug one 30-75 MB. Never ship that.
[ "$size" -lt $((20 * 1024 * 1024)) ] || fail "$NODE_FILE is $size bytes: a debug build? run npm run build (release)"

T=$(mktemp -d "${TMPDIR:-/tmp}/alyx-pack.XXXXXX")
trap 'rm -rf "$T"' EXIT

echo "== npm pack (root)"
npm pack --silent --pack-destination "$T" >"$T/root-name"
root_tgz="$T/$(tail -1 "$T/root-name")"
tar -tzf "$root_tgz" | sort >"$T/root-files"
sed 's/^/  /' "$T/root-files"
if grep -E '\.node$|(^|/)target/|(^|/)node_modules/|__test__/' "$T/root-files"; then
  fail "the root tarball holds build output or tests (above)"
fi
for f in package/index.js package/index.d.ts package/lib/http.js package/binding.js package/binding.d.ts package/package.json; do
  grep -qx "$f" "$T/root-files" || fail "root tarball lacks $f"
done

echo "== stage the root as published (optionalDependencies)"
mkdir "$T/stage"
tar -xzf "$root_tgz" -C "$T/stage"
node scripts/optional-deps.js "$T/stage/package/package.json"
mkdir "$T/published"
(cd "$T/stage/package" && npm pack --silent --ignore-scripts --pack-destination "$T/published" >/dev/null)
root_tgz=$(ls "$T"/published/*.tgz)

echo "== npm pack (@alyx/runtime-$PLATFORM)"
cp -r "npm/$PLATFORM" "$T/platform"
cp "$NODE_FILE" "$T/platform/"
(cd "$T/platform" && npm pack --silent --pack-destination "$T" >"$T/platform-name")
platform_tgz="$T/$(tail -1 "$T/platform-name")"
tar -tzf "$platform_tgz" | sort | sed 's/^/  /'
tar -tzf "$platform_tgz" | grep -qx "package/$NODE_FILE" || fail "platform tarball lacks $NODE_FILE"
echo "  root $(stat -c %s "$root_tgz") bytes, platform $(stat -c %s "$platform_tgz") bytes (.node $size bytes)"

echo "== install both tarballs into a fresh project"
mkdir -p "$T/app/functions/hello"
cat >"$T/app/functions/hello/index.mjs" <<'JS'
let text = ''
for await (const chunk of process.stdin) text += chunk
const { input } = JSON.parse(text)
console.error('greeting ' + input.name)
console.log(JSON.stringify({ success: true, output: { message: `Hello, ${input.name}!` } }))
JS
cd "$T/app"
echo '{ "name": "alyx-pack-test", "version": "1.0.0", "private": true }' >package.json
npm install --silent "$root_tgz" "$platform_tgz"
[ -f node_modules/@alyx/runtime/index.js ] || fail "@alyx/runtime was not installed"
[ -f "node_modules/@alyx/runtime-$PLATFORM/$NODE_FILE" ] || fail "@alyx/runtime-$PLATFORM was not installed"
if find node_modules/@alyx/runtime -name '*.node' | grep .; then fail "a .node file in the installed root package"; fi

echo "== node: require('@alyx/runtime')"
node - <<'JS'
const assert = require('node:assert/strict')
const { FunctionRuntime, CODES } = require('@alyx/runtime')
// The binary must come from the platform package: the root has none.
assert.match(require.resolve('@alyx/runtime-linux-x64-gnu'), /node_modules\/@alyx\/runtime-linux-x64-gnu\//)
;(async () => {
  const rt = new FunctionRuntime({ functionsDir: './functions' })
  const logs = []
  const res = await rt.invoke('hello', { name: 'Packed' }, { onLog: (e) => logs.push(e.message) })
  assert.equal(res.success, true, JSON.stringify(res))
  assert.deepEqual(res.output, { message: 'Hello, Packed!' })
  assert.ok(logs.includes('greeting Packed'), JSON.stringify(logs))
  assert.equal((await rt.invoke('missing')).error.code, CODES.FUNCTION_NOT_FOUND)
  assert.deepEqual(rt.list().map((f) => f.name), ['hello'])
  await rt.close()
  console.log('  require: ok', JSON.stringify(res.output))
})().catch((e) => { console.error(e); process.exit(1) })
JS

cat >esm.mjs <<'JS'
import { FunctionRuntime } from '@alyx/runtime'
const rt = new FunctionRuntime({ functionsDir: './functions' })
const res = await rt.invoke('hello', { name: 'ESM' })
await rt.close()
if (res.output?.message !== 'Hello, ESM!') { console.error(JSON.stringify(res)); process.exit(1) }
console.log('  ok', res.output.message)
JS
echo "== node: import { FunctionRuntime } from '@alyx/runtime'"
node esm.mjs

# The README's forms for Deno and Bun, against the installed package.
cat >deno-bare.ts <<'JS'
import { FunctionRuntime } from '@alyx/runtime'
const rt = new FunctionRuntime({ functionsDir: './functions' })
const res = await rt.invoke('hello', { name: 'Deno' })
await rt.close()
if (!res.success || (res.output as { message: string }).message !== 'Hello, Deno!') throw new Error(JSON.stringify(res))
console.log('  ok', JSON.stringify(res.output))
JS
sed "s#from '@alyx/runtime'#from 'npm:@alyx/runtime'#" deno-bare.ts >deno-npm.ts
cat >deno-require.ts <<'JS'
import { createRequire } from 'node:module'
const require = createRequire(import.meta.url)
const { FunctionRuntime } = require('@alyx/runtime')
const rt = new FunctionRuntime({ functionsDir: './functions' })
const res = await rt.invoke('hello', { name: 'Deno' })
await rt.close()
if (!res.success) throw new Error(JSON.stringify(res))
console.log('  ok', JSON.stringify(res.output))
JS
cat >bun-require.cjs <<'JS'
const { FunctionRuntime } = require('@alyx/runtime')
const rt = new FunctionRuntime({ functionsDir: './functions' })
rt.invoke('hello', { name: 'Bun' }).then(async (res) => {
  await rt.close()
  if (!res.success) throw new Error(JSON.stringify(res))
  console.log('  ok', JSON.stringify(res.output))
})
JS
missing() {
  [ "${CI:-}" = true ] && fail "$1 not found in node_modules/.bin (CI=true)"
  echo "SKIP: $1 not found"
}
if command -v deno >/dev/null; then
  for f in deno-bare.ts deno-npm.ts deno-require.ts; do
    echo "== deno run --allow-read --allow-env --allow-ffi $f"
    deno run --allow-read --allow-env --allow-ffi "$f"
  done
else
  missing deno
fi
if command -v bun >/dev/null; then
  echo "== bun esm.mjs"
  bun esm.mjs
  echo "== bun bun-require.cjs"
  bun bun-require.cjs
else
  missing bun
fi
# The SDKs straight from the installed package (docs/SDK.md), no copying:
# `@alyx/runtime/sdk` in Node, Deno and Bun functions; `import alyx` in
# Python (the runtime appends the bundled folder to PYTHONPATH); Go through
# the documented `go mod edit` one-liner, read from docs/SDK.md.
echo "== SDKs from the installed package"
sdk_fn='import { handler } from "@alyx/runtime/sdk";
handler((input) => ({ message: `Hello, ${input.name}!`, host: typeof Deno === "object" ? "deno" : typeof Bun === "object" ? "bun" : "node" }));'
mkdir -p functions/sdk-node functions/sdk-deno functions/sdk-bun functions/sdk-python functions/sdk-go
printf '%s\n' "$sdk_fn" >functions/sdk-node/index.mjs
printf '%s\n' "$sdk_fn" >functions/sdk-deno/index.ts
printf '%s\n' "$sdk_fn" >functions/sdk-bun/index.ts
touch functions/sdk-bun/bunfig.toml
printf 'import alyx\nalyx.handler(lambda input, ctx: {"message": "Hello, %%s!" %% input["name"], "sdk": alyx.__file__})\n' >functions/sdk-python/main.py
cat >functions/sdk-go/main.go <<'GO'
package main

import "github.com/alyx/runtime/sdk/go/alyx"

func main() {
	alyx.Handle(func(in struct{ Name string }, ctx *alyx.Context) (map[string]string, error) {
		return map[string]string{"message": "Hello, " + in.Name + "!"}, nil
	})
}
GO
go_line=$(grep -m1 '^go mod edit ' "$ROOT/docs/SDK.md") || fail "docs/SDK.md has no \`go mod edit\` line"
echo "  docs/SDK.md: $go_line"
command -v python3 >/dev/null || missing python3
if command -v go >/dev/null; then
  (cd functions/sdk-go && go mod init hello >/dev/null 2>&1 && eval "$go_line")
else
  missing go
fi
node - <<'JS'
const assert = require('node:assert/strict')
const { execFileSync } = require('node:child_process')
const { FunctionRuntime } = require('@alyx/runtime')
const has = (cmd) => { try { execFileSync('sh', ['-c', `command -v ${cmd}`]); return true } catch { return false } }
;(async () => {
  const rt = new FunctionRuntime({ functionsDir: './functions' })
  for (const [fn, cmd] of [['sdk-node', 'node'], ['sdk-deno', 'deno'], ['sdk-bun', 'bun'], ['sdk-python', 'python3'], ['sdk-go', 'go']]) {
    if (!has(cmd)) continue // reported as missing above (a failure under CI=true)
    const res = await rt.invoke(fn, { name: 'SDK' })
    assert.equal(res.success, true, `${fn}: ${JSON.stringify(res)}`)
    assert.equal(res.output.message, 'Hello, SDK!', fn)
    if (res.output.host) assert.equal(res.output.host, fn.slice(4))
    if (res.output.sdk) assert.match(res.output.sdk, /node_modules\/@alyx\/runtime\/sdk\/python\/alyx\.py$/)
    console.log(`  ${fn}: ok`)
  }
  await rt.close()
})().catch((e) => { console.error(e); process.exit(1) })
JS
# `prepare` (which builds the addon in a source checkout) is not run by npm
# for a tarball or registry install: the install above would have failed on
# its missing script otherwise.
echo "pack-install: OK"
