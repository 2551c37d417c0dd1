// Deep JSON in a response (CONTRACT §14): `output`, `error.details` and
// `logs[].data` nested up to 1,000 levels keep the response; deeper is
// INVALID_OUTPUT saying the nesting is too deep, never a crash or a reject.
import test from 'node:test'
import assert from 'node:assert/strict'
import { FunctionRuntime, functionsDir } from './helpers.mjs'

// A node function that nests `levels` arrays at the place `where` names.
const nester = (where, levels) => `
const nest = (n) => { let v = 1; for (let i = 0; i < n; i++) v = [v]; return v }
const deep = nest(${levels})
const responses = {
  details: { success: false, error: { code: 'DEEP', message: 'deep', details: { d: nest(${levels} - 1) } } },
  data: { success: true, output: 'ok', logs: [{ level: 'info', message: 'deep', data: { d: nest(${levels} - 1) } }] },
  output: { success: true, output: deep },
}
process.stdout.write(JSON.stringify(responses['${where}']))
`

const files = {}
for (const where of ['details', 'data', 'output']) {
  files[`${where}1000/index.js`] = nester(where, 1000)
  files[`${where}1200/index.js`] = nester(where, 1200)
}
const rt = new FunctionRuntime({ functionsDir: functionsDir(files) })
test.after(() => rt.close())

const depth = (v) => (Array.isArray(v) ? 1 + depth(v[0]) : 0)

test('error.details nested 1,000 levels keeps the function error', async () => {
  const res = await rt.invoke('details1000')
  assert.equal(res.error?.code, 'DEEP', JSON.stringify(res.error).slice(0, 300))
  assert.equal(depth(res.error.details.d), 999)
})

test('logs[].data nested 1,000 levels keeps the response', async () => {
  const res = await rt.invoke('data1000')
  assert.equal(res.success, true, JSON.stringify(res.error)?.slice(0, 300))
  assert.equal(depth(res.logs.find((l) => l.message === 'deep').data.d), 999)
})

test('output nested 1,000 levels comes back whole', async () => {
  const res = await rt.invoke('output1000')
  assert.equal(res.success, true)
  assert.equal(depth(res.output), 1000)
})

for (const where of ['details', 'data', 'output']) {
  test(`${where} nested 1,200 levels → INVALID_OUTPUT saying it is too deep`, async () => {
    const res = await rt.invoke(`${where}1200`)
    assert.equal(res.error?.code, 'INVALID_OUTPUT')
    assert.match(res.error.message, /nested too deep/)
  })
}
