// createNodeHandler on a real node:http server (ephemeral port): routing,
// the function's input, output mapping, the status of each outcome, webhook
// signatures, body limits, auth, next(), and a client that hangs up.
// The fetch handler under Deno and Bun: __test__/hosts/http.ts.
import test from 'node:test'
import assert from 'node:assert/strict'
import http from 'node:http'
import fs from 'node:fs'
import path from 'node:path'
import { createHmac } from 'node:crypto'
import { once } from 'node:events'
import { createRequire } from 'node:module'
import { alyx, FunctionRuntime, functionsDir, isSameProcessAlive, root, sh, startTimeOf, waitFor } from './helpers.mjs'

const { createNodeHandler } = alyx

// Echoes what it was given; `?mode=` picks a response shape.
const ECHO = `
let text = ''
for await (const chunk of process.stdin) text += chunk
const req = JSON.parse(text)
const mode = req.input.query.mode
const outputs = {
  shaped: { status: 201, headers: { 'X-Custom': 'yes', 'Content-Length': '1', 'Bad Name': 'x', 'x-multi': ['a', 'b'] }, body: 'created' },
  json: { status: 202, body: { queued: true } },
  empty: { status: 204 },
  notResponse: { status: 'ok' },
}
const output = mode in outputs ? outputs[mode] : { input: req.input, auth: req.context.auth ?? null }
console.log(JSON.stringify({ success: true, output }))
`
const LEAK = 'postgres://admin:hunter2@db.internal:5432/app'
const WEBHOOKS = `hooks:
  - type: webhook
    verification:
      type: hmac-sha256
      header: X-Hub-Signature-256
      secret: \${ALYX_HTTP_TEST_SECRET}
  - type: webhook
    verification: { type: hmac-sha1, header: X-Signature, secret: legacy-secret }
    config: { path: /hooks/legacy, methods: [POST, PUT] }
`

function fixtures() {
  return functionsDir({
    'echo/index.mjs': ECHO,
    'echo/manifest.yaml': `name: echo
routes:
  - { path: /items/:id, methods: [GET, POST, PUT] }
  - { path: /files/*, methods: [GET] }
  - { path: /shape, methods: [GET] }
${WEBHOOKS}`,
    'crash/bootstrap': sh(`echo "Error: connect ${LEAK} failed in /srv/app/secret.js" >&2; exit 3`),
    'crash/manifest.yaml': 'name: crash\nroutes: [{ path: /crash, methods: [POST] }]\n',
    'garbage/bootstrap': sh('cat >/dev/null; echo "not json, from /srv/app/garbage.js"'),
    'garbage/manifest.yaml': 'name: garbage\nroutes: [{ path: /garbage, methods: [GET] }]\n',
    'killed/bootstrap': sh('kill -9 $$'),
    'killed/manifest.yaml': 'name: killed\nroutes: [{ path: /killed, methods: [GET] }]\n',
    'sleepy/bootstrap': sh('sleep 5'),
    'sleepy/manifest.yaml': 'name: sleepy\ntimeout: 300ms\nroutes: [{ path: /sleepy, methods: [GET] }]\n',
    'refuse/bootstrap': sh(`echo '{"success":false,"error":{"code":"VALIDATION_ERROR","message":"email is invalid","details":{"status":422}}}'`),
    'refuse/manifest.yaml': 'name: refuse\nroutes: [{ path: /refuse, methods: [POST] }]\n',
    'refuse-plain/bootstrap': sh(`echo '{"success":false,"error":{"code":"NOPE","message":"no","details":{"status":200}}}'`),
    'refuse-plain/manifest.yaml': 'name: refuse-plain\nroutes: [{ path: /refuse-plain, methods: [POST] }]\n',
    'gone/bootstrap': sh('echo \'{"success":true}\''),
    'gone/manifest.yaml': 'name: gone\nroutes: [{ path: /gone, methods: [GET] }]\n',
    'hang/bootstrap': sh('echo $$ > "$PID_FILE"; sleep 60'),
    'hang/manifest.yaml': 'name: hang\nroutes: [{ path: /hang, methods: [GET] }]\nenv:\n  PID_FILE: ${ALYX_HTTP_TEST_PID_FILE}\n',
    'dup-a/bootstrap': sh('echo \'{"success":true,"output":"a"}\''),
    'dup-a/manifest.yaml': 'name: dup-a\nroutes: [{ path: /dup, methods: [GET] }]\n',
    'dup-b/bootstrap': sh('echo \'{"success":true,"output":"b"}\''),
    'dup-b/manifest.yaml': 'name: dup-b\nroutes: [{ path: /dup/, methods: [GET, DELETE] }]\n',
  })
}

