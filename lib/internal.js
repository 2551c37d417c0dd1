'use strict'
// What lib/*.js may reach of a FunctionRuntime: its native half and its
// list of catalog listeners. index.js fills these in; users never see them.

/** FunctionRuntime → NativeRuntime */
const natives = new WeakMap()

function nativeOf(rt) {
  const native = natives.get(rt)
  if (!native) throw new TypeError('expected a FunctionRuntime')
  return native
}

function isPlainObject(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
}

function check(cond, what) {
  if (!cond) throw new TypeError(what)
}

module.exports = { natives, nativeOf, isPlainObject, check }
