'use strict'
// Mistakes that would otherwise be silent (README "Say what is wrong"): an
// option name nobody reads (`maxConcurency`, `timeout`) and a functionsDir
// that does not exist each get one process warning, at construction.

const fs = require('node:fs')

/** Every `RuntimeOptions` key (CONTRACT §2; index.d.ts). */
const KNOWN_OPTIONS = [
  'functionsDir',
  'timeoutMs',
  'maxConcurrency',
  'maxOutputBytes',
  'killGraceMs',
  'alyxUrl',
  'env',
  'inheritEnv',
  'runtimes',
  'tokenTtlMs',
  'maxQueue',
  'cacheDir',
  'handleSignals',
  'warm',
  'sandbox',
  'tokenSecret',
  'allowCallEnv',
  'sdkPaths',
]

const WARNING = 'AlyxRuntimeWarning'
const warned = new Set()

/** One warning per unknown key per process, naming the nearest valid key. */
function warnUnknownOptions(options) {
  for (const key of Object.keys(options)) {
    if (KNOWN_OPTIONS.includes(key) || warned.has(key)) continue
    warned.add(key)
    const near = nearest(key, KNOWN_OPTIONS)
    const hint = near ? ` (did you mean "${near}"?)` : ` (valid options: ${KNOWN_OPTIONS.join(', ')})`
    process.emitWarning(`unknown FunctionRuntime option "${key}" is ignored${hint}`, { type: WARNING, code: 'ALYX_UNKNOWN_OPTION' })
  }
}

/** A missing functionsDir is not an error (it may be created later), but say so. */
function warnMissingFunctionsDir(dir) {
  if (fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory()) return
  process.emitWarning(`functionsDir ${dir} does not exist: every invoke() is FUNCTION_NOT_FOUND until it is created`, {
    type: WARNING,
    code: 'ALYX_NO_FUNCTIONS_DIR',
  })
}

/** The candidate closest to `word` when it is a likely typo, else undefined. */
function nearest(word, candidates) {
  const w = word.toLowerCase()
  let best
  let bestDistance = Infinity
  for (const c of candidates) {
    const l = c.toLowerCase()
    const d = w.length >= 3 && (l.startsWith(w) || w.startsWith(l)) ? Math.abs(l.length - w.length) / 10 : distance(w, l)
    if (d < bestDistance) [best, bestDistance] = [c, d]
  }
  return bestDistance <= Math.max(2, Math.floor(w.length / 3)) ? best : undefined
}

/** Levenshtein distance, one row at a time. */
function distance(a, b) {
  let row = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    const next = [i]
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    row = next
  }
  return row[b.length]
}

module.exports = { warnUnknownOptions, warnMissingFunctionsDir, nearest, KNOWN_OPTIONS }
