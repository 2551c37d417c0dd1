'use strict'
// @alyx/runtime — the JS face of the native core. The native addon (loaded by
// the generated `binding.js`) takes and returns JSON text; this file does the
// V8 JSON.stringify/parse, AbortSignal wiring, argument checks and host-exit
// cleanup, so that everything JS-specific lives in one small place.

const path = require('node:path')
const native = require('./binding.js')
const { natives } = require('./lib/internal.js')
const { createFetchHandler, createNodeHandler } = require('./lib/http.js')
const { Scheduler, listSchedules } = require('./lib/schedules.js')
const { emit } = require('./lib/events.js')
const { warnUnknownOptions, warnMissingFunctionsDir } = require('./lib/say-what-is-wrong.js')

// One source of truth: the outcome codes come from the Rust core
// (crates/core/src/outcome.rs); `index.d.ts` is checked against them in npm test.
const CODES = Object.freeze(Object.fromEntries(native.outcomeCodes().map((code) => [code, code])))

// ---- argument checks: misuse is a TypeError naming the option ----

function isPlainObject(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
}

function check(cond, what) {
  if (!cond) throw new TypeError(what)
}

function checkStringMap(v, name) {
  if (v === undefined || v === null) return
  check(isPlainObject(v), `${name} must be an object of strings`)
  for (const [k, val] of Object.entries(v)) {
    check(typeof val === 'string', `${name}.${k} must be a string, got ${typeof val}`)
  }
}

// Timers in ms are bounded like setTimeout's: a larger value is a mistake.
const MAX_MS = 2 ** 31 - 1

// `5000` vs `"5000"`: say which it was.
function describe(v) {
  return typeof v === 'string' ? `the string ${JSON.stringify(v)}` : typeof v === 'number' ? String(v) : `a ${typeof v}`
}

function checkInt(v, name, { allowZero = false, max = Number.MAX_SAFE_INTEGER, unit = '' } = {}) {
  if (v === undefined || v === null) return
  check(
    typeof v === 'number' && Number.isInteger(v) && (allowZero ? v >= 0 : v > 0) && v <= max,
    `${name} must be a ${allowZero ? 'non-negative' : 'positive'} integer${unit} of at most ${max}, got ${describe(v)}`,
  )
}

function checkMs(v, name, { allowZero = false } = {}) {
  checkInt(v, name, { allowZero, max: MAX_MS, unit: ' (milliseconds)' })
}

function checkSandbox(sandbox) {
  if (sandbox === undefined || sandbox === null || typeof sandbox === 'boolean') return
  check(isPlainObject(sandbox), 'options.sandbox must be a boolean or { read?, write?, network? }')
  for (const k of ['read', 'write']) {
    const v = sandbox[k]
    if (v !== undefined) check(Array.isArray(v) && v.every((p) => typeof p === 'string' && p.length > 0), `options.sandbox.${k} must be an array of paths`)
  }
  const n = sandbox.network
  if (n !== undefined) {
    check(
      typeof n === 'boolean' || (Array.isArray(n) && n.every((p) => Number.isInteger(p) && p >= 1 && p <= 65535)),
      'options.sandbox.network must be a boolean or an array of ports (1-65535)',
    )
  }
}

