// examples/server/server.mjs as a real process: status codes per outcome,
// the function list, dev-mode watching, and a clean stop on SIGTERM/SIGINT.
import test from 'node:test'
import assert from 'node:assert/strict'
import path from 'node:path'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { functionsDir, root, sh, waitFor, writeFiles } from './helpers.mjs'

const serverScript = path.join(root, 'examples', 'server', 'server.mjs')

/** Starts the server on an ephemeral port; resolves once it prints its URL. */
async function startServer(...args) {
  const child = spawn(process.execPath, [serverScript, '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'inherit'] })
  const server = { child, stdout: '' }
  child.stdout.setEncoding('utf8').on('data', (d) => (server.stdout += d))
  try {
    server.url = await waitFor(() => /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(server.stdout)?.[1])
  } catch (err) {
    child.kill('SIGKILL')
    throw err
  }
  server.stop = async (signal = 'SIGTERM') => {
    const exited = once(child, 'exit')
    child.kill(signal)
    const [code, sig] = await exited
    return { code, signal: sig }
  }
  return server
}

async function post(url, body) {
  const res = await fetch(url, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body) })
  return { status: res.status, body: await res.json(), headers: res.headers }
}

test('examples server: status per outcome, the function list, clean SIGTERM', async () => {
  const server = await startServer()
  try {
    const api = `${server.url}/api/functions`
    const hello = await post(`${api}/hello-node`, { name: 'Ada' })
    assert.equal(hello.status, 200)
    assert.equal(hello.body.output.message, 'Hello, Ada!')
    assert.equal(hello.headers.get('x-request-id'), hello.body.requestId)

    const missing = await post(`${api}/no-such-function`, {})
    assert.equal(missing.status, 404)
    assert.equal(missing.body.error.code, 'FUNCTION_NOT_FOUND')

    const typed = await post(`${api}/validate-signup`, { email: 'nope' })
    assert.equal(typed.status, 400)
    assert.equal(typed.body.error.code, 'VALIDATION_ERROR')

    const badJson = await post(`${api}/hello-node`, '{not json')
    assert.equal(badJson.status, 400)
    assert.equal(badJson.body.error.code, 'INVALID_INPUT')

    const badName = await post(`${api}/bad.name`, {})
    assert.equal(badName.status, 400)
    assert.equal(badName.body.error.code, 'INVALID_FUNCTION_NAME')

    const wrongMethod = await fetch(`${api}/hello-node`)
    assert.equal(wrongMethod.status, 405)
    assert.equal(wrongMethod.headers.get('allow'), 'POST')

    const list = await (await fetch(api)).json()
    const names = list.functions.map((f) => f.name)
    assert.ok(names.includes('hello-node') && names.includes('todos'), names.join())
    const todos = list.functions.find((f) => f.name === 'todos')
    assert.equal(todos.routes[0].path, '/todos')
    assert.equal(todos.dir, undefined, 'server paths are not exposed')
  } finally {
    const { code } = await server.stop('SIGTERM')
    assert.equal(code, 0)
    assert.match(server.stdout, /SIGTERM: stopping\nstopped\n/)
  }
})

test('dev server: 504 on timeout, 500 on a crash, new functions picked up live, clean SIGINT', async () => {
  const dir = functionsDir({
    'slow/bootstrap': sh('sleep 5'),
    'slow/manifest.yaml': 'name: slow\ntimeout: 300ms\n',
    'crash/bootstrap': sh('echo "exploded" >&2; exit 3'),
  })
  const server = await startServer('--dev', '--dir', dir)
  try {
    const api = `${server.url}/api/functions`
    const slow = await post(`${api}/slow`, {})
    assert.equal(slow.status, 504)
    assert.equal(slow.body.error.code, 'TIMEOUT')

    const crash = await post(`${api}/crash`, {})
    assert.equal(crash.status, 500)
    assert.equal(crash.body.error.code, 'EXIT_ERROR')

    writeFiles(dir, { 'late/bootstrap': sh(`cat >/dev/null; echo '{"success":true,"output":"late"}'`) })
    await waitFor(() => /\[watch\] added late/.test(server.stdout))
    const late = await post(`${api}/late`, {})
    assert.equal(late.status, 200)
    assert.equal(late.body.output, 'late')
  } finally {
    const { code } = await server.stop('SIGINT')
    assert.equal(code, 0)
  }
})
