'use strict'
// Argument checks of FunctionRuntime's constructor and methods: misuse is a
// TypeError naming the option. The runtime options cross to the core as JSON.

const path = require('node:path')
const { isPlainObject, check } = require('./internal.js')
const { warnUnknownOptions } = require('./say-what-is-wrong.js')

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
  check(typeof options.functionsDir === 'string' && options.functionsDir.length > 0, 'options.functionsDir must be a non-empty string')
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
  PYTHONPATH: path.join(__dirname, '..', 'sdk', 'python'),
  RUBYLIB: path.join(__dirname, '..', 'sdk', 'ruby'),
}

module.exports = { checkStringMap, checkMs, runtimeOptionsJson }
