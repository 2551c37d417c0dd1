'use strict'
// One `invoke` across the boundary (src/call.rs), kept cheap on the JS
// thread: the options go as a plain object (none when there are none), the
// request id is made natively unless the caller gave one,
// and results come back in batches through one callback per runtime
// (`onDone`, by call id) instead of a native promise per call.

const { CODES } = require('./codes.js')
const { check, isPlainObject } = require('./internal.js')
const { checkMs, checkStringMap } = require('./options.js')
const { inputJson } = require('./input-json.js')

const NO_OPTIONS = Object.freeze({})

/** Calls in flight, by id: what settles each. */
const pending = new Map()
let lastId = 0

/** Every NativeRuntime's completion callback: `[id, resultJson, …]`. */
function onDone(batch) {
  for (let i = 0; i < batch.length; i += 2) settle(batch[i], batch[i + 1])
}

function settle(id, text) {
  const call = pending.get(id)
  if (!call) return
  pending.delete(id)
  if (call.abort) call.signal.removeEventListener('abort', call.abort)
  if (text === null) return call.reject(new Error('FunctionRuntime is closed'))
  let result
  try {
    result = JSON.parse(text)
  } catch (e) {
    // Never expected (the core writes valid JSON), but one bad result must
    // not strand the rest of its batch.
    return call.reject(e)
  }
  // The whole call as the caller sees it, JSON on both sides included.
  result.durationMs = Math.max(result.durationMs, Math.round(performance.now() - call.started))
  call.resolve(result)
}

function failure(requestId, code, message) {
  const id = requestId ?? globalThis.crypto.randomUUID()
  return { success: false, error: { code, message }, logs: [], requestId: id, durationMs: 0, exitCode: null, queuedMs: 0 }
}

/** The checked options of one call; throws a TypeError naming the culprit. */
function callOptions(name, options) {
  check(typeof name === 'string', `function name must be a string, got ${typeof name}`)
  check(options === undefined || options === null || isPlainObject(options), 'invoke options must be an object')
  const o = options || NO_OPTIONS
  if (o === NO_OPTIONS) return o
  checkMs(o.timeoutMs, 'timeoutMs')
  checkStringMap(o.env, 'env')
  check(o.auth === undefined || o.auth === null || isPlainObject(o.auth), 'auth must be an object or null')
  check(o.requestId === undefined || typeof o.requestId === 'string', 'requestId must be a string')
  check(o.onLog === undefined || typeof o.onLog === 'function', 'onLog must be a function')
  const signal = o.signal
  check(signal === undefined || (signal !== null && typeof signal === 'object' && typeof signal.aborted === 'boolean'), 'signal must be an AbortSignal')
  return o
}

/** What the native side reads of the options (src/call.rs `CallOptions`); none: undefined. */
function nativeOptions(o) {
  if (o.requestId === undefined && o.timeoutMs == null && o.env == null && o.auth == null) return undefined
  return { requestId: o.requestId, timeoutMs: o.timeoutMs ?? undefined, env: o.env ?? undefined, authJson: o.auth ? JSON.stringify(o.auth) : undefined }
}

// Log entries arrive in batches (a JSON array), all before the result.
function logForwarder(onLog) {
  return (text) => {
    for (const entry of JSON.parse(text)) {
      try {
        onLog(entry)
      } catch (e) {
        // A throwing callback must not take the invocation (or the host) down.
        process.emitWarning(`onLog callback threw: ${e?.stack ?? e}`, 'AlyxRuntimeWarning')
      }
    }
  }
}

/**
 * Runs one call on `native`; resolves with its InvokeResult. `started` is
 * the caller's performance.now() at invoke().
 */
function invokeOn(native, name, input, o, started) {
  let json
  try {
    json = input === undefined ? 'null' : inputJson(input)
  } catch (e) {
    return Promise.resolve(failure(o.requestId, CODES.INVALID_INPUT, `input cannot be serialised to JSON: ${e.message}`))
  }
  if (json === undefined) {
    return Promise.resolve(failure(o.requestId, CODES.INVALID_INPUT, `input of type ${typeof input} cannot be serialised to JSON`))
  }
  const signal = o.signal
  // An already-aborted signal never spawns anything.
  if (signal?.aborted) return Promise.resolve(failure(o.requestId, CODES.CANCELLED, 'invocation was cancelled before it started'))
  return new Promise((resolve, reject) => {
    lastId = lastId === 0xffffffff ? 1 : lastId + 1
    const id = lastId
    // A cancel handle only for a call that can be aborted.
    const call = signal ? native.newCall() : undefined
    const abort = call ? () => call.cancel() : undefined
    if (abort) signal.addEventListener('abort', abort, { once: true })
    pending.set(id, { resolve, reject, started, signal, abort })
    try {
      native.invoke(id, name, json, nativeOptions(o), call, o.onLog ? logForwarder(o.onLog) : undefined)
    } catch (e) {
      pending.delete(id)
      if (abort) signal.removeEventListener('abort', abort)
      reject(e)
    }
  })
}

module.exports = { onDone, callOptions, invokeOn }
