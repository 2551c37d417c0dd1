// Every example function, invoked through the runtime exactly as a user
// would, and `npm run demo` run as a child process.
import test from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { FunctionRuntime, needs, root } from './helpers.mjs'

const functionsDir = path.join(root, 'examples', 'functions')
const COMMAND_OF = { node: 'node', deno: 'deno', bun: 'bun', python: 'python3', go: 'go', ruby: 'ruby', binary: 'sh' }
const rt = new FunctionRuntime({ functionsDir, timeoutMs: 120_000 })
test.after(() => rt.close())

const describe = (res) => JSON.stringify({ error: res.error, logs: res.logs }, null, 1)

test('every example directory is a valid function with a manifest', () => {
  const dirs = fs
    .readdirSync(functionsDir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
  assert.deepEqual(rt.diagnostics(), [])
  assert.deepEqual(
    rt.list().map((f) => f.name),
    dirs.sort(),
  )
  for (const fn of rt.list()) {
    assert.equal(fn.hasManifest, true, fn.name)
    assert.ok(fn.description, `${fn.name} has a description`)
  }
})

for (const runtime of ['node', 'deno', 'bun', 'python', 'go', 'ruby', 'binary']) {
  const name = `hello-${runtime}`
  test(`${name} says hello with a structured log`, needs(COMMAND_OF[runtime]), async () => {
    assert.equal(rt.get(name).runtime, runtime)
    const res = await rt.invoke(name, { name: 'Ada' })
    assert.equal(res.success, true, describe(res))
    assert.equal(res.output.message, 'Hello, Ada!')
    assert.equal(res.output.runtime, runtime)
    const greeting = res.logs.find((l) => l.message === 'greeting')
    assert.deepEqual(greeting?.data, { name: 'Ada' }, describe(res))
  })
}

test('raw-node speaks the protocol without an SDK', async () => {
  const res = await rt.invoke('raw-node', { name: 'Ada' }, { requestId: 'raw-1', timeoutMs: 5000 })
  assert.equal(res.success, true, describe(res))
  assert.equal(res.output.message, 'Hello, Ada!')
  assert.equal(res.output.requestId, 'raw-1')
  assert.ok(res.output.deadlineMs > Date.now())
  assert.equal(res.logs[0].level, 'info')
})

test('build-step runs its build and serves the built output', async () => {
  const info = rt.get('build-step')
  assert.equal(info.entry, path.join(functionsDir, 'build-step', 'dist', 'index.mjs'))
  assert.equal(info.build.command, 'sh')
  const res = await rt.invoke('build-step', { name: 'Ada' })
  assert.equal(res.success, true, describe(res))
  assert.equal(res.output.message, 'Hello, Ada!')
  assert.match(res.output.build.builtAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
  assert.ok(fs.existsSync(info.entry))
})

test('validate-signup fails with the typed VALIDATION_ERROR, and accepts a good signup', needs('python3'), async () => {
  const bad = await rt.invoke('validate-signup', { email: 'nope', password: 'long enough' })
  assert.equal(bad.success, false)
  assert.equal(bad.error.code, 'VALIDATION_ERROR')
  assert.equal(bad.error.details.field, 'email')
  assert.equal(bad.exitCode, 1)
  const good = await rt.invoke('validate-signup', { email: 'ada@example.com', password: 'correct horse' })
  assert.deepEqual(good.output, { accepted: true, email: 'ada@example.com' })
})

test('todos declares its routes and serves GET and POST (the HTTP input of docs/HTTP.md)', async () => {
  assert.deepEqual(rt.get('todos').routes, [
    { path: '/todos', methods: ['GET', 'POST'] },
    { path: '/todos/:id', methods: ['GET', 'PATCH', 'DELETE'] },
  ])
  const list = await rt.invoke('todos', { method: 'GET' })
  assert.equal(list.output.todos.length, 2)
  const created = await rt.invoke('todos', { method: 'POST', body: '{"title":"Ship it"}' }, { auth: { id: 'u7' } })
  assert.equal(created.output.status, 201)
  assert.deepEqual(created.output.body.todo, { id: 3, title: 'Ship it', done: false, owner: 'u7' })
  const invalid = await rt.invoke('todos', { method: 'POST', body: '{}' })
  assert.equal(invalid.error.code, 'VALIDATION_ERROR')
  assert.equal(invalid.error.details.status, 422)
})

test('npm run demo: every example behaves, exit code 0, one row each', async () => {
  const { stdout } = await promisify(execFile)(process.execPath, [path.join(root, 'examples', 'demo.mjs')], {
    env: { ...process.env, NO_COLOR: '1' },
  })
  for (const fn of rt.list()) assert.match(stdout, new RegExp(`^${fn.name}\\s+${fn.runtime}\\s`, 'm'))
  assert.match(stdout, /VALIDATION_ERROR \(expected\)/)
  assert.match(stdout, /examples behaved as expected/)
  assert.match(stdout, /GET \/todos\/1 .* 200 /)
  assert.match(stdout, /POST \/webhooks\/github-webhook \(signed\) .* 200 .*"verified":true/)
  assert.match(stdout, /POST \/webhooks\/github-webhook \(forged\) .* 401 /)
  assert.match(stdout, /heartbeat\/every-2s every 2s[^\n]*\n  fired at \S+: \{"beat":/)
  for (const mode of ['one-shot', 'standby', 'worker']) assert.match(stdout, new RegExp(`^${mode}\\s+[\\d.]+\\s`, 'm'))
})
