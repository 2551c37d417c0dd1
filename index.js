'use strict'
// @alyx/runtime — the JS face of the native core. The native addon (loaded by
// the generated `binding.js`) takes and returns JSON text; this file and
// lib/ do the V8 JSON.stringify/parse, AbortSignal wiring, argument checks
// (lib/options.js), the call path (lib/invoke.js) and host-exit cleanup
// (lib/host-exit.js), so that everything JS-specific lives in one place.

const path = require('node:path')
const native = require('./binding.js')
const { CODES } = require('./lib/codes.js')
const { natives, check, isPlainObject } = require('./lib/internal.js')
const { createFetchHandler, createNodeHandler } = require('./lib/http.js')
const { Scheduler, listSchedules } = require('./lib/schedules.js')
const { emit } = require('./lib/events.js')
const { warnMissingFunctionsDir } = require('./lib/say-what-is-wrong.js')
const { checkMs, runtimeOptionsJson } = require('./lib/options.js')
const { registerRuntime, unregisterRuntime } = require('./lib/host-exit.js')
const { Watcher } = require('./lib/watcher.js')
const { onDone, callOptions, invokeOn } = require('./lib/invoke.js')

// ---- FunctionRuntime ----

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
      this.#native = new native.NativeRuntime(json, onDone)
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

  /** Runs `name` with `input`; resolves with its InvokeResult (CONTRACT §2). */
  invoke(name, input, options) {
    const started = performance.now()
    if (this.#closed) return Promise.reject(new Error('FunctionRuntime is closed'))
    let o
    try {
      o = callOptions(name, options)
    } catch (e) {
      return Promise.reject(e)
    }
    return invokeOn(this.#native, name, input, o, started)
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