async function listen(handler) {
  const server = http.createServer(handler)
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return { server, url: `http://127.0.0.1:${server.address().port}` }
}

async function call(url, init = {}) {
  const res = await fetch(url, init)
  const text = await res.text()
  let body = null
  try {
    body = JSON.parse(text)
  } catch {}
  return { status: res.status, headers: res.headers, text, body }
}

const sign = (algo, secret, body) => createHmac(algo, secret).update(body).digest('hex')

process.env.ALYX_HTTP_TEST_SECRET = 's3cret'

test('createNodeHandler on node:http: routes, input, outputs, status per outcome, webhooks, limits', async (t) => {
  const dir = fixtures()
  const pidFile = path.join(dir, 'hang.pid')
  process.env.ALYX_HTTP_TEST_PID_FILE = pidFile
  const rt = new FunctionRuntime({ functionsDir: dir })
  const handler = createNodeHandler(rt, {
    maxBodyBytes: 1024,
    auth: (req) => (req.headers['x-user'] ? { id: req.headers['x-user'], role: 'tester' } : null),
  })
  const { server, url } = await listen(handler)
  t.after(async () => {
    server.closeAllConnections()
    server.close()
    await rt.close()
  })

  await t.test('params, query, headers, body, auth', async () => {
    const r = await call(`${url}/items/a%20b?x=1&x=2&y=%C3%A9`, { method: 'POST', body: 'raw text', headers: { 'X-User': 'u1', 'X-Extra': 'E' } })
    assert.equal(r.status, 200, r.text)
    assert.equal(r.headers.get('content-type'), 'application/json; charset=utf-8')
    assert.match(r.headers.get('x-request-id'), /^[0-9a-f-]{36}$/)
    const { input, auth } = r.body
    assert.equal(input.method, 'POST')
    assert.equal(input.path, '/items/a%20b')
    assert.deepEqual(input.params, { id: 'a b' })
    assert.deepEqual(input.query, { x: '1', y: 'é' })
    assert.equal(input.headers['x-extra'], 'E')
    assert.equal(input.body, 'raw text')
    assert.equal('verified' in input, false, 'verified is for webhooks only')
    assert.deepEqual(auth, { id: 'u1', role: 'tester' })
    const files = await call(`${url}/files/a/b.txt`)
    assert.deepEqual(files.body.input.params, { '*': 'a/b.txt' })
    assert.equal(files.body.auth, null)
  })

  await t.test('{status, headers, body} outputs are the response; anything else is 200 JSON', async () => {
    const shaped = await call(`${url}/shape?mode=shaped`)
    assert.equal(shaped.status, 201)
    assert.equal(shaped.text, 'created')
    assert.equal(shaped.headers.get('x-custom'), 'yes')
    assert.equal(shaped.headers.get('x-multi'), 'a, b')
    assert.equal(shaped.headers.get('content-length'), '7', "framing headers stay the server's")
    assert.equal(shaped.headers.get('content-type'), 'text/plain; charset=utf-8')
    const json = await call(`${url}/shape?mode=json`)
    assert.equal(json.status, 202)
    assert.deepEqual(json.body, { queued: true })
    assert.equal(json.headers.get('content-type'), 'application/json; charset=utf-8')
    const empty = await call(`${url}/shape?mode=empty`)
    assert.equal(empty.status, 204)
    assert.equal(empty.text, '')
    const plain = await call(`${url}/shape?mode=notResponse`)
    assert.equal(plain.status, 200)
    assert.deepEqual(plain.body, { status: 'ok' })
  })

  await t.test('404, 405 with Allow, 413, and a route claimed twice', async () => {
    const none = await call(`${url}/nowhere`)
    assert.equal(none.status, 404)
    assert.deepEqual(none.body, { error: { code: 'ROUTE_NOT_FOUND', message: 'no route matches this path' } })
    const wrong = await call(`${url}/items/1`, { method: 'DELETE' })
    assert.equal(wrong.status, 405)
    assert.equal(wrong.headers.get('allow'), 'GET, HEAD, POST, PUT')
    assert.equal(wrong.body.error.code, 'METHOD_NOT_ALLOWED')
    const head = await fetch(`${url}/items/1`, { method: 'HEAD' })
    assert.equal(head.status, 200, 'HEAD is served by the GET route')
    assert.equal(head.headers.get('content-type'), 'application/json; charset=utf-8')
    assert.equal(await head.text(), '')
    const hookGet = await call(`${url}/webhooks/echo`)
    assert.equal(hookGet.status, 405, 'a GET on a POST-only webhook')
    assert.equal(hookGet.headers.get('allow'), 'POST')
    const big = await call(`${url}/items/1`, { method: 'POST', body: 'x'.repeat(1025) })
    assert.equal(big.status, 413)
    assert.equal(big.body.error.code, 'PAYLOAD_TOO_LARGE')
    assert.equal((await chunkedPost(`${url}/items/1`, 3, 600)).status, 413, 'a chunked body counts too')
    assert.equal((await call(`${url}/items/1`, { method: 'POST', body: 'x'.repeat(1024) })).status, 200)
    assert.equal((await call(`${url}/dup`)).body, 'a', 'the first name wins')
    assert.equal((await call(`${url}/dup`, { method: 'DELETE' })).body, 'b')
    const diag = rt.diagnostics().find((d) => d.name === 'dup-b')
    assert.match(diag.message, /GET \/dup\/ is also claimed by function "dup-a"/)
  })

  await t.test('status per outcome; error bodies carry no logs, stack or path', async () => {
    const cases = [
      ['POST', '/crash', 500, 'EXIT_ERROR'],
      ['GET', '/garbage', 500, 'INVALID_OUTPUT'],
      ['GET', '/killed', 500, 'KILLED'],
      ['GET', '/sleepy', 504, 'TIMEOUT'],
      ['POST', '/refuse', 422, 'VALIDATION_ERROR'],
      ['POST', '/refuse-plain', 400, 'NOPE'],
    ]
    for (const [method, p, status, code] of cases) {
      const r = await call(`${url}${p}`, { method, body: method === 'POST' ? '{}' : undefined })
      assert.equal(r.status, status, `${p}: ${r.text}`)
      assert.equal(r.body.error.code, code, p)
      assert.deepEqual(Object.keys(r.body), ['error'])
      assert.deepEqual(Object.keys(r.body.error).sort(), ['code', 'message'])
      for (const leak of ['hunter2', 'postgres://', '/srv/', dir, 'Error:', 'not json']) {
        assert.ok(!r.text.includes(leak), `${p} leaks ${leak}: ${r.text}`)
      }
    }
    assert.equal((await call(`${url}/refuse`, { method: 'POST' })).body.error.message, 'email is invalid', "a function's own message is kept")
    fs.rmSync(path.join(dir, 'gone'), { recursive: true })
    const gone = await call(`${url}/gone`)
    assert.equal(gone.status, 404)
    assert.deepEqual(gone.body, { error: { code: 'FUNCTION_NOT_FOUND', message: 'no such function' } })
  })

  await t.test('webhooks: sha256 (bare and sha256= prefixed), sha1, invalid and missing signatures', async () => {
    const body = JSON.stringify({ event: 'push' })
    const sha256 = sign('sha256', 's3cret', body)
    for (const signature of [sha256, `sha256=${sha256}`]) {
      const ok = await call(`${url}/webhooks/echo`, { method: 'POST', body, headers: { 'X-Hub-Signature-256': signature } })
      assert.equal(ok.status, 200, ok.text)
      assert.equal(ok.body.input.verified, true)
      assert.equal(ok.body.input.body, body)
    }
    const legacy = await call(`${url}/hooks/legacy`, { method: 'PUT', body, headers: { 'X-Signature': sign('sha1', 'legacy-secret', body) } })
    assert.equal(legacy.status, 200, legacy.text)
    assert.equal(legacy.body.input.verified, true)
    const bad = [
      { 'X-Hub-Signature-256': sign('sha256', 'wrong', body) },
      { 'X-Hub-Signature-256': sha256.slice(0, 40) },
      { 'X-Hub-Signature-256': sign('sha1', 's3cret', body) },
      { 'X-Signature': sha256 },
      {},
    ]
    for (const headers of bad) {
      const r = await call(`${url}/webhooks/echo`, { method: 'POST', body, headers })
      assert.equal(r.status, 401, JSON.stringify(headers))
      assert.deepEqual(r.body, { error: { code: 'UNAUTHORIZED', message: 'missing or invalid signature' } })
    }
    const tampered = await call(`${url}/webhooks/echo`, { method: 'POST', body: `${body} `, headers: { 'X-Hub-Signature-256': sha256 } })
    assert.equal(tampered.status, 401)
  })

  await t.test('a client that disconnects mid-call: the function process is gone', async () => {
    const req = http.get(`${url}/hang`)
    req.on('error', () => {})
    const pid = Number(await waitFor(() => fs.existsSync(pidFile) && fs.readFileSync(pidFile, 'utf8').trim()))
    const start = startTimeOf(pid)
    assert.ok(start, 'the function is running')
    req.destroy()
    await waitFor(() => !isSameProcessAlive(pid, start), { timeoutMs: 5000 })
  })
})

