'use strict'
// One source of truth: the outcome codes come from the Rust core
// (crates/core/src/outcome.rs); `index.d.ts` is checked against them in npm test.

const native = require('../binding.js')

const CODES = Object.freeze(Object.fromEntries(native.outcomeCodes().map((code) => [code, code])))

module.exports = { CODES }