function runtimeOptionsJson(options) {
  check(isPlainObject(options), 'FunctionRuntime options must be an object')
  check(
    typeof options.functionsDir === 'string' && options.functionsDir.length > 0,
    'options.functionsDir must be a non-empty string',
  )
  for (const k of ['timeoutMs', 'tokenTtlMs']) checkMs(options[k], `options.${k}`)
  checkMs(options.killGraceMs, 'options.killGraceMs', { allowZero: true })
  for (const k of ['maxConcurrency', 'maxOutputBytes', 'maxQueue']) checkInt(options[k], `options.${k}`, { allowZero: true })
  if (options.alyxUrl !== undefined) check(typeof options.alyxUrl === 'string', 'options.alyxUrl must be a string')
  if (options.cacheDir !== undefined) {
    check(typeof options.cacheDir === 'string' && options.cacheDir.length > 0, 'options.cacheDir must be a non-empty string')
  }
  if (options.handleSignals !== undefined) {
    check(typeof options.handleSignals === 'boolean', 'options.handleSignals must be a boolean')
  }
  checkStringMap(options.env, 'options.env')
  if (options.tokenSecret !== undefined) check(typeof options.tokenSecret === 'string', 'options.tokenSecret must be a string')
  const allow = options.allowCallEnv
  if (allow !== undefined) {
    check(Array.isArray(allow) && allow.every((n) => typeof n === 'string'), 'options.allowCallEnv must be an array of variable names')
  }
  checkSandbox(options.sandbox)
  const inherit = options.inheritEnv
  if (inherit !== undefined) {
    check(
      typeof inherit === 'boolean' || (Array.isArray(inherit) && inherit.every((n) => typeof n === 'string')),
      'options.inheritEnv must be a boolean or an array of variable names',
    )
  }
  if (options.runtimes !== undefined) {
    check(isPlainObject(options.runtimes), 'options.runtimes must be an object')
    for (const [name, spec] of Object.entries(options.runtimes)) {
      check(isPlainObject(spec), `options.runtimes.${name} must be an object`)
      const c = spec.command
      check(
        typeof c === 'string' || (Array.isArray(c) && c.length > 0 && c.every((p) => typeof p === 'string')),
        `options.runtimes.${name}.command must be a string or a non-empty array of strings`,
      )
      check(
        spec.args === undefined || (Array.isArray(spec.args) && spec.args.every((a) => typeof a === 'string')),
        `options.runtimes.${name}.args must be an array of strings`,
      )
    }
  }
  if (options.warm !== undefined) {
    check(isPlainObject(options.warm), 'options.warm must be an object of function names')
    for (const [name, spec] of Object.entries(options.warm)) {
      check(typeof spec === 'boolean' || isPlainObject(spec), `options.warm.${name} must be a boolean or an object`)
    }
  }
  check(options.sdkPaths === undefined || typeof options.sdkPaths === 'boolean', 'options.sdkPaths must be a boolean')
  warnUnknownOptions(options)
  return JSON.stringify({ ...options, sdkPaths: options.sdkPaths === false ? {} : BUNDLED_SDK_PATHS })
}

// The SDKs shipped in this package, appended to the search path of the
// runtimes that read one, so `import alyx` / `require "alyx"` just work.
const BUNDLED_SDK_PATHS = {
  PYTHONPATH: path.join(__dirname, 'sdk', 'python'),
  RUBYLIB: path.join(__dirname, 'sdk', 'ruby'),
}

// ---- host exit and host signals (CONTRACT §6, §14; README "Host signals") ----
//
// Exit: every function process group of this process is SIGKILLed (the last
// resort: nothing can wait any more). In a worker thread, only that thread's
// runtimes are shut down (the native side also does it when the thread's
// environment is torn down, e.g. on worker.terminate()).
// Signals (main thread; workers get none): runtimes with `handleSignals`
// (the default) close — SIGTERM, killGraceMs, SIGKILL, calls resolve
// CANCELLED — then the signal is re-raised if ours was the only handler.

const { isMainThread } = require('node:worker_threads')

const liveRuntimes = new Set()
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP']
const signalHandlers = {}

function onExit() {
  if (isMainThread) native.killAllProcessGroups()
  else for (const rt of liveRuntimes) rt._shutdownNow()
}

function onSignal(sig) {
  const alone = process.listenerCount(sig) === 1
  const closing = [...liveRuntimes].filter((rt) => rt._handlesSignals).map((rt) => rt.close())
  Promise.allSettled(closing).then(() => {
    // Alone on this signal, we must not swallow it: restore the default and
    // re-raise, so the host dies of it exactly as it would without us.
    if (alone) {
      removeSignalHooks()
      process.kill(process.pid, sig)
    }
  })
}

