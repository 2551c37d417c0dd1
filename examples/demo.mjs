#!/usr/bin/env node
// `npm run demo`: runs every example function through the runtime and prints
// a table of function, runtime, outcome and time. Exits non-zero when an
// example does not do what it should — or, under CI=true, when a runtime is
// missing (locally a missing runtime is a loud row, not a failure).
import http from 'node:http'
import path from 'node:path'
import { createHmac } from 'node:crypto'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { createNodeHandler, FunctionRuntime } from '../index.js'

const here = path.dirname(fileURLToPath(import.meta.url))
const functionsDir = path.join(here, 'functions')
// Deno and Bun come as dev dependencies: the runtime finds them in
// node_modules/.bin above functionsDir, no global install needed.

// A sensible input per example; anything unlisted gets { name: "World" }.
const INPUTS = {
  'validate-signup': { email: 'not-an-email', password: 'short' },
  todos: { method: 'POST', body: JSON.stringify({ title: 'Try the demo' }) },
  'github-webhook': { headers: { 'x-github-event': 'ping' }, body: '{}' },
}
// Examples that exist to show a failure: the code they must fail with.
const EXPECTED_ERRORS = { 'validate-signup': 'VALIDATION_ERROR' }

const CI = process.env.CI === 'true'
const color = process.stdout.isTTY && !process.env.NO_COLOR
const paint = (code, text) => (color ? `\x1b[${code}m${text}\x1b[0m` : text)
const green = (t) => paint(32, t)
const red = (t) => paint(31, t)
const yellow = (t) => paint(33, t)

process.env.GITHUB_WEBHOOK_SECRET ??= 'demo-secret'
const rt = new FunctionRuntime({ functionsDir, timeoutMs: 120_000 })
const available = new Map((await rt.runtimes()).map((r) => [r.name, r]))

const rows = []
const missing = new Map() // runtime name → install hint
let failures = 0
let notRun = 0
for (const fn of rt.list()) {
  const runtime = available.get(fn.runtime)
  if (runtime && !runtime.available) {
    missing.set(runtime.name, runtime.installHint)
    notRun++
    rows.push([fn.name, fn.runtime, (CI ? red : yellow)('!! MISSING RUNTIME !!'), '-'])
    continue
  }
  const res = await rt.invoke(fn.name, INPUTS[fn.name] ?? { name: 'World' })
  const expected = EXPECTED_ERRORS[fn.name]
  const outcome = res.success ? 'ok' : res.error.code
  const asExpected = expected ? outcome === expected : res.success
  if (!asExpected) failures++
  const shown = asExpected ? green(expected ? `${outcome} (expected)` : outcome) : red(`${outcome}${expected ? ` (expected ${expected})` : ''}`)
  rows.push([fn.name, fn.runtime, shown, String(res.durationMs)])
  if (!asExpected && !res.success) console.error(red(`${fn.name}: ${res.error.message}`))
}
for (const d of rt.diagnostics()) {
  failures++
  rows.push([d.name, '?', red(`skipped: ${d.message}`), '-'])
}
printTable(['function', 'runtime', 'outcome', 'time ms'], rows)
failures += await demoHttp()
failures += await demoSchedule()
failures += await demoWarm()
await rt.close()

for (const [name, hint] of missing) console.log((CI ? red : yellow)(`\n!! runtime "${name}" is missing: ${hint}`))
if (CI) failures += notRun
if (failures) console.log(red(`\n${failures} failure(s)${CI && missing.size ? ' (under CI=true a missing runtime is a failure)' : ''}`))
else if (notRun) console.log(yellow(`\n${rows.length - notRun} examples behaved as expected; ${notRun} NOT RUN (missing runtime)`))
else console.log(green(`\nall ${rows.length} examples behaved as expected`))
process.exitCode = failures ? 1 : 0

