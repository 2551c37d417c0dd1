// A stand-in for the runtime's side of the worker protocol (docs/PROTOCOL.md,
// "Worker protocol"), so the SDKs and raw workers can be checked against it
// with real processes before the runtime's pools exist. It starts a function
// process the way the runtime does (cwd = function dir, cleared env plus the
// allowlist and ALYX_WORKER=1, own process group), splits its stdout into
// protocol lines and its stderr into per-call segments at each end marker.
import { spawn } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'

const HOST_ALLOWLIST = ['PATH', 'HOME', 'USER', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', 'DENO_DIR', 'GOCACHE', 'GOPATH']

/** Absolute path of a command on PATH, or null. */
export function which(cmd) {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const p = path.join(dir, cmd)
    try {
      fs.accessSync(p, fs.constants.X_OK)
      return p
    } catch {}
  }
  return null
}

/** The environment a warm process starts with (CONTRACT §6 + §10): no per-call variables, and ALYX_WORKER=1 or ALYX_STANDBY=1. */
export function warmEnv(dir, extra = {}, mode = 'worker') {
  const env = {}
  for (const key of HOST_ALLOWLIST) if (process.env[key] !== undefined) env[key] = process.env[key]
  return {
    ...env,
    ALYX_FUNCTION_NAME: path.basename(dir),
    ALYX_FUNCTION_DIR: dir,
    ALYX_URL: 'http://alyx.test',
    PYTHONUNBUFFERED: '1',
    [mode === 'worker' ? 'ALYX_WORKER' : 'ALYX_STANDBY']: '1',
    ...extra,
  }
}

/** A request line as the runtime writes it (CONTRACT §4.1). */
export function request(input, { requestId = crypto.randomUUID(), auth = null, env = {}, timeoutMs = 30_000, name = 'fn' } = {}) {
  return {
    request_id: requestId,
    function_name: name,
    function: name,
    input,
    context: {
      auth,
      env,
      alyx_url: 'http://alyx.test',
      internal_token: crypto.randomBytes(32).toString('hex'),
      deadline_ms: Date.now() + timeoutMs,
    },
  }
}

const isReady = (line) => line === '{"alyx":"ready"}'

function parseObject(line) {
  try {
    const value = JSON.parse(line)
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? value : null
  } catch {
    return null
  }
}

/** Calls `onLine` for each complete line of a stream. */
function splitLines(stream, onLine) {
  let pending = ''
  stream.setEncoding('utf8')
  stream.on('data', (chunk) => {
    let start = 0
    for (let end = chunk.indexOf('\n'); end !== -1; end = chunk.indexOf('\n', start)) {
      onLine(pending + chunk.slice(start, end))
      pending = ''
      start = end + 1
    }
    pending += chunk.slice(start)
  })
  stream.on('end', () => pending && onLine(pending))
}

export class Worker {
  /** Starts `argv` in `dir`; `env` is added to the worker's start-up environment. */
  constructor(argv, dir, { env = {} } = {}) {
    this.child = spawn(argv[0], argv.slice(1), { cwd: dir, env: warmEnv(dir, env), detached: true, stdio: 'pipe' })
    this.pid = this.child.pid
    this.ready = false
    this.responses = [] // stdout: one per call, in order
    this.noise = [] // stdout lines that are neither ready nor a response
    this.segments = [] // stderr: { requestId, lines } per end marker, in order
    this.pendingStderr = [] // stderr lines since the last end marker
    this.taken = 0 // results handed out by next()
    this.exit = null
    this.waiters = new Set()
    splitLines(this.child.stdout, (line) => this.#onStdout(line))
    splitLines(this.child.stderr, (line) => this.#onStderr(line))
    this.child.stdin.on('error', () => {}) // EPIPE after the worker exits is reported through `exit`
    this.exited = new Promise((resolve) =>
      this.child.on('exit', (code, signal) => {
        this.exit = { code, signal }
        this.#wake()
        resolve(this.exit)
      }),
    )
  }

  #onStdout(line) {
    if (!this.ready && this.responses.length === 0 && isReady(line)) this.ready = true
    else {
      const value = parseObject(line)
      if (value && typeof value.success === 'boolean') this.responses.push(value)
      else this.noise.push(line)
    }
    this.#wake()
  }

  #onStderr(line) {
    const value = line.startsWith('{"alyx"') ? parseObject(line) : null
    if (value?.alyx === 'end') {
      this.segments.push({ requestId: value.request_id, lines: this.pendingStderr })
      this.pendingStderr = []
    } else this.pendingStderr.push(line)
    this.#wake()
  }