function syncHooks() {
  process.removeListener('exit', onExit)
  if (liveRuntimes.size > 0) process.on('exit', onExit)
  const signals = isMainThread && [...liveRuntimes].some((rt) => rt._handlesSignals)
  if (!signals) return removeSignalHooks()
  for (const sig of SIGNALS) {
    if (signalHandlers[sig]) continue
    const handler = () => onSignal(sig)
    try {
      process.on(sig, handler)
      signalHandlers[sig] = handler
    } catch {
      // Hosts without this signal (Windows for SIGHUP) just skip it.
    }
  }
}

function removeSignalHooks() {
  for (const [sig, handler] of Object.entries(signalHandlers)) {
    process.removeListener(sig, handler)
    delete signalHandlers[sig]
  }
}

function registerRuntime(rt) {
  liveRuntimes.add(rt)
  syncHooks()
}

function unregisterRuntime(rt) {
  liveRuntimes.delete(rt)
  syncHooks()
}

// ---- FunctionRuntime ----

function failure(requestId, code, message) {
  return { success: false, error: { code, message }, logs: [], requestId, durationMs: 0, exitCode: null, queuedMs: 0 }
}

function newRequestId() {
  return globalThis.crypto.randomUUID()
}

// Watchers stay strongly referenced until closed: Bun collects a native
// handle nobody references, silently stopping the watch.
const liveWatchers = new Set()

class Watcher {
  #native
  #closing = null
  #onClose

  constructor(nativeWatcher, onClose) {
    this.#native = nativeWatcher
    this.#onClose = onClose
    liveWatchers.add(this)
  }

  /** Stops watching; resolves once no further event can arrive. Idempotent. */
  close() {
    if (!this.#closing) {
      this.#closing = this.#native.close().finally(() => {
        liveWatchers.delete(this)
        this.#onClose(this)
      })
    }
    return this.#closing
  }
}

class FunctionRuntime {
  #native
  #closed = false
  #closing = null
  #watchers = new Set()
  #schedulers = new Set()

