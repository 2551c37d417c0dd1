// The result and info types of index.d.ts against real values: a runtime
// over a functions directory made for it returns each JS-facing shape
// (InvokeResult success and failure, FunctionInfo, Stats, PoolInfo, …), and
// every key of every value must be declared in its interface, and every
// required field of the interface present. Run by scripts/test.d/30-types.sh
// against the release addon (a field added in Rust and not in the .d.ts,
// or declared and never sent, fails npm test).
import assert from 'node:assert/strict'
import fs from 'node:fs'
import { createRequire } from 'node:module'
import os from 'node:os'
import path from 'node:path'

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..')
const require = createRequire(import.meta.url)
const { FunctionRuntime } = require(root)
const dts = fs.readFileSync(path.join(root, 'index.d.ts'), 'utf8')

/** `{ field: optional? }` of an interface, its `extends` base included. */
function fields(name) {
  const m = new RegExp(`export interface ${name}(?:<[^>]*>)? (?:extends (\\w+) )?\\{([\\s\\S]*?)\\n\\}`).exec(dts)
  assert.ok(m, `index.d.ts declares no interface ${name}`)
  const own = Object.fromEntries([...m[2].matchAll(/^ {2}(\w+)(\??):/gm)].map((f) => [f[1], f[2] === '?']))
  return m[1] ? { ...fields(m[1]), ...own } : own
}

/** Nested values that have an interface of their own. */
const NESTED = {
  InvokeSuccess: { logs: ['LogEntry'] },
  InvokeFailure: { logs: ['LogEntry'], error: 'InvokeError' },
  FunctionInfo: { warm: 'ResolvedWarmSpec', build: 'BuildConfig', routes: ['Route'], hooks: ['Hook'], schedules: ['Schedule'] },
  Stats: { functions: { values: 'Counts' } },
}

let checked = 0
function check(value, type, where = type) {
  assert.ok(value !== null && typeof value === 'object', `${where}: expected an object, got ${JSON.stringify(value)}`)
  const declared = fields(type)
  for (const key of Object.keys(value)) {
    assert.ok(key in declared, `${where}: the runtime sends \`${key}\`, which index.d.ts's ${type} does not declare`)
  }
  for (const [key, optional] of Object.entries(declared)) {
    if (!optional) assert.ok(key in value, `${where}: ${type}.${key} is required in index.d.ts but the runtime did not send it`)
  }
  for (const [key, nested] of Object.entries(NESTED[type] ?? {})) {
    const v = value[key]
    if (v == null) continue
    if (Array.isArray(nested)) v.forEach((item, i) => check(item, nested[0], `${where}.${key}[${i}]`))
    else if (typeof nested === 'object') for (const [k, item] of Object.entries(v)) check(item, nested.values, `${where}.${key}.${k}`)
    else check(v, nested, `${where}.${key}`)
  }
  checked++
}

const invokeType = (r) => (r.success ? 'InvokeSuccess' : 'InvokeFailure')

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alyx-types-'))
const write = (rel, text, exec = false) => {
  fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true })
  fs.writeFileSync(path.join(dir, rel), text)
  if (exec) fs.chmodSync(path.join(dir, rel), 0o755)
}
const sh = (rel, body) => write(rel, `#!/bin/sh\n${body}\n`, true)
sh(
  'ok/bootstrap',
  `cat >/dev/null; echo 'log line' >&2; echo '{"success":true,"output":{"a":1},"logs":[{"level":"info","message":"m","data":{"k":1},"timestamp":"2026-01-01T00:00:00Z"}]}'`,
)
sh('fails/bootstrap', `cat >/dev/null; echo '{"success":false,"error":{"code":"E","message":"no","details":{"why":1}}}'`)
sh('killed/bootstrap', 'kill -9 $$')
sh('token/bootstrap', `t=$(sed -n 's/.*"internal_token":"\\([^"]*\\)".*/\\1/p'); echo "{\\"success\\":true,\\"output\\":\\"$t\\"}"`)
sh('built/bootstrap', 'cat >/dev/null; echo \'{"success":true,"output":null}\'')
write(
  'built/manifest.yaml',
  [
    'name: built',
    'runtime: binary',
    'description: every manifest field the info types carry',
    'timeout: 5000',
    'memory: 64',
    'concurrency: 2',
    'env: { A: "1" }',
    'build: { command: "true", output: bootstrap, args: [], watch: ["*.c"] }',
    'routes: [{ path: /built, methods: [GET] }]',
    'hooks: [{ type: database, source: users, action: insert }]',
    'schedules: [{ name: hourly, type: cron, expression: "0 * * * *" }]',
    'warm: { mode: standby, min: 1 }',
  ].join('\n'),
)
fs.mkdirSync(path.join(dir, 'broken'))
write('broken/manifest.yaml', 'runtime: [not a runtime]\n')

const SECRET = 'a shared secret of at least 32 bytes'
const rt = new FunctionRuntime({ functionsDir: dir, tokenSecret: SECRET })
try {
  for (const name of ['ok', 'fails', 'killed', 'missing']) {
    const r = await rt.invoke(name, { n: 1 })
    check(r, invokeType(r), `invoke(${name})`)
  }
  assert.ok((await rt.invoke('killed')).signal, 'a killed function has `signal` (checked above)')
  for (const info of rt.list()) check(info, 'FunctionInfo', `list() ${info.name}`)
  check(rt.get('built'), 'FunctionInfo', 'get(built)')
  for (const d of rt.diagnostics()) check(d, 'Diagnostic', `diagnostics() ${d.name}`)
  for (const r of await rt.runtimes()) check(r, 'RuntimeInfo', `runtimes() ${r.name}`)
  for (const b of await rt.build()) check(b, 'FunctionBuildReport', `build() ${b.name}`)
  await rt.warmup('built')
  const pools = rt.pools()
  assert.ok(pools.length > 0, 'a warm standby function has a pool after warmup()')
  for (const p of pools) check(p, 'PoolInfo', `pools() ${p.name}`)
  const busy = rt.invoke('built')
  check(rt.stats(), 'Stats', 'stats()')
  await busy
  // A token of a finished call: its issuer forgets it, a replica trusts its expiry.
  const token = (await rt.invoke('token')).output
  const replica = new FunctionRuntime({ functionsDir: dir, tokenSecret: SECRET })
  check(replica.tokenClaims(token), 'TokenClaims', 'tokenClaims()')
  await replica.close()
  check(FunctionRuntime.sandboxSupport(), 'SandboxSupport', 'sandboxSupport()')
} finally {
  await rt.close()
  fs.rmSync(dir, { recursive: true, force: true })
}
console.log(`types: ${checked} result/info values match their interfaces in index.d.ts`)
