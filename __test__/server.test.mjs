// examples/server/server.mjs (createNodeHandler) and examples/deno/server.ts
// (createFetchHandler on Deno.serve) as real processes: the todos routes,
// a signed webhook, status per outcome with bodies that leak nothing,
// dev-mode watching, and a clean stop on SIGTERM/SIGINT.
import test from 'node:test'
import assert from 'node:assert/strict'
import path from 'node:path'
import { spawn } from 'node:child_process'
import { createHmac } from 'node:crypto'
import { once } from 'node:events'
import { functionsDir, needs, root, sh, waitFor, writeFiles } from './helpers.mjs'

const serverScript = path.join(root, 'examples', 'server', 'server.mjs')

/** Starts a server process; resolves once it prints its URL. */
async function startServer(command, args, env = {}) {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } })
  const server = { child, stdout: '' }
  child.stdout.setEncoding('utf8').on('data', (d) => (server.stdout += d))
  child.stderr.setEncoding('utf8').on('data', (d) => (server.stdout += d))
  try {
    server.url = await waitFor(() => /[Ll]istening on (http:\/\/127\.0\.0\.1:\d+)/.exec(server.stdout)?.[1], { timeoutMs: 30_000 })
  } catch (err) {
    child.kill('SIGKILL')
    throw new Error(`${err.message}; output: ${server.stdout}`)
  }
  server.stop = async (signal = 'SIGTERM') => {
    const exited = once(child, 'exit')
    child.kill(signal)
    const [code, sig] = await exited
    return { code, signal: sig }
  }
  return server
}

async function call(url, init) {
  const res = await fetch(url, init)
  const text = await res.text()
  return { status: res.status, headers: res.headers, text, body: JSON.parse(text) }
}

const signed = (body, secret) => ({
  method: 'POST',
  body,
  headers: { 'X-Hub-Signature-256': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`, 'X-GitHub-Event': 'push' },
})

test('examples server: routes, a signed webhook, status per outcome, clean SIGTERM', async () => {
  const server = await startServer(process.execPath, [serverScript, '--port', '0'], { GITHUB_WEBHOOK_SECRET: 'test-secret' })
  try {
    const list = await call(`${server.url}/todos`)
    assert.equal(list.status, 200)
    assert.equal(list.body.todos.length, 2)
    assert.match(list.headers.get('x-request-id'), /^[0-9a-f-]{36}$/)

    const one = await call(`${server.url}/todos/2`)
    assert.equal(one.body.todo.id, 2)
    const missing = await call(`${server.url}/todos/99`)
    assert.equal(missing.status, 404)
    assert.deepEqual(missing.body, { error: { code: 'NOT_FOUND', message: 'no todo 99' } })

    const created = await call(`${server.url}/todos`, { method: 'POST', body: JSON.stringify({ title: 'ship it' }) })
    assert.equal(created.status, 201)
    assert.equal(created.headers.get('location'), '/todos/3')
    assert.equal(created.body.todo.title, 'ship it')

    const invalid = await call(`${server.url}/todos`, { method: 'POST', body: '{}' })
    assert.equal(invalid.status, 422)
    assert.deepEqual(invalid.body, { error: { code: 'VALIDATION_ERROR', message: 'title is required' } })

    const wrong = await call(`${server.url}/todos`, { method: 'PUT' })
    assert.equal(wrong.status, 405)
    assert.equal(wrong.headers.get('allow'), 'GET, HEAD, POST')
    assert.equal((await call(`${server.url}/api/functions/hello-node`, { method: 'POST' })).status, 404, 'no RPC endpoint: only declared routes')

    const body = JSON.stringify({ ref: 'refs/heads/main' })
    const hook = await call(`${server.url}/webhooks/github-webhook`, signed(body, 'test-secret'))
    assert.equal(hook.status, 200, hook.text)
    assert.deepEqual(hook.body, { received: 'push', verified: true, ref: 'refs/heads/main' })
    const forged = await call(`${server.url}/webhooks/github-webhook`, signed(body, 'guessed'))
    assert.equal(forged.status, 401)
    assert.equal((await call(`${server.url}/_functions`)).status, 404, '/_functions is for --dev only')
  } finally {
    const { code } = await server.stop('SIGTERM')
    assert.equal(code, 0)
    assert.match(server.stdout, /SIGTERM: stopping\nstopped\n/)
  }
})

test('dev server: 504, 500 without leaks, routes of new functions picked up live, clean SIGINT', async () => {
  const dir = functionsDir({
    'slow/bootstrap': sh('sleep 5'),
    'slow/manifest.yaml': 'name: slow\ntimeout: 300ms\nroutes: [{ path: /slow, methods: [GET] }]\n',
    'crash/bootstrap': sh('echo "Error: cannot connect to postgres://app:hunter2@10.0.0.5/app (/srv/app/db.js:12)" >&2; exit 3'),
    'crash/manifest.yaml': 'name: crash\nroutes: [{ path: /crash, methods: [GET] }]\n',
    'beat/bootstrap': sh(`cat >/dev/null; echo '{"success":true}'`),
    'beat/manifest.yaml': 'name: beat\nschedules: [{ name: fast, type: interval, expression: 300ms }]\n',
  })
  const server = await startServer(process.execPath, [serverScript, '--port', '0', '--dev', '--schedules', '--dir', dir])
  try {
    const slow = await call(`${server.url}/slow`)
    assert.equal(slow.status, 504)
    assert.deepEqual(slow.body, { error: { code: 'TIMEOUT', message: 'the function did not answer in time' } })

    const crash = await call(`${server.url}/crash`)
    assert.equal(crash.status, 500)
    assert.deepEqual(crash.body, { error: { code: 'EXIT_ERROR', message: 'the function failed' } })
    for (const leak of ['hunter2', 'postgres', '/srv/', dir]) assert.ok(!crash.text.includes(leak), leak)

    writeFiles(dir, {
      'late/bootstrap': sh(`cat >/dev/null; echo '{"success":true,"output":"late"}'`),
      'late/manifest.yaml': 'name: late\nroutes: [{ path: /late, methods: [GET] }]\n',
    })
    await waitFor(() => /\[watch\] added late/.test(server.stdout))
    const late = await call(`${server.url}/late`)
    assert.equal(late.status, 200)
    assert.equal(late.body, 'late')
    const listed = await call(`${server.url}/_functions`)
    assert.deepEqual(
      listed.body.functions.map((f) => f.name),
      ['beat', 'crash', 'late', 'slow'],
    )
    await waitFor(() => /\[schedule\] beat\/fast \S+ ok/.test(server.stdout))
    assert.equal(listed.body.functions[0].dir, undefined, 'server paths are not exposed')
  } finally {
    const { code } = await server.stop('SIGINT')
    assert.equal(code, 0)
  }
})

test('examples/deno/server.ts: createFetchHandler on Deno.serve', needs('deno'), async () => {
  const script = path.join(root, 'examples', 'deno', 'server.ts')
  const permissions = ['--allow-read', '--allow-env', '--allow-ffi', '--allow-net=127.0.0.1']
  const server = await startServer('deno', ['run', ...permissions, script], { PORT: '0', GITHUB_WEBHOOK_SECRET: 'deno-secret' })
  try {
    const list = await call(`${server.url}/todos`)
    assert.equal(list.status, 200)
    assert.equal(list.body.todos.length, 2)
    const hook = await call(`${server.url}/webhooks/github-webhook`, signed('{}', 'deno-secret'))
    assert.equal(hook.status, 200, hook.text)
    assert.equal(hook.body.verified, true)
  } finally {
    await server.stop('SIGTERM')
  }
})
