// Shared test helpers: temporary functions directories, runtime presence
// checks (a missing runtime fails under CI=true, skips loudly otherwise), and
// process inspection through /proc.
import { createRequire } from 'node:module'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { execFileSync, spawn } from 'node:child_process'

const require = createRequire(import.meta.url)
export const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..')
export const alyx = require(root)
export const { FunctionRuntime } = alyx

/** A fresh functions directory with the given files: { "fn/index.js": "…" }. */
export function functionsDir(files = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alyx-test-'))
  writeFiles(dir, files)
  return dir
}

export function writeFiles(dir, files) {
  for (const [rel, content] of Object.entries(files)) {
    const p = path.join(dir, rel)
    fs.mkdirSync(path.dirname(p), { recursive: true })
    const text = typeof content === 'string' ? content : content.text
    fs.writeFileSync(p, text)
    if (content.exec || rel.endsWith('/bootstrap')) fs.chmodSync(p, 0o755)
  }
}

/** A shell-script (binary runtime) function body. */
export const sh = (body) => ({ text: `#!/bin/sh\n${body}\n`, exec: true })

const binDir = path.join(root, 'node_modules', '.bin')
process.env.PATH = `${binDir}${path.delimiter}${process.env.PATH}`

function which(cmd) {
  for (const d of process.env.PATH.split(path.delimiter)) {
    const p = path.join(d, cmd)
    try {
      fs.accessSync(p, fs.constants.X_OK)
      return p
    } catch {}
  }
  return null
}

/**
 * Options for `test()` that skip when a runtime's command is missing — but
 * under CI=true a missing runtime is a failure, never a skip.
 */
export function needs(...commands) {
  const missing = commands.filter((c) => !which(c))
  if (missing.length === 0) return {}
  const msg = `runtime missing: ${missing.join(', ')} (install it, or see README)`
  if (process.env.CI === 'true') throw new Error(`CI=true and ${msg}`)
  console.error(`\n!!!!! SKIPPING: ${msg} !!!!!\n`)
  return { skip: msg }
}

/**
 * Options for `test()` that skip where the sandbox (Landlock ABI ≥ 6) is
 * unavailable — under CI=true its absence is a failure, never a skip.
 */
export function needsSandbox() {
  const support = FunctionRuntime.sandboxSupport()
  if (support.available) return {}
  const msg = `Landlock ABI ≥ 6 needed for the sandbox, this kernel has ${support.abi}`
  if (process.env.CI === 'true') throw new Error(`CI=true and ${msg}`)
  console.error(`\n!!!!! SKIPPING: ${msg} !!!!!\n`)
  return { skip: msg }
}

/** Runs `fn(rt)` with a runtime on `dir`, closed afterwards whatever happens. */
export async function withRuntime(dir, options, fn) {
  const rt = new FunctionRuntime({ functionsDir: dir, ...options })
  try {
    return await fn(rt)
  } finally {
    await rt.close()
  }
}

/** Running (non-zombie) state of a pid, from /proc. */
export function isAlive(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
    return !stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')
  } catch {
    return false
  }
}

/** Zombie children of this process. */
export function zombieChildren() {
  const me = String(process.pid)
  let count = 0
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      if (fields[0] === 'Z' && fields[1] === me) count++
    } catch {}
  }
  return count
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

export async function waitFor(pred, { timeoutMs = 10_000, intervalMs = 20 } = {}) {
  const end = Date.now() + timeoutMs
  while (Date.now() < end) {
    const v = await pred()
    if (v) return v
    await sleep(intervalMs)
  }
  throw new Error(`condition not met within ${timeoutMs} ms`)
}

export { execFileSync }

/** A pid's start time (field 22 of /proc/<pid>/stat), or null when gone. */
export function startTimeOf(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]
  } catch {
    return null
  }
}

/** Start time of a live (not zombie) pid, or null: pids are reused. */
export function liveStartTime(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return fields[0] === 'Z' ? null : fields[19]
  } catch {
    return null
  }
}

/** True while the process that had `start` as its start time still runs (pids are reused). */
export function isSameProcessAlive(pid, start) {
  return isAlive(pid) && startTimeOf(pid) === start
}

/**
 * A child Node host running `src` (CommonJS, with ALYX_ROOT = this package and
 * ALYX_DIR = `dir` in its env); its stdout and stderr are collected.
 * `ready()` waits for a line with READY, `exited` resolves with code/signal.
 */
export function spawnHost(src, dir) {
  const child = spawn(process.execPath, ['-e', src], {
    env: { ...process.env, ALYX_ROOT: root, ALYX_DIR: dir },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  child.stdout.on('data', (d) => (out += d))
  child.stderr.on('data', (d) => (out += d))
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })))
  const ready = () => waitFor(() => /READY/.test(out), { timeoutMs: 15_000 })
  return { child, exited, ready, output: () => out }
}
