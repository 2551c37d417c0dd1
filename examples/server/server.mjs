#!/usr/bin/env node
// The manifests' routes and webhooks, served with nothing but node:http and
// createNodeHandler (docs/HTTP.md).
//
//   node examples/server/server.mjs [--port 3000] [--dir examples/functions] [--dev] [--schedules]
//
//   GET /todos, POST /todos, GET /todos/1 …   the `routes` of examples/functions/todos
//   POST /webhooks/github-webhook              a webhook: signature checked before it runs
//   GET /_functions                            (--dev only) the functions and their routes
//
// What a client sees is decided by createNodeHandler: the function's response,
// or `{ "error": { "code", "message" } }` with a status per outcome (404 no
// route, 405 + Allow, 413, 401 bad signature, 504 timeout, 500 the function
// failed, the function's own code with its own status). Never a log line, a
// stack trace or a server path: those stay in this process's output.
//
// --dev (or NODE_ENV=development) watches the functions directory: new, changed
// and removed functions (and their routes) are picked up, build steps rerun.
// --schedules fires the manifests' schedules (docs/SCHEDULES.md) and logs each run.
// Listens on 127.0.0.1 only; --port 0 picks a free port.
import http from 'node:http'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { createNodeHandler, FunctionRuntime } from '../../index.js'

const { values: args } = parseArgs({
  options: {
    port: { type: 'string', default: process.env.PORT ?? '3000' },
    dir: { type: 'string', default: path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'functions') },
    dev: { type: 'boolean', default: process.env.NODE_ENV === 'development' },
    schedules: { type: 'boolean', default: false },
  },
})

// The webhook example's secret; a real deployment sets it in the environment.
process.env.GITHUB_WEBHOOK_SECRET ??= 'dev-secret'

const rt = new FunctionRuntime({ functionsDir: path.resolve(args.dir) })
const watcher = args.dev ? rt.watch(logWatchEvent) : null
const schedules = args.schedules
  ? rt.startSchedules({
      onRun: ({ function: fn, schedule, scheduledAt, result, skipped }) =>
        console.log(
          `[schedule] ${fn}/${schedule} ${new Date(scheduledAt).toISOString()} ${skipped ? 'skipped (still running)' : result.success ? 'ok' : result.error.code}`,
        ),
    })
  : null
const functions = createNodeHandler(rt, {
  // A real backend verifies its session or token here and returns the user.
  auth: () => null,
  // Handler failures go to the server's log, never to the client.
  onError: (err) => console.error('handler error:', err),
})

const server = http.createServer((req, res) => {
  const started = Date.now()
  res.on('finish', () => console.log(`${req.method} ${req.url} ${res.statusCode} ${Date.now() - started}ms`))
  if (args.dev && req.method === 'GET' && req.url === '/_functions') return sendList(res)
  functions(req, res)
})

// Names and routes only: directory paths stay on the server.
function sendList(res) {
  const list = rt.list().map(({ name, runtime, description, routes }) => ({ name, runtime, description, routes }))
  const text = JSON.stringify({ functions: list })
  res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) })
  res.end(text)
}

function logWatchEvent(event) {
  const what = [event.type, event.name, event.message].filter(Boolean).join(' ')
  const build = event.build ? ` (build ${event.build.success ? 'ok' : 'FAILED'} in ${event.build.durationMs}ms)` : ''
  console.log(`[watch] ${what}${build}`)
  if (event.build && !event.build.success) console.log(event.build.output)
}

let stopping = false
async function stop(signal) {
  if (stopping) return
  stopping = true
  console.log(`${signal}: stopping`)
  server.close()
  server.closeIdleConnections()
  await watcher?.close()
  await schedules?.stop() // no run starts after this
  await rt.close() // running functions end as CANCELLED
  await new Promise((resolve) => setImmediate(resolve)) // let their responses go out
  server.closeAllConnections()
  console.log('stopped')
}
process.on('SIGINT', stop)
process.on('SIGTERM', stop)

server.listen(Number(args.port), '127.0.0.1', () => {
  const { port } = server.address()
  console.log(`listening on http://127.0.0.1:${port}${args.dev ? ' (dev: watching for changes)' : ''}`)
  for (const d of rt.diagnostics()) console.log(`[diagnostic] ${d.name}: ${d.message}`)
})