  /** @param {import('./index.js').RuntimeOptions} options */
  constructor(options) {
    const json = runtimeOptionsJson(options)
    try {
      this.#native = new native.NativeRuntime(json)
    } catch (e) {
      throw new TypeError(e.message)
    }
    natives.set(this, this.#native)
    Object.defineProperty(this, '_handlesSignals', { value: options.handleSignals !== false })
    warnMissingFunctionsDir(path.resolve(options.functionsDir))
    registerRuntime(this)
  }

  /** Internal: start closing now, without waiting (host exit in a worker). */
  _shutdownNow() {
    this.#closed = true
    this.#native.shutdown()
  }

  async invoke(name, input, options = {}) {
    const started = performance.now()
    if (this.#closed) throw new Error('FunctionRuntime is closed')
    check(typeof name === 'string', `function name must be a string, got ${typeof name}`)
    check(options === undefined || options === null || isPlainObject(options), 'invoke options must be an object')
    const o = options || {}
    checkMs(o.timeoutMs, 'timeoutMs')
    checkStringMap(o.env, 'env')
    check(o.auth === undefined || o.auth === null || isPlainObject(o.auth), 'auth must be an object or null')
    check(o.requestId === undefined || typeof o.requestId === 'string', 'requestId must be a string')
    check(o.onLog === undefined || typeof o.onLog === 'function', 'onLog must be a function')
    const signal = o.signal
    check(
      signal === undefined || (signal !== null && typeof signal === 'object' && typeof signal.aborted === 'boolean'),
      'signal must be an AbortSignal',
    )
    const requestId = o.requestId ?? newRequestId()

    let inputJson
    try {
      inputJson = input === undefined ? 'null' : JSON.stringify(input)
    } catch (e) {
      return failure(requestId, CODES.INVALID_INPUT, `input cannot be serialised to JSON: ${e.message}`)
    }
    if (inputJson === undefined) {
      return failure(requestId, CODES.INVALID_INPUT, `input of type ${typeof input} cannot be serialised to JSON`)
    }
    // An already-aborted signal never spawns anything.
    if (signal?.aborted) return failure(requestId, CODES.CANCELLED, 'invocation was cancelled before it started')

    const optionsJson = JSON.stringify({
      auth: o.auth ?? null,
      env: o.env ?? {},
      timeoutMs: o.timeoutMs ?? null,
      requestId,
    })
    // Log entries arrive in batches (a JSON array), all before the result.
    const onLog = o.onLog
      ? (text) => {
          for (const entry of JSON.parse(text)) {
            try {
              o.onLog(entry)
            } catch (e) {
              // A throwing callback must not take the invocation (or the host) down.
              process.emitWarning(`onLog callback threw: ${e?.stack ?? e}`, 'AlyxRuntimeWarning')
            }
          }
        }
      : undefined
    // A cancel handle only for a call that can be aborted.
    const call = signal ? this.#native.newCall() : undefined
    const abort = () => call.cancel()
    signal?.addEventListener('abort', abort, { once: true })
    try {
      const text = await this.#native.invoke(name, inputJson, optionsJson, call, onLog)
      const result = JSON.parse(text)
      // The whole call as the caller sees it, JSON on both sides included.
      result.durationMs = Math.max(result.durationMs, Math.round(performance.now() - started))
      return result
    } finally {
      signal?.removeEventListener('abort', abort)
    }
  }

  /**
   * Runs build steps and Go compiles now, for `name` or for every function
   * that has one; resolves with one report per function.
   */
  async build(name) {
    if (this.#closed) throw new Error('FunctionRuntime is closed')
    check(name === undefined || typeof name === 'string', `function name must be a string, got ${typeof name}`)
    try {
      return JSON.parse(await this.#native.build(name))
    } catch (e) {
      throw new Error(e.message)
    }
  }

  /**
   * Resolves once `min` processes of the warm function `name` (or of every
   * warm function) are ready; rejects with an Error whose `code` is
   * WORKER_START_FAILED and whose `details.stderr` is the worker's stderr tail.
   */
  async warmup(name) {
    if (this.#closed) throw new Error('FunctionRuntime is closed')
    check(name === undefined || typeof name === 'string', `function name must be a string, got ${typeof name}`)
    try {
      await this.#native.warmup(name)
    } catch (e) {
      throw errorFromNative(e)
    }
  }

  /** Every warm function's processes: { name, mode, ready, busy, starting, served, replaced, lastError, pids }. */
  pools() {
    return JSON.parse(this.#native.pools())
  }

  /** Calls running and waiting, in total and per function. */
  stats() {
    return JSON.parse(this.#native.stats())
  }

  /** Valid functions from the last scan (constructor, reload(), watch), sorted by name. */
  list() {
    return JSON.parse(this.#native.list())
  }

  /** The function named `name` from the last scan, or null. */
  get(name) {
    check(typeof name === 'string', `function name must be a string, got ${typeof name}`)
    return JSON.parse(this.#native.get(name))
  }

  /** Directories skipped by the last scan, and why. */
  diagnostics() {
    return JSON.parse(this.#native.diagnostics())
  }

  /** Rescans functionsDir; returns the new list(). Running schedules follow it. */
  reload() {
    const list = JSON.parse(this.#native.reload())
    this.#catalogChanged()
    return list
  }

  #catalogChanged() {
    for (const s of this.#schedulers) s.refresh()
  }

  /** Fires the manifests' schedules until stop() or close() (docs/SCHEDULES.md). */
  startSchedules(options) {
    if (this.#closed) throw new Error('FunctionRuntime is closed')
    if (this.#schedulers.size) throw new Error('schedules are already started on this runtime; stop() them first')
    const scheduler = new Scheduler(this, options, (s) => this.#schedulers.delete(s))
    this.#schedulers.add(scheduler)
    scheduler.refresh()
    return Object.freeze({ stop: () => scheduler.stop() })
  }

  /** Every function's schedules with their next run (epoch ms; null: never again). */
  schedules() {
    return listSchedules(this)
  }

  /** Runs the functions whose database/auth hooks match `event` (docs/SCHEDULES.md). */
  emit(event, options) {
    if (this.#closed) return Promise.reject(new Error('FunctionRuntime is closed'))
    return emit(this, event, options)
  }

  /** Every runtime with availability, absolute path, version and install hint. */
  async runtimes() {
    return JSON.parse(await this.#native.runtimes())
  }

  /**
   * Watches functionsDir recursively and keeps list() current; `callback`
   * gets added/changed/removed/build/error events. Throws if functionsDir
   * does not exist.
   */
  watch(callback, options = {}) {
    if (this.#closed) throw new Error('FunctionRuntime is closed')
    check(typeof callback === 'function', 'watch callback must be a function')
    check(options === undefined || options === null || isPlainObject(options), 'watch options must be an object')
    const debounceMs = options?.debounceMs ?? 100
    checkMs(debounceMs, 'debounceMs', { allowZero: true })
    const deliver = (text) => {
      const event = JSON.parse(text)
      if (event.type === 'added' || event.type === 'changed' || event.type === 'removed') this.#catalogChanged()
      try {
        callback(event)
      } catch (e) {
        // A throwing callback must not stop the watcher.
        process.emitWarning(`watch callback threw: ${e?.stack ?? e}`, 'AlyxRuntimeWarning')
      }
    }
    let nativeWatcher
    try {
      nativeWatcher = this.#native.watch(debounceMs, deliver)
    } catch (e) {
      throw new Error(e.message)
    }
    const watcher = new Watcher(nativeWatcher, (w) => this.#watchers.delete(w))
    this.#watchers.add(watcher)
    return watcher
  }

  /** Whether this OS can enforce the sandbox: { available, abi, network, scoping }. */
  static sandboxSupport() {
    return JSON.parse(native.sandboxSupportJson())
  }

  verifyToken(token) {
    return typeof token === 'string' && this.#native.verifyToken(token)
  }

  /** The claims ({ functionName, requestId, expiresAt }) of a token verifyToken accepts, else null. */
  tokenClaims(token) {
    return typeof token === 'string' ? JSON.parse(this.#native.tokenClaims(token)) : null
  }

  /** Stops watchers, kills running functions (their results say CANCELLED). */
  close() {
    if (!this.#closing) {
      this.#closed = true
      // Schedulers first: no run starts after close(); runs in progress end CANCELLED.
      const schedulers = [...this.#schedulers].map((s) => s.stop())
      const watchers = [...this.#watchers].map((w) => w.close())
      this.#closing = Promise.all(watchers)
        .then(() => this.#native.close())
        .then(() => Promise.all(schedulers))
        .finally(() => unregisterRuntime(this))
    }
    return this.#closing
  }
}

/** Parses and validates manifest.yaml text; throws an Error naming the field. */
function parseManifest(yamlText) {
  check(typeof yamlText === 'string', 'parseManifest expects the YAML text as a string')
  return JSON.parse(nativeCall(() => native.parseManifestJson(yamlText)))
}

/** Reads, parses and validates a manifest file; throws an Error naming file and field. */
function loadManifest(path) {
  check(typeof path === 'string', 'loadManifest expects a path string')
  return JSON.parse(nativeCall(() => native.loadManifestJson(path)))
}

// A core error crosses as JSON text `{ code, message, details }`.
function errorFromNative(e) {
  let info
  try {
    info = JSON.parse(e.message)
  } catch {
    return new Error(e.message)
  }
  const error = new Error(info.message)
  error.code = info.code
  if (info.details) error.details = info.details
  return error
}

// napi errors carry a `code` of the napi status; users get a plain Error.
function nativeCall(fn) {
  try {
    return fn()
  } catch (e) {
    throw new Error(e.message)
  }
}

module.exports = { FunctionRuntime, Watcher, parseManifest, loadManifest, CODES, createFetchHandler, createNodeHandler }
