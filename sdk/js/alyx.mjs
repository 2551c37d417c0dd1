// @ts-self-types="./alyx.d.mts"
// Alyx function SDK for JavaScript/TypeScript: one module for Node, Deno and
// Bun, no dependencies. Usage:
//
//   import { handler, AlyxError } from "./alyx.mjs";
//   handler(async (input, ctx) => ({ message: `Hello, ${input.name}!` }));
//
// It reads the request from stdin, calls your function, writes the response
// to stdout and exits (0 on success, 1 on error). Work still pending after
// your function returns is dropped: a function is a one-shot process.
// Under ALYX_WORKER=1 the same handler(fn) serves one call per request line
// instead, until stdin ends (the worker protocol of docs/PROTOCOL.md).

const isDeno = typeof globalThis.Deno?.stdin === 'object'
const isBun = !isDeno && typeof globalThis.Bun === 'object'

// The process environment, the same way under all three hosts.
const env = isDeno
  ? { get: (k) => globalThis.Deno.env.get(k), set: (k, v) => globalThis.Deno.env.set(k, v), delete: (k) => globalThis.Deno.env.delete(k) }
  : { get: (k) => process.env[k], set: (k, v) => void (process.env[k] = v), delete: (k) => void delete process.env[k] }

function readWorkerFlag(name) {
  try {
    return env.get(name) === '1'
  } catch {
    return false // Deno without --allow-env: not started by the runtime as a warm process
  }
}
const isWorker = readWorkerFlag('ALYX_WORKER')
// A standby process started before its call: no per-call variables in its env.
const isStandby = readWorkerFlag('ALYX_STANDBY')

/** Thrown by a function to fail with a code of its choosing. */
export class AlyxError extends Error {
  /** @param {string} code @param {string} message @param {Record<string, unknown>} [details] */
  constructor(code, message, details) {
    super(message)
    this.name = 'AlyxError'
    this.code = code
    this.details = details
  }
}

/** Code for an exception that is not an AlyxError. */
export const FUNCTION_ERROR = 'FUNCTION_ERROR'

// Saved before any redirection: console.error always goes to stderr, which
// the runtime turns into logs.
const consoleError = console.error.bind(console)

// Worker mode: whether the last write to stderr left a line unfinished (a
// progress dot), so that the next log line or end marker starts a line of its
// own. Tracked through process.stderr.write (Node, Bun); child processes and
// Deno.stderr are not seen.
let stderrLineOpen = false

// Saved before any wrapping (Node, Bun): a protocol line needs no console formatting.
const rawStderrWrite = isDeno ? null : process.stderr.write.bind(process.stderr)

function writeStderrLine(text) {
  const line = stderrLineOpen ? '\n' + text : text
  if (rawStderrWrite) rawStderrWrite(line + '\n')
  else consoleError(line)
  stderrLineOpen = false
}

function trackStderrLines() {
  if (isDeno) return
  const write = process.stderr.write
  process.stderr.write = function (chunk, ...rest) {
    const last = chunk?.length ? (typeof chunk === 'string' ? chunk.charCodeAt(chunk.length - 1) : chunk[chunk.length - 1]) : undefined
    if (last !== undefined) stderrLineOpen = last !== 10
    return write.call(this, chunk, ...rest)
  }
}

function logLine(level, message, data) {
  const entry = { level, message: String(message) }
  if (data !== undefined) entry.data = data
  entry.timestamp = new Date().toISOString()
  writeStderrLine(JSON.stringify(entry))
}

const log = Object.freeze({
  debug: (message, data) => logLine('debug', message, data),
  info: (message, data) => logLine('info', message, data),
  warn: (message, data) => logLine('warn', message, data),
  error: (message, data) => logLine('error', message, data),
})

async function readStdin() {
  if (isDeno) return await new Response(globalThis.Deno.stdin.readable).text()
  if (isBun) return await globalThis.Bun.stdin.text()
  let text = ''
  process.stdin.setEncoding('utf8')
  for await (const chunk of process.stdin) text += chunk
  return text
}

/** The response as one line of JSON (a cycle or BigInt in the output fails
 * with a response that does serialise), and whether it reports success. */
function serialise(response) {
  try {
    return [JSON.stringify(response) + '\n', response.success]
  } catch (err) {
    const failure = errorResponse(new Error(`output cannot be serialised to JSON: ${err.message}`))
    if ('request_id' in response) failure.request_id = response.request_id
    return [JSON.stringify(failure) + '\n', false]
  }
}

