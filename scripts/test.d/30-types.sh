#!/usr/bin/env bash
# Types: __test__/types/usage.ts (CommonJS consumer) and usage-esm.mts (ESM
# consumer) use every export of the hand-written index.d.ts; they must compile
# with `tsc --strict --noEmit`, and their @ts-expect-error lines prove misuse
# is rejected. Then the declared value exports and CODES are compared with
# what index.js really exports, so the .d.ts cannot drift from the code.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$PWD/node_modules/.bin:$PATH"

command -v tsc >/dev/null || { echo "tsc not found: run npm ci (typescript is a devDependency)" >&2; exit 1; }
echo "tsc $(tsc --version | awk '{print $2}') --strict --noEmit -p __test__/types"
tsc --strict --noEmit -p __test__/types/tsconfig.json

node - <<'JS'
const fs = require('node:fs')
const assert = require('node:assert/strict')
const dts = fs.readFileSync('index.d.ts', 'utf8')
const declared = [...dts.matchAll(/^export declare (?:const|class|function) (\w+)/gm)].map((m) => m[1]).sort()
const actual = Object.keys(require('./index.js')).sort()
assert.deepEqual(declared, actual, 'value exports of index.d.ts vs index.js')
const codesBlock = dts.slice(dts.indexOf('export declare const CODES'), dts.indexOf('export type OutcomeCode'))
const declaredCodes = Object.fromEntries([...codesBlock.matchAll(/readonly (\w+): '(\w+)'/g)].map((m) => [m[1], m[2]]))
assert.deepEqual(declaredCodes, { ...require('./index.js').CODES }, 'CODES in index.d.ts vs index.js')
assert.ok(Object.isFrozen(require('./index.js').CODES), 'CODES is frozen (declared readonly)')
console.log(`types: ${declared.length} value exports and ${Object.keys(declaredCodes).length} CODES match index.js`)
JS

# The option types: every field the Rust core reads from RuntimeOptions and
# InvokeOptions (crates/core/src/options.rs, camelCase over the wire) must be
# declared in the matching interface of index.d.ts.
node - <<'JS'
const fs = require('node:fs')
const assert = require('node:assert/strict')
const rust = fs.readFileSync('crates/core/src/options.rs', 'utf8')
const dts = fs.readFileSync('index.d.ts', 'utf8')
const camel = (n) => n.replace(/_([a-z])/g, (_, c) => c.toUpperCase())
for (const name of ['RuntimeOptions', 'InvokeOptions']) {
  const body = new RegExp(`pub struct ${name} \\{([\\s\\S]*?)\\n\\}`).exec(rust)[1]
  const fields = [...body.matchAll(/(#\[serde\(skip\)\]\s*)?pub (\w+):/g)].filter((m) => !m[1]).map((m) => camel(m[2]))
  const iface = new RegExp(`export interface ${name} \\{([\\s\\S]*?)\\n\\}`).exec(dts)[1]
  const declared = new Set([...iface.matchAll(/^ {2}(\w+)\??:/gm)].map((m) => m[1]))
  const missing = fields.filter((f) => !declared.has(f))
  assert.deepEqual(missing, [], `${name} fields of options.rs missing from index.d.ts`)
  console.log(`types: ${fields.length} ${name} fields of options.rs are declared in index.d.ts`)
}
// `command` is the program and its leading arguments (registry.rs splits an
// array so), never a list of candidates tried in order.
const spec = /export interface RuntimeSpec \{([\s\S]*?)\n\}/.exec(dts)[1]
assert.match(spec, /command: string \| string\[\]/, 'RuntimeSpec.command is a string or an array')
assert.match(spec, /program and, as an array, its leading arguments/, 'RuntimeSpec.command is documented as program + arguments')
assert.doesNotMatch(spec, /candidate|tried in order/i, 'RuntimeSpec.command is not a list of candidates')
console.log('types: RuntimeSpec.command is documented as program + leading arguments')
JS

# The result and info types: real values from the release addon (InvokeResult,
# FunctionInfo, Stats, PoolInfo, RuntimeInfo, …) against their interfaces.
node scripts/check-result-types.mjs
