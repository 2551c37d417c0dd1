'use strict'
// rt.emit(event, { onResult }) (CONTRACT §13): runs the functions whose
// `database`/`auth` hooks match an event. The core finds the hooks, in
// function-name order, with their mode and `config.timeout`
// (crates/core/src/triggers.rs); this file makes the calls.

const { nativeOf, isPlainObject, check } = require('./internal.js')

function checkEvent(event) {
  check(isPlainObject(event), 'emit expects an event object { type, source, action, payload? }')
  check(event.type === 'database' || event.type === 'auth', `event.type must be "database" or "auth", got ${JSON.stringify(event.type)}`)
  check(typeof event.source === 'string' && event.source.length > 0, 'event.source must be a non-empty string')
  check(typeof event.action === 'string' && event.action.length > 0, 'event.action must be a non-empty string')
}

/**
 * Async hooks start at once and report to `onResult(result, { function })`;
 * sync hooks then run one after another, and their results are returned.
 */
async function emit(rt, event, options) {
  checkEvent(event)
  check(options === undefined || isPlainObject(options), 'emit options must be an object')
  const onResult = options?.onResult
  check(onResult === undefined || typeof onResult === 'function', 'options.onResult must be a function')
  const hooks = JSON.parse(nativeOf(rt).eventHooks(event.type, event.source, event.action))
  const input = { type: event.type, source: event.source, action: event.action, payload: event.payload ?? null }
  const callOptions = (hook) => (hook.timeoutMs ? { timeoutMs: hook.timeoutMs } : {})
  for (const hook of hooks.filter((h) => h.mode !== 'sync')) {
    rt.invoke(hook.function, input, callOptions(hook)).then(
      (result) => deliver(onResult, result, hook.function),
      (err) => process.emitWarning(`async hook ${hook.function}: ${err?.message ?? err}`, 'AlyxRuntimeWarning'),
    )
  }
  const results = []
  for (const hook of hooks.filter((h) => h.mode === 'sync')) {
    results.push(await rt.invoke(hook.function, input, callOptions(hook)))
  }
  return results
}

function deliver(onResult, result, fn) {
  if (!onResult) return
  try {
    onResult(result, { function: fn })
  } catch (err) {
    process.emitWarning(`onResult threw: ${err?.stack ?? err}`, 'AlyxRuntimeWarning')
  }
}

module.exports = { emit }