// Saved before any redirection of process.stdout.write (Node, Bun).
const realStdoutWrite = isDeno ? null : process.stdout.write.bind(process.stdout)

/** Writes text on the real stdout; resolves once it is flushed. */
async function writeStdout(text) {
  if (isDeno) {
    const bytes = new TextEncoder().encode(text)
    // write() may be partial; loop until everything is out.
    for (let off = 0; off < bytes.length; ) off += await globalThis.Deno.stdout.write(bytes.subarray(off))
  } else if (isBun) {
    await globalThis.Bun.write(globalThis.Bun.stdout, text)
  } else {
    // Resolve only once the write is flushed, or a large response gets cut off at exit.
    await new Promise((resolve) => realStdoutWrite(text, resolve))
  }
}

function exit(code) {
  if (isDeno) globalThis.Deno.exit(code)
  process.exit(code)
}

/** Writes the response on the real stdout, then ends the process. */
async function respondAndExit(response, exitCode) {
  const [text, success] = serialise(response)
  await writeStdout(text)
  exit(success ? exitCode : 1)
}

// console.log/info/debug print to stdout, which carries the response: while
// the user's code runs they go to stderr instead, as logs. Under Node and Bun
// so does process.stdout.write (Deno.stdout is left alone).
const redirected = ['log', 'info', 'debug']
function redirectStdout() {
  const saved = redirected.map((name) => console[name])
  for (const name of redirected) console[name] = consoleError
  const stdout = isDeno ? null : process.stdout
  const savedWrite = stdout?.write
  if (stdout) stdout.write = process.stderr.write.bind(process.stderr)
  return () => {
    redirected.forEach((name, i) => (console[name] = saved[i]))
    if (stdout) stdout.write = savedWrite
  }
}

function contextFrom(request) {
  const c = request.context ?? {}
  return Object.freeze({
    requestId: request.request_id ?? '',
    functionName: request.function_name ?? request.function ?? '',
    auth: c.auth ?? null,
    env: c.env ?? {},
    alyxUrl: c.alyx_url ?? '',
    internalToken: c.internal_token ?? '',
    deadlineMs: c.deadline_ms ?? 0,
    log,
  })
}

function errorResponse(err) {
  if (err instanceof AlyxError) {
    const error = { code: err.code, message: err.message }
    if (err.details !== undefined) error.details = err.details
    return { success: false, error }
  }
  // The stack goes to the logs, not to whoever called the function.
  log.error('unhandled exception', { stack: String(err?.stack ?? err) })
  return {
    success: false,
    error: { code: FUNCTION_ERROR, message: String(err?.message ?? err), details: { type: err?.name ?? typeof err } },
  }
}

/**
 * Runs `fn(input, ctx)` for the request on stdin and writes its result (or
 * error) as the response. `fn` may be async. Under ALYX_WORKER=1, does so
 * for every request line on stdin until it ends.
 * @param {(input: any, ctx: any) => unknown} fn
 */
export async function handler(fn) {
  if (isWorker) return serveWorker(fn)
  let request
  try {
    request = JSON.parse(await readStdin())
  } catch (err) {
    return respondAndExit({ success: false, error: { code: 'INVALID_REQUEST', message: `cannot read the request: ${err.message}` } }, 1)
  }
  if (isStandby && request !== null && typeof request === 'object') setEnv(callEnv(request))
  const restoreStdout = redirectStdout()
  let response
  try {
    const output = await fn(request.input ?? null, contextFrom(request))
    response = { success: true, output: output === undefined ? null : output }
  } catch (err) {
    response = errorResponse(err)
  } finally {
    restoreStdout()
  }
  return respondAndExit(response, response.success ? 0 : 1)
}

// --- worker mode (docs/PROTOCOL.md, "Worker protocol") ----------------------

/** Decoded text of stdin, chunk by chunk, as it arrives. */
async function* stdinText() {
  if (isDeno) yield* globalThis.Deno.stdin.readable.pipeThrough(new TextDecoderStream())
  else if (isBun) yield* globalThis.Bun.stdin.stream().pipeThrough(new TextDecoderStream())
  else {
    process.stdin.setEncoding('utf8')
    yield* process.stdin
  }
}

/** One string per line of text (without the newline); a request may span many chunks. */
async function* lines(chunks) {
  let pending = ''
  for await (const chunk of chunks) {
    let start = 0
    for (let end = chunk.indexOf('\n'); end !== -1; end = chunk.indexOf('\n', start)) {
      yield pending + chunk.slice(start, end)
      pending = ''
      start = end + 1
    }
    pending += chunk.slice(start)
  }
  if (pending) yield pending
}