/** The manifests come alive: a route and a signed webhook over node:http. */
async function demoHttp() {
  console.log('\nHTTP (createNodeHandler on node:http, docs/HTTP.md):')
  const server = http.createServer(createNodeHandler(rt))
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const base = `http://127.0.0.1:${server.address().port}`
  let failed = 0
  const show = async (label, url, init, wantStatus) => {
    const res = await fetch(url, init)
    const text = await res.text()
    const ok = res.status === wantStatus
    if (!ok) failed++
    console.log(`  ${label.padEnd(44)} ${(ok ? green : red)(String(res.status))} ${text.length > 70 ? `${text.slice(0, 67)}...` : text}`)
  }
  await show('GET /todos/1 (route /todos/:id)', `${base}/todos/1`, {}, 200)
  const body = JSON.stringify({ ref: 'refs/heads/main' })
  const signature = `sha256=${createHmac('sha256', process.env.GITHUB_WEBHOOK_SECRET).update(body).digest('hex')}`
  const headers = { 'X-Hub-Signature-256': signature, 'X-GitHub-Event': 'push' }
  await show('POST /webhooks/github-webhook (signed)', `${base}/webhooks/github-webhook`, { method: 'POST', body, headers }, 200)
  const forged = { ...headers, 'X-Hub-Signature-256': 'sha256=' + '0'.repeat(64) }
  await show('POST /webhooks/github-webhook (forged)', `${base}/webhooks/github-webhook`, { method: 'POST', body, headers: forged }, 401)
  server.close()
  return failed
}

/** An interval schedule firing (docs/SCHEDULES.md). */
async function demoSchedule() {
  const [beat] = rt.schedules().filter((s) => s.function === 'heartbeat')
  console.log(`\nSchedules (rt.startSchedules): heartbeat/${beat.name} every ${beat.expression}, next at ${new Date(beat.nextRun).toISOString()}`)
  const fired = new Promise((resolve) => {
    const schedules = rt.startSchedules({ onRun: (run) => schedules.stop().then(() => resolve(run)) })
  })
  const timeout = new Promise((resolve) => setTimeout(resolve, 10_000, null))
  const run = await Promise.race([fired, timeout])
  const ok = run?.result?.success === true
  console.log(
    `  ${(ok ? green : red)(ok ? 'fired' : 'did not fire within 10 s')}${run ? ` at ${new Date(run.scheduledAt).toISOString()}: ${JSON.stringify(run.result?.output ?? run)}` : ''}`,
  )
  return ok ? 0 : 1
}

/** One function in each mode (docs/MANIFEST.md, "Warm processes"), with its p50. */
async function demoWarm() {
  console.log('\nWarm processes: hello-node, 20 calls 100 ms apart, in each mode:')
  let bad = 0
  const rows = []
  for (const mode of ['one-shot', 'standby', 'worker']) {
    const warm = mode === 'one-shot' ? undefined : { 'hello-node': { mode, min: 1, max: 1 } }
    const warmRt = new FunctionRuntime({ functionsDir, timeoutMs: 120_000, warm })
    try {
      await warmRt.warmup('hello-node')
      const times = []
      for (let i = 0; i < 20; i++) {
        const t = performance.now()
        const res = await warmRt.invoke('hello-node', { name: 'World' })
        times.push(performance.now() - t)
        if (!res.success) bad++
        await new Promise((r) => setTimeout(r, 100))
      }
      times.sort((a, b) => a - b)
      rows.push([mode, times[10].toFixed(2), mode === 'worker' ? 'one process served every call' : 'a fresh process per call'])
    } finally {
      await warmRt.close()
    }
  }
  printTable(['mode', 'p50 ms', 'process'], rows)
  return bad
}

function printTable(header, rows) {
  // Pad by visible width: colour codes take no room on screen.
  const visible = (s) => s.replace(/\x1b\[\d+m/g, '').length
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => visible(r[i]))))
  const line = (cells) =>
    cells
      .map((c, i) => c + ' '.repeat(widths[i] - visible(c)))
      .join('  ')
      .trimEnd()
  console.log(line(header))
  console.log(line(widths.map((w) => '-'.repeat(w))))
  for (const r of rows) console.log(line(r))
}
