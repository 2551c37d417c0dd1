// createFetchHandler under a real server of each host: Deno.serve
// (http.deno.ts) and Bun.serve (http.bun.ts), run by
// scripts/test.d/10-hosts.sh. Node's own server is covered in
// __test__/http.test.mjs.
import { createHmac } from 'node:crypto'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { check, functionsDir, waitFor } from './smoke.ts'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import type * as Alyx from '../../index.d.ts'

const require = createRequire(import.meta.url)
const alyx: typeof Alyx = require(path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'index.js'))

/** Starts `handler` on 127.0.0.1, an ephemeral port; the host's own server. */
export type Serve = (handler: (req: Request) => Promise<Response>) => Promise<{ url: string; close(): Promise<void> }>

const ECHO = `
let text = ''
for await (const chunk of process.stdin) text += chunk
const req = JSON.parse(text)
if (req.input.query.mode === 'shaped') {
  console.log(JSON.stringify({ success: true, output: { status: 201, headers: { 'X-Custom': 'yes' }, body: 'created' } }))
} else {
  console.log(JSON.stringify({ success: true, output: { input: req.input, auth: req.context.auth ?? null } }))
}
`
const LEAK = 'postgres://admin:hunter2@db.internal/app'
const CRASH = `console.error('Error: cannot reach ${LEAK} from /srv/app/secret.js'); process.exit(3)\n`
// A heartbeat every 50 ms: once it stops, the process is gone (Deno may not
// read /proc without --allow-all, so no pid check here; Node's test has one).
const HANG = `setInterval(() => require('node:fs').writeFileSync(process.env.PID_FILE, String(Date.now())), 50)\n`

function fixtures(): { dir: string; pidFile: string } {
  const dir = functionsDir({ echo: ECHO, crash: CRASH })
  const pidFile = path.join(dir, 'hang.pid')
  fs.mkdirSync(path.join(dir, 'hang'))
  fs.writeFileSync(path.join(dir, 'hang', 'index.cjs'), HANG)
  const manifests: Record<string, string> = {
    echo: `name: echo
routes:
  - { path: /items/:id, methods: [GET, POST] }
hooks:
  - type: webhook
    verification:
      type: hmac-sha256
      header: X-Hub-Signature-256
      secret: host-secret
`,
    crash: 'name: crash\nroutes: [{ path: /crash, methods: [GET] }]\n',
    hang: `name: hang\nentry: index.cjs\nruntime: node\nroutes: [{ path: /hang, methods: [GET] }]\nenv:\n  PID_FILE: "${pidFile}"\n`,
  }
  for (const [name, text] of Object.entries(manifests)) fs.writeFileSync(path.join(dir, name, 'manifest.yaml'), text)
  return { dir, pidFile }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** True once the heartbeat file stops changing for 600 ms. */
async function heartbeatStopped(file: string): Promise<boolean> {
  const before = fs.readFileSync(file, 'utf8')
  await sleep(600)
  return fs.readFileSync(file, 'utf8') === before
}

export function httpCases(serve: Serve) {
  return [
    {
      name: 'createFetchHandler: routes, outputs, limits, webhooks, safe errors, client disconnect',
      async run() {
        const { dir, pidFile } = fixtures()
        const rt = new alyx.FunctionRuntime({ functionsDir: dir })
        const handler = alyx.createFetchHandler(rt, {
          prefix: '/api',
          maxBodyBytes: 64,
          auth: (req: Request) => (req.headers.get('x-user') ? { id: req.headers.get('x-user')! } : null),
        })
        const server = await serve(handler)
        try {
          const r = await fetch(`${server.url}/api/items/a%2Fb?q=1&q=2`, { method: 'POST', body: 'hi', headers: { 'x-user': 'u7', 'x-extra': 'E' } })
          const echoed = await r.json()
          check(r.status === 200, `echo status ${r.status}: ${JSON.stringify(echoed)}`)
          const input = echoed.input
          check(input.path === '/items/a%2Fb' && input.params.id === 'a/b', `path/params: ${JSON.stringify(input)}`)
          check(input.query.q === '1' && input.body === 'hi' && input.headers['x-extra'] === 'E', `query/body/headers: ${JSON.stringify(input)}`)
          check(echoed.auth?.id === 'u7' && !('verified' in input), `auth/verified: ${JSON.stringify(echoed)}`)

          const shaped = await fetch(`${server.url}/api/items/1?mode=shaped`)
          check(shaped.status === 201 && shaped.headers.get('x-custom') === 'yes' && (await shaped.text()) === 'created', 'shaped output')

          const none = await fetch(`${server.url}/api/nowhere`)
          check(none.status === 404 && (await none.json()).error.code === 'ROUTE_NOT_FOUND', 'no route → 404')
          const wrong = await fetch(`${server.url}/api/items/1`, { method: 'DELETE' })
          check(wrong.status === 405 && wrong.headers.get('allow') === 'GET, HEAD, POST', `405: ${wrong.status} ${wrong.headers.get('allow')}`)
          await wrong.body?.cancel()
          const big = await fetch(`${server.url}/api/items/1`, { method: 'POST', body: 'x'.repeat(65) })
          check(big.status === 413 && (await big.json()).error.code === 'PAYLOAD_TOO_LARGE', `413: ${big.status}`)

          const body = '{"event":"push"}'
          const sig = createHmac('sha256', 'host-secret').update(body).digest('hex')
          const hook = await fetch(`${server.url}/api/webhooks/echo`, { method: 'POST', body, headers: { 'X-Hub-Signature-256': `sha256=${sig}` } })
          const hooked = await hook.json()
          check(hook.status === 200 && hooked.input.verified === true && hooked.input.body === body, `webhook: ${JSON.stringify(hooked)}`)
          const badHeaders: Record<string, string>[] = [{ 'X-Hub-Signature-256': sig.replace(/^./, sig[0] === 'a' ? 'b' : 'a') }, {}]
          for (const headers of badHeaders) {
            const bad = await fetch(`${server.url}/api/webhooks/echo`, { method: 'POST', body, headers })
            check(bad.status === 401 && (await bad.json()).error.code === 'UNAUTHORIZED', `bad signature → ${bad.status}`)
          }

          const crash = await fetch(`${server.url}/api/crash`)
          const text = await crash.text()
          check(crash.status === 500 && JSON.parse(text).error.code === 'EXIT_ERROR', `crash: ${crash.status} ${text}`)
          for (const leak of ['hunter2', '/srv/', dir, 'Error:']) check(!text.includes(leak), `error body leaks ${leak}: ${text}`)

          const abort = new AbortController()
          const pending = fetch(`${server.url}/api/hang`, { signal: abort.signal }).catch(() => null)
          await waitFor(() => fs.existsSync(pidFile) && fs.readFileSync(pidFile, 'utf8').length > 0, 15_000, 'the hanging function to start')
          check(!(await heartbeatStopped(pidFile)), 'the function is running')
          abort.abort()
          await pending
          const end = Date.now() + 10_000
          while (!(await heartbeatStopped(pidFile))) check(Date.now() < end, 'the function still runs 10 s after the client disconnected')
        } finally {
          await server.close()
          await rt.close()
        }
      },
    },
  ]
}
