// Host smoke suite, shared by Deno (smoke.deno.ts) and Bun (smoke.bun.ts);
// run by scripts/test.d/10-hosts.sh. The file names deliberately match none
// of `node --test`'s patterns: Node runs __test__/*.test.mjs instead.
//
// Functions are Node programs written into a temp dir (ALYX_SMOKE_DIR, made
// by the runner, the only place Deno may write), so the suite runs wherever
// `node` is on PATH, Windows included.

import { createRequire } from 'node:module'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import type * as Alyx from '../../index.d.ts'

// The CommonJS entry, the way the README tells Deno users to load it. The
// path is computed so `deno check` takes the types from index.d.ts instead of
// analysing index.js (users get index.d.ts through package.json "types").
const require = createRequire(import.meta.url)
const entry = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'index.js')
const alyx: typeof Alyx = require(entry)
export const { FunctionRuntime, CODES } = alyx

export function fail(message: string): never {
  throw new Error(message)
}
export function check(cond: unknown, message: string): asserts cond {
  if (!cond) fail(message)
}

const base = process.env.ALYX_SMOKE_DIR ?? fail('ALYX_SMOKE_DIR is not set (run scripts/test.d/10-hosts.sh)')
let dirs = 0

/** A fresh functions dir with the given `name → index.mjs source` functions. */
export function functionsDir(functions: Record<string, string>): string {
  const dir = path.join(base, `${process.pid}-${dirs++}`)
  for (const [name, source] of Object.entries(functions)) addFunction(dir, name, source)
  return dir
}

export function addFunction(dir: string, name: string, source: string): void {
  fs.mkdirSync(path.join(dir, name), { recursive: true })
  fs.writeFileSync(path.join(dir, name, 'index.mjs'), source)
}

export const HELLO = `
let text = ''
for await (const chunk of process.stdin) text += chunk
const req = JSON.parse(text)
console.log(JSON.stringify({ success: true, output: { message: 'Hello, ' + req.input.name + '!' } }))
`
export const ECHO = `
const chunks = []
for await (const chunk of process.stdin) chunks.push(chunk)
const req = JSON.parse(Buffer.concat(chunks).toString())
process.stdout.write(JSON.stringify({ success: true, output: req.input }))
`
export const SLOW = `setTimeout(() => console.log('{"success":true,"output":1}'), 30000)\n`
export const LOGGER = `
console.error('plain stderr line')
console.error(JSON.stringify({ level: 'warn', message: 'structured', data: { n: 1 } }))
console.log(JSON.stringify({ success: true, output: null }))
`