test('createNodeHandler: prefix, next() for no match, a throwing auth hook', async (t) => {
  const rt = new FunctionRuntime({ functionsDir: fixtures() })
  const errors = []
  const handler = createNodeHandler(rt, { prefix: '/api', onError: (e) => errors.push(e) })
  const failingAuth = createNodeHandler(rt, {
    auth: () => {
      throw new Error('auth backend /etc/secret down')
    },
    onError: (e) => errors.push(e),
  })
  const { server, url } = await listen(async (req, res) => {
    if (req.url.startsWith('/bare')) return failingAuth({ __proto__: req, url: req.url.slice(5) }, res)
    if (req.headers['x-parsed']) {
      // As express.json() leaves it: the stream consumed, the parsed body on req.body.
      let text = ''
      for await (const chunk of req) text += chunk
      req.body = JSON.parse(text)
    }
    handler(req, res, () => res.end('next'))
  })
  t.after(async () => {
    server.closeAllConnections()
    server.close()
    await rt.close()
  })
  const r = await call(`${url}/api/items/7`)
  assert.equal(r.body.input.path, '/items/7', 'path excludes the prefix')
  assert.equal((await call(`${url}/items/7`)).text, 'next')
  const parsed = await call(`${url}/api/items/7`, { method: 'POST', body: '{"a": 1}', headers: { 'x-parsed': '1' } })
  assert.equal(parsed.body.input.body, '{"a":1}', 'a body a parser already consumed: re-serialised, no hang')
  assert.equal((await call(`${url}/api/nowhere`)).text, 'next')
  assert.equal((await call(`${url}/apiitems/7`)).text, 'next')
  const failed = await call(`${url}/bare/items/7`)
  assert.equal(failed.status, 500)
  assert.deepEqual(failed.body, { error: { code: 'INTERNAL_ERROR', message: 'the server failed' } })
  assert.equal(errors.length, 1)
  assert.throws(() => createNodeHandler(rt, { prefix: 'api/' }), TypeError)
  assert.throws(() => createNodeHandler({}, {}), TypeError)
})