  #wake() {
    for (const waiter of this.waiters) waiter()
  }

  /** Resolves with pred()'s value once truthy; rejects on exit or timeout. */
  until(pred, what, timeoutMs = 30_000) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => done(new Error(`timed out after ${timeoutMs} ms waiting for ${what}${this.#tail()}`)), timeoutMs)
      const done = (err, value) => {
        clearTimeout(timer)
        this.waiters.delete(check)
        err ? reject(err) : resolve(value)
      }
      const check = () => {
        const value = pred()
        if (value) done(null, value)
        else if (this.exit) done(new Error(`worker exited (${JSON.stringify(this.exit)}) while waiting for ${what}${this.#tail()}`))
      }
      this.waiters.add(check)
      check()
    })
  }

  #tail() {
    const stderr = [...this.segments.flatMap((s) => s.lines), ...this.pendingStderr].slice(-20).join('\n')
    return `\n-- stdout noise: ${JSON.stringify(this.noise.slice(-5))}\n-- stderr tail:\n${stderr}`
  }

  waitReady(timeoutMs = 60_000) {
    return this.until(() => this.ready, 'the ready line', timeoutMs)
  }

  /** Writes one request line (without waiting for its result). */
  send(req) {
    this.child.stdin.write(JSON.stringify(req) + '\n')
  }

  /** The next call's { response, logs } (logs: its stderr lines before its end marker). */
  async next(timeoutMs) {
    const i = this.taken++
    await this.until(() => this.responses.length > i && this.segments.length > i, `result #${i + 1}`, timeoutMs)
    const { requestId, lines } = this.segments[i]
    return { response: this.responses[i], endRequestId: requestId, logs: lines }
  }

  async call(req, timeoutMs) {
    this.send(req)
    return this.next(timeoutMs)
  }

  /** Closes stdin and waits for the worker to exit on its own. */
  async closeStdin(timeoutMs = 15_000) {
    this.child.stdin.end()
    await this.until(() => this.exit, 'the worker to exit after stdin closed', timeoutMs)
    return this.exit
  }

  /** SIGKILLs the worker's whole process group (cleanup; harmless if gone). */
  kill() {
    try {
      process.kill(-this.pid, 'SIGKILL')
    } catch {}
  }
}

/**
 * A standby process: started like a one-shot one (plus ALYX_STANDBY=1) before
 * its call, given `req` once `settleMs` later, then read to its end.
 */
export function runStandby(argv, dir, req, { settleMs = 200, timeoutMs = 60_000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { cwd: dir, env: warmEnv(dir, {}, 'standby'), detached: true, stdio: 'pipe' })
    const out = { stdout: '', stderr: '' }
    child.stdout.setEncoding('utf8').on('data', (c) => (out.stdout += c))
    child.stderr.setEncoding('utf8').on('data', (c) => (out.stderr += c))
    child.stdin.on('error', () => {})
    const timer = setTimeout(() => {
      process.kill(-child.pid, 'SIGKILL')
      reject(new Error(`standby process did not finish in ${timeoutMs} ms: ${JSON.stringify(out)}`))
    }, timeoutMs)
    setTimeout(() => child.stdin.end(JSON.stringify(req)), settleMs)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      const last = out.stdout.trim().split('\n').at(-1)
      resolve({ ...out, code, response: parseObject(last) })
    })
  })
}