/** Resolves when `pred` holds, polling; rejects after `ms`. */
export async function waitFor(pred: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms
  while (!pred()) {
    if (Date.now() > end) fail(`timed out after ${ms} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

export type Case = { name: string; run: () => Promise<void> }

export const cases: Case[] = [
  {
    name: 'invoke: hello resolves with the function output',
    async run() {
      const rt = new FunctionRuntime({ functionsDir: functionsDir({ hello: HELLO }) })
      try {
        const res = await rt.invoke('hello', { name: 'World' })
        check(res.success, `hello failed: ${JSON.stringify(res)}`)
        check(JSON.stringify(res.output) === '{"message":"Hello, World!"}', `output: ${JSON.stringify(res.output)}`)
        check(res.exitCode === 0, `exitCode ${res.exitCode}`)
        check(typeof res.requestId === 'string' && res.requestId.length > 0, 'requestId')
        const missing = await rt.invoke('nope')
        check(!missing.success && missing.error.code === CODES.FUNCTION_NOT_FOUND, JSON.stringify(missing))
      } finally {
        await rt.close()
      }
    },
  },
  {
    name: 'timeout: a function past timeoutMs resolves TIMEOUT',
    async run() {
      const rt = new FunctionRuntime({ functionsDir: functionsDir({ slow: SLOW }), killGraceMs: 100 })
      try {
        const started = Date.now()
        const res = await rt.invoke('slow', null, { timeoutMs: 400 })
        const took = Date.now() - started
        check(!res.success && res.error.code === CODES.TIMEOUT, `want TIMEOUT: ${JSON.stringify(res)}`)
        check(took < 10_000, `took ${took} ms`)
      } finally {
        await rt.close()
      }
    },
  },
  {
    name: 'large results: 3 MB of ASCII (an external string) and 2 MB of non-ASCII come back whole',
    async run() {
      const rt = new FunctionRuntime({ functionsDir: functionsDir({ echo: ECHO }) })
      try {
        const ascii = 'abc'.repeat(1 << 20)
        const wide = 'ж€😀'.repeat(1 << 18)
        const echo = async (s: string) => {
          const res = await rt.invoke('echo', { s })
          check(res.success, `echo failed: ${JSON.stringify(res.error)}`)
          return (res.output as { s: string }).s
        }
        const [a, w] = await Promise.all([echo(ascii), echo(wide)])
        // Garbage and a second round: the first result's text must outlive them.
        const again = await echo(ascii.slice(1))
        for (let i = 0; i < 20; i++) new Array(1 << 16).fill({ i })
        check(a === ascii, `ascii output: ${a.length} chars`)
        check(w === wide, `non-ASCII output: ${w.length} chars`)
        check(again === ascii.slice(1), 'second ascii output')
      } finally {
        await rt.close()
      }
    },
  },
  {
    name: 'onLog: stderr lines are delivered while the function runs',
    async run() {
      const rt = new FunctionRuntime({ functionsDir: functionsDir({ logger: LOGGER }) })
      try {
        const seen: Alyx.LogEntry[] = []
        const res = await rt.invoke('logger', null, { onLog: (e) => seen.push(e) })
        check(res.success, JSON.stringify(res))
        const plain = seen.find((e) => e.message === 'plain stderr line')
        check(plain && plain.source === 'stderr' && plain.level === 'info', `onLog got ${JSON.stringify(seen)}`)
        const structured = seen.find((e) => e.message === 'structured')
        check(structured && structured.level === 'warn', `structured log: ${JSON.stringify(seen)}`)
        check(
          res.logs.some((e) => e.message === 'plain stderr line'),
          'result logs hold the stderr line',
        )
      } finally {
        await rt.close()
      }
    },
  },
  {
    name: 'watch/close: an added function is reported, list() is current, close() resolves',
    async run() {
      const dir = functionsDir({ hello: HELLO })
      const rt = new FunctionRuntime({ functionsDir: dir })
      try {
        if (typeof (rt as { watch?: unknown }).watch !== 'function') {
          console.log('!!!!! NOT YET: watch — rt.watch is not a function; watch/close not checked !!!!!')
          return
        }
        const events: Alyx.WatchEvent[] = []
        const watcher = rt.watch((e) => events.push(e), { debounceMs: 50 })
        // Give the OS watch a moment to be armed before the change.
        await new Promise((r) => setTimeout(r, 200))
        addFunction(dir, 'later', HELLO)
        await waitFor(() => events.some((e) => e.type === 'added' && e.name === 'later'), 10_000, '"added later" event')
        check(
          rt.list().some((f) => f.name === 'later'),
          'list() includes the added function',
        )
        const res = await rt.invoke('later', { name: 'Watch' })
        check(res.success, JSON.stringify(res))
        await watcher.close()
        await watcher.close() // idempotent
      } finally {
        await rt.close()
      }
      // After close(), invoke rejects (it does not throw synchronously).
      let rejected = false
      await rt.invoke('hello').catch(() => (rejected = true))
      check(rejected, 'invoke after close() rejects')
    },
  },
  {
    name: "esm import form: the package's named exports load as an ES module too",
    async run() {
      // A computed specifier: Deno would otherwise type-check index.js itself
      // (its JSDoc is for editors, not for `deno check`).
      const specifier = new URL('../../index.js', import.meta.url).href
      const esm = (await import(specifier)) as typeof Alyx
      check(typeof esm.FunctionRuntime === 'function', 'FunctionRuntime via import()')
      check(esm.CODES.TIMEOUT === 'TIMEOUT', 'CODES via import()')
      check(typeof esm.parseManifest === 'function' && esm.parseManifest('name: x').name === 'x', 'parseManifest')
    },
  },
]