test('status and body for every outcome code of CONTRACT §3', () => {
  const { failureResponse } = createRequire(import.meta.url)(path.join(root, 'lib', 'http-responses.js'))
  const expected = {
    FUNCTION_NOT_FOUND: 404,
    INVALID_INPUT: 400,
    QUEUE_FULL: 503,
    TIMEOUT: 504,
    CANCELLED: 499,
    INVALID_FUNCTION_NAME: 500,
    INVALID_MANIFEST: 500,
    RUNTIME_NOT_FOUND: 500,
    SPAWN_FAILED: 500,
    BUILD_FAILED: 500,
    OUTPUT_TOO_LARGE: 500,
    MEMORY_LIMIT_EXCEEDED: 500,
    INVALID_OUTPUT: 500,
    EXIT_ERROR: 500,
    KILLED: 500,
    WORKER_START_FAILED: 500,
    SANDBOX_UNAVAILABLE: 500,
  }
  for (const [code, status] of Object.entries(expected)) {
    const secret = `stderr said ${LEAK} at /srv/x.js`
    const r = failureResponse({ code, message: secret, details: { status: 418, stderr: secret } })
    assert.equal(r.status, status, code)
    const body = JSON.parse(r.body)
    assert.equal(body.error.code, code)
    assert.ok(!r.body.includes('hunter2') && !r.body.includes('/srv/'), `${code}: ${r.body}`)
  }
  const own = (details) => failureResponse({ code: 'MINE', message: 'mine', details }).status
  assert.equal(own({ status: 409 }), 409)
  assert.equal(own({ status: 302 }), 400)
  assert.equal(own({ status: '409' }), 400)
  assert.equal(own(undefined), 400)
})

/** POSTs `count` chunks of `size` bytes without a Content-Length. */
function chunkedPost(url, count, size) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST' }, (res) => {
      res.resume()
      resolve({ status: res.statusCode })
    })
    req.on('error', reject)
    for (let i = 0; i < count; i++) req.write('x'.repeat(size))
    req.end()
  })
}