/** What a one-shot process would have had in its env for this call: the
 * call's context.env, then the four per-call ALYX_ variables. */
function callEnv(request) {
  const c = request.context ?? {}
  return {
    ...c.env,
    ALYX_REQUEST_ID: String(request.request_id ?? ''),
    ALYX_INTERNAL_TOKEN: String(c.internal_token ?? ''),
    ALYX_DEADLINE_MS: String(c.deadline_ms ?? 0),
    ALYX_AUTH: JSON.stringify(c.auth ?? null),
  }
}

/** Sets the variables; returns a function that puts back what was there. */
function setEnv(values) {
  const saved = []
  try {
    for (const [key, value] of Object.entries(values)) {
      saved.push([key, env.get(key)])
      env.set(key, String(value))
    }
  } catch {
    // Deno without --allow-env: the call still gets everything through ctx.
  }
  return () => {
    for (const [key, value] of saved) {
      try {
        value === undefined ? env.delete(key) : env.set(key, value)
      } catch {}
    }
  }
}

function parseRequest(line) {
  const request = JSON.parse(line)
  if (request === null || typeof request !== 'object' || Array.isArray(request)) throw new Error('not a JSON object')
  return request
}

async function serveOne(fn, line) {
  let request = {}
  let response
  try {
    request = parseRequest(line)
  } catch (err) {
    response = { success: false, error: { code: 'INVALID_REQUEST', message: `cannot read the request: ${err.message}` } }
  }
  if (!response) {
    const restoreEnv = setEnv(callEnv(request))
    try {
      let output = fn(request.input ?? null, contextFrom(request))
      // A plain function's result is used as is: no await, no extra tick.
      if (typeof output?.then === 'function') output = await output
      response = { success: true, output: output === undefined ? null : output }
    } catch (err) {
      response = errorResponse(err)
    } finally {
      restoreEnv()
    }
  }
  const requestId = request.request_id ?? null
  response.request_id = requestId
  await writeProtocolLine(serialise(response)[0])
  // After everything the call wrote to stderr: the runtime gives the lines
  // before this marker to this call.
  writeStderrLine(JSON.stringify({ alyx: 'end', request_id: requestId }))
}

/** A protocol line on the real stdout. Under Node the write is in order
 * whether or not it has completed, so only a full pipe is waited for (the
 * write callback would cost a tick per call); the process never exits with
 * a write pending, as every call waits for the previous write or a drain. */
async function writeProtocolLine(text) {
  if (isDeno || isBun) return writeStdout(text)
  if (!realStdoutWrite(text)) await new Promise((resolve) => process.stdout.once('drain', resolve))
}

async function serveWorker(fn) {
  await writeProtocolLine('{"alyx":"ready"}\n')
  if (!isDeno && !isBun) return serveNodeLines(fn)
  for await (const line of lines(stdinText())) {
    if (line.trim()) await serveOne(fn, line)
  }
  exit(0) // stdin ended: the runtime is done with this worker (timers left running must not keep it)
}

/** Node: request lines straight from stdin's data events (no async
 * iterators: a few promise hops less per call), served one at a time. */
function serveNodeLines(fn) {
  const queue = []
  let pending = ''
  let busy = false
  let ended = false
  const next = async () => {
    busy = true
    while (queue.length) {
      const line = queue.shift()
      if (line.trim()) await serveOne(fn, line)
    }
    busy = false
    if (ended) exit(0) // the runtime is done with this worker (timers left running must not keep it)
  }
  process.stdin.setEncoding('utf8')
  process.stdin.on('data', (chunk) => {
    let start = 0
    for (let end = chunk.indexOf('\n'); end !== -1; end = chunk.indexOf('\n', start)) {
      queue.push(pending + chunk.slice(start, end))
      pending = ''
      start = end + 1
    }
    pending += chunk.slice(start)
    if (!busy && queue.length) next()
  })
  process.stdin.on('end', () => {
    if (pending) queue.push(pending)
    ended = true
    if (!busy) next()
  })
}

// In worker mode stdout belongs to the protocol from the moment the SDK is
// loaded: prints at start-up and between calls go to stderr too (logs of the
// next call), never between two protocol lines.
if (isWorker) {
  trackStderrLines()
  redirectStdout()
}
