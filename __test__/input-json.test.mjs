// lib/input-json.js: a call's input as JSON.stringify writes it, long
// strings left for the core to escape — checked text for text, and end to
// end through a real function.
import test from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { FunctionRuntime, functionsDir } from './helpers.mjs'

const { inputJson } = createRequire(import.meta.url)('../lib/input-json.js')
const LONG = 1 << 20

/** The text the core makes of inputJson's answer (crates/core/src/json_escape.rs does the escaping). */
function joined(json) {
  if (!Array.isArray(json)) return json
  return json.map((part, i) => (i % 2 ? JSON.stringify(part).slice(1, -1) : part)).join('')
}

const tricky = `"\\/\b\f\n\r\t\u0000\u001f\u007f é 😀 \u2028\u2029 ${'z'.repeat(40)}`
const long = (s) => s.repeat(Math.ceil(LONG / s.length))

test('long strings are left out and everything else is JSON.stringify, text for text', () => {
  const dated = { toJSON: (key) => `toJSON(${key})` }
  const cases = [
    { data: long('x') },
    { i: 0, data: long(tricky), tail: [1, { n: null }], 'k"\\ey': long('é😀') },
    { __proto__: null, 2: 'two', 1: long('one'), b: undefined, f() {}, s: Symbol('s'), d: dated, n: -0, x: NaN },
    JSON.parse(`{"__proto__": "${long('p')}", "a": 1}`),
    { lone: `${long('x')}\ud800`, ok: long('y') },
  ]
  for (const input of cases) {
    const json = inputJson(input)
    assert.ok(Array.isArray(json), 'a long string is left out')
    assert.ok(joined(json) === JSON.stringify(input), `differs for keys ${Object.keys(input)}`)
  }
  assert.ok(inputJson(cases[2]).join('').includes('"d":"toJSON(d)"'), 'toJSON gets its key')
})

test('inputs it does not look into go to JSON.stringify whole', () => {
  class Box {
    constructor() {
      this.data = long('x')
    }
  }
  const proxy = new Proxy({ data: long('x') }, {})
  const many = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, i ? i : long('x')]))
  for (const input of [new Box(), proxy, { toJSON: () => long('x') }, many, [long('x')], long('x'), { small: 'x' }, 5, null]) {
    const json = inputJson(input)
    assert.equal(typeof json, 'string')
    assert.ok(json === JSON.stringify(input))
  }
})

test('each top-level value is read once, as JSON.stringify reads it', () => {
  let reads = 0
  const input = {
    get data() {
      reads++
      return long('x')
    },
  }
  assert.ok(joined(inputJson(input)) === JSON.stringify({ data: long('x') }))
  assert.equal(reads, 1)
  reads = 0
  inputJson({
    get small() {
      return ++reads
    },
  })
  assert.equal(reads, 1)
})

test('a function receives long strings with every character that needs escaping intact', async () => {
  const dir = functionsDir({
    'echo/index.js': `const c=[];process.stdin.on('data',d=>c.push(d)).on('end',()=>process.stdout.write(JSON.stringify({success:true,output:JSON.parse(Buffer.concat(c)).input})))`,
  })
  const rt = new FunctionRuntime({ functionsDir: dir })
  try {
    const input = { a: long(tricky), b: [1, 'two'], c: long('é😀\u2028') }
    const res = await rt.invoke('echo', input)
    assert.equal(res.success, true, res.error?.message)
    assert.ok(JSON.stringify(res.output) === JSON.stringify(input), 'the echo differs')
  } finally {
    await rt.close()
  }
})

test('without String.prototype.isWellFormed (Node 18) every input goes to JSON.stringify whole', () => {
  const script = `delete String.prototype.isWellFormed
const { inputJson } = require(${JSON.stringify(createRequire(import.meta.url).resolve('../lib/input-json.js'))})
const input = { data: 'x'.repeat(${LONG}) }
const json = inputJson(input)
process.stdout.write(String(typeof json === 'string' && json === JSON.stringify(input)))`
  assert.equal(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }), 'true')
})
