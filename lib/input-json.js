'use strict'
// A call's input as JSON text, exactly as `JSON.stringify(input)` writes it,
// except that a long string at the top level of a plain object is left out
// for the native side to escape (src/call.rs, crates/core/src/input.rs):
// `JSON.stringify` spends ~3.5 ns per character on it, the core's escape
// ~0.2 ns (docs/ARCHITECTURE.md, "The binding and the JS layer").

const { types } = require('node:util')

/** Strings from this many characters on are escaped natively. */
const LONG = 1 << 20
/** Objects with more top-level keys than this are not looked into. */
const MAX_KEYS = 32

/** A string the core can escape: long, and without lone surrogates (which
 * JSON.stringify writes as \uXXXX escapes). Node 18 has no isWellFormed:
 * there, every input goes to JSON.stringify whole. */
const hasIsWellFormed = typeof String.prototype.isWellFormed === 'function'
const isLong = (value) => typeof value === 'string' && value.length >= LONG && hasIsWellFormed && value.isWellFormed()

/**
 * `JSON.stringify(input)` (a string, or undefined), or for a plain object
 * with long string values the parts `[json, string, json, …, json]`: JSON
 * text with each long string left out between its quotes. Every top-level
 * value is read once, as `JSON.stringify` reads it.
 */
function inputJson(input) {
  if (!lookInto(input)) return JSON.stringify(input)
  const keys = Object.keys(input)
  if (keys.length > MAX_KEYS) return JSON.stringify(input)
  // The values as read once; `__proto__` as a key is an own property here.
  const copy = {}
  let long = null
  for (const key of keys) {
    const value = input[key]
    if (key === '__proto__') Object.defineProperty(copy, key, { value, enumerable: true, writable: true, configurable: true })
    else copy[key] = value
    if (isLong(value)) (long ??= new Set()).add(key)
  }
  return long ? parts(copy, keys, long) : JSON.stringify(copy)
}

/** A plain object whose serialisation is its own enumerable properties'. */
function lookInto(input) {
  if (input === null || typeof input !== 'object') return false
  const proto = Object.getPrototypeOf(input)
  return (proto === Object.prototype || proto === null) && !('toJSON' in input) && !types.isProxy(input)
}

/** The parts of `copy`, whose `long` keys hold strings to leave out. */
function parts(copy, keys, long) {
  const out = []
  let json = '{'
  for (const key of keys) {
    const value = copy[key]
    const sep = json.length > 1 || out.length ? ',' : ''
    if (long.has(key)) {
      out.push(`${json}${sep}${JSON.stringify(key)}:"`, value)
      json = '"'
      continue
    }
    // `{ [key]: value }`: toJSON(key) as JSON.stringify calls it; '{}' when
    // the value is not serialised (undefined, a function, a symbol).
    const member = JSON.stringify({ [key]: value })
    if (member.length > 2) json += sep + member.slice(1, -1)
  }
  out.push(`${json}}`)
  return out
}

module.exports = { inputJson }
