// The implementations compared: @alyx/runtime's FunctionRuntime.invoke, and
// what a Node user writes instead with child_process.spawn (same protocol:
// request JSON on stdin, response JSON on stdout, a timeout).
import { spawn } from 'node:child_process'
import { randomBytes, randomUUID } from 'node:crypto'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
import { pkgRoot as root } from './pkg.mjs'

/** The request envelope of CONTRACT §4.1, as the runtime builds it. */
export function request(name, input, timeoutMs = 30_000) {
  return JSON.stringify({
    request_id: randomUUID(),
    function_name: name,
    function: name,
    input: input === undefined ? null : input,
    context: {
      auth: null,
      env: {},
      alyx_url: 'http://localhost:8090',
      internal_token: randomBytes(32).toString('hex'),
      deadline_ms: Date.now() + timeoutMs,
    },
  })
}

/** @alyx/runtime. `call(fn, input)` resolves with the output or throws. */
export function ours(functionsDir, fns, extraOptions = {}) {
  const { FunctionRuntime } = require(root)
  // The same interpreter child_process and the floor run (see setup.mjs);
  // `gorun` is the `go run` variant, for comparison with the Go cache.
  const runtimes = {}
  if (fns.python) runtimes.python = { command: fns.python.program }
  if (fns.gorun) runtimes.gorun = { command: ['go', 'run'] }
  const rt = new FunctionRuntime({
    functionsDir,
    maxOutputBytes: 512 * 1024 * 1024, // the 100 MB payload comes back too
    ...extraOptions,
    runtimes: { ...runtimes, ...extraOptions.runtimes },
  })
  // The bare native class under FunctionRuntime (same options), for timing
  // the steps of index.js's invoke one by one (payload.mjs): `nativeInvoke`
  // resolves with the result's JSON text, as lib/invoke.js receives it.
  const waiting = new Map()
  const native = new (require(`${root}/binding.js`).NativeRuntime)(
    JSON.stringify({ functionsDir, maxOutputBytes: 512 * 1024 * 1024, ...extraOptions, runtimes: { ...runtimes, ...extraOptions.runtimes } }),
    (batch) => {
      for (let i = 0; i < batch.length; i += 2) {
        waiting.get(batch[i])(batch[i + 1])
        waiting.delete(batch[i])
      }
    },
  )
  let lastId = 0
  const nativeInvoke = (name, inputJson) =>
    new Promise((resolve) => {
      waiting.set(++lastId, resolve)
      native.invoke(lastId, name, inputJson)
    })
  return {
    label: '@alyx/runtime',
    rt,
    nativeInvoke,
    async call(fn, input) {
      const res = await rt.invoke(fn.name, input)
      if (!res.success) throw new Error(`${fn.name}: ${res.error?.code} ${res.error?.message}`)
      return res.output
    },
    close: () => Promise.all([rt.close(), native.close()]),
  }
}

/**
 * Spawn, write `requestText` to stdin, collect stdout; resolves with its text
 * (and the exit code) once the process closed. The core of what a Node user
 * writes; `childProcess` adds the parsing.
 */
export function spawnCollect(fn, env, requestText, timeoutMs = 30_000) {
  return new Promise((resolve, reject) => {
    const child = spawn(fn.program, fn.args, { cwd: fn.dir, env, timeout: timeoutMs, killSignal: 'SIGKILL' })
    const out = []
    const err = []
    child.stdout.on('data', (c) => out.push(c))
    child.stderr.on('data', (c) => err.push(c))
    child.stdin.on('error', () => {}) // a function may exit without reading
    child.on('error', reject)
    child.on('close', (code, signal) => resolve({ text: Buffer.concat(out).toString('utf8'), code, signal, stderr: () => Buffer.concat(err).toString() }))
    child.stdin.end(requestText)
  })
}

/** The plain child_process.spawn version a Node user would write. */
export function childProcess(env) {
  async function run(fn, input, timeoutMs = 30_000) {
    const { text, code, signal, stderr } = await spawnCollect(fn, env, request(fn.name, input, timeoutMs), timeoutMs)
    let res
    try {
      res = JSON.parse(text)
    } catch {
      try {
        res = JSON.parse(text.trim().split('\n').pop())
      } catch {
        throw new Error(`${fn.name}: no JSON response (code ${code}, signal ${signal}): ${stderr()}`)
      }
    }
    if (code !== 0 || !res.success) throw new Error(`${fn.name}: failed (code ${code})`)
    return res.output
  }
  return { label: 'child_process', call: run, close: async () => {} }
}
