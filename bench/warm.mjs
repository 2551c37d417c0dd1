#!/usr/bin/env node
// Warm processes (CONTRACT §10, issue 14): a minimal SDK echo function in
// node, python, deno, bun, ruby and go (as a user would write it: a plain
// function, sync in Python, Ruby and Go), called one-shot, from standby
// processes and from warm workers, at C = 1, 8 and 32; beside it an in-process
// worker_threads pool (no isolation: the anchor) and a raw pipe round trip
// to a warm C echo (the floor). Writes the "Warm processes" section of
// BENCHMARKS.md (kept by bench/run.mjs). Part of `npm run bench`.
//
//   node bench/warm.mjs            full run (a few minutes)
//   node bench/warm.mjs --smoke    node only, tiny N: a sanity check (npm test)
//   node bench/warm.mjs --ballast  (internal) one node worker cell with a 2 GB heap
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { Worker } from 'node:worker_threads'
import { createRequire } from 'node:module'
import { buildBallast } from './lib/ballast.mjs'
import { cpuMonitor } from './lib/cpu.mjs'
import { writeSection } from './lib/sections.mjs'
import { percentile } from './lib/stats.mjs'

const here = path.dirname(new URL(import.meta.url).pathname)
const root = path.resolve(here, '..')
const require = createRequire(import.meta.url)
const { FunctionRuntime } = require(root)
const args = process.argv.slice(2)
const smoke = args.includes('--smoke')
const CS = smoke ? [1] : [1, 8, 32]
const LANGS = smoke ? ['node'] : ['node', 'python', 'deno', 'bun', 'ruby', 'go']
const COMMANDS = { node: 'node', python: 'python3', deno: 'deno', bun: 'bun', ruby: 'ruby', go: 'go' }
// Processes per warm pool: C, up to this (32 interpreters would not fit in memory here).
const POOL_CAP = 8
// Workers at most one per CPU (the default `max`, CONTRACT §10), like the
// worker_threads anchor: more processes than cores only contend for them.
const CPUS = os.cpus().length
// Calls on a warm pool before a cell is measured: a worker's JIT warms up.
const WARMUP_CALLS = smoke ? 20 : 1000
// A warm cell runs this long; a one-shot cell this many calls per C.
const WARM_MS = smoke ? 300 : 1500
const ONESHOT_CALLS = (c) => (smoke ? 4 : Math.max(16, 2 * c))
const input = { hello: 'world' }

process.env.PATH = `${path.join(root, 'node_modules', '.bin')}${path.delimiter}${process.env.PATH}`
const have = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0

/** The echo function per language, as a user writes it with the SDK. */
function echoFunctions() {
  const sdk = (rel) => path.join(root, 'sdk', rel)
  const js = `import { handler } from ${JSON.stringify(pathToFileURL(sdk('js/alyx.mjs')).href)}\nhandler((input) => input)\n`
  const python = `import sys\nsys.path.insert(0, ${JSON.stringify(sdk('python'))})\nimport alyx\n\n\ndef main(input, ctx):\n    return input\n\n\nalyx.handler(main)\n`
  const ruby = `require ${JSON.stringify(sdk('ruby/alyx'))}\n\nAlyx.handler { |input, _ctx| input }\n`
  const go = `package main

import "github.com/alyx/runtime/sdk/go/alyx"

func main() {
\talyx.Handle(func(input map[string]any, _ *alyx.Context) (map[string]any, error) { return input, nil })
}
`
  const goMod = `module echo\n\ngo 1.21\n\nrequire github.com/alyx/runtime/sdk/go/alyx v0.0.0\n\nreplace github.com/alyx/runtime/sdk/go/alyx => ${sdk('go/alyx')}\n`
  return {
    node: { 'echo-node/index.mjs': js },
    deno: { 'echo-deno/index.ts': js },
    bun: { 'echo-bun/index.ts': js, 'echo-bun/bunfig.toml': '' },
    python: { 'echo-python/main.py': python },
    ruby: { 'echo-ruby/main.rb': ruby },
    go: { 'echo-go/main.go': go, 'echo-go/go.mod': goMod },
  }
}

function functionsDir() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alyx-bench-warm-'))
  const files = echoFunctions()
  for (const lang of LANGS) {
    for (const [rel, text] of Object.entries(files[lang])) {
      fs.mkdirSync(path.join(dir, path.dirname(rel)), { recursive: true })
      fs.writeFileSync(path.join(dir, rel), text)
    }
  }
  return dir
}

/** CPU ticks (10 ms) the given processes have used so far (/proc). */
function ticksOf(pids) {
  let ticks = 0
  for (const pid of pids) {
    try {
      const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
      const p = f.slice(f.lastIndexOf(')') + 2).split(' ')
      ticks += Number(p[11]) + Number(p[12])
    } catch {}
  }
  return ticks
}

/** Calls `name` with `c` callers for `ms` (or `calls` in all): latencies and
 * rate, and CPU per call: this process's threads, reaped children, and the
 * warm pool's live processes (workers are not reaped during a cell). */
async function drive(rt, name, c, { ms, calls, gapMs = 0 }) {
  const lat = []
  let issued = 0
  const end = performance.now() + (ms ?? Infinity)
  const pids = rt.pools ? (rt.pools().find((p) => p.name === name)?.pids ?? []) : []
  const pidTicks = ticksOf(pids)
  const cpu = cpuMonitor()
  const started = performance.now()
  const caller = async () => {
    while ((calls === undefined || issued < calls) && performance.now() < end) {
      issued++
      const t = performance.now()
      const r = await rt.invoke(name, input)
      if (!r.success) throw new Error(`${name}: ${r.error.code} ${r.error.message}`)
      lat.push(performance.now() - t)
      if (gapMs) await new Promise((res) => setTimeout(res, gapMs))
    }
  }
  await Promise.all(Array.from({ length: c }, caller))
  const elapsed = performance.now() - started
  const cpuPool = pids.length ? ((ticksOf(pids) - pidTicks) * 10) / lat.length : undefined
  return { n: lat.length, perSec: lat.length / (elapsed / 1000), p50: percentile(lat, 50), p99: percentile(lat, 99), ...cpu(lat.length), cpuPool }
}

async function runtimeFor(dir, mode, name, c) {
  const pool = Math.min(c, mode === 'worker' ? CPUS : POOL_CAP)
  const warm = mode === 'one-shot' ? undefined : { [name]: { mode, min: pool, max: pool } }
  const rt = new FunctionRuntime({ functionsDir: dir, timeoutMs: 300_000, warm })
  if (name.endsWith('go')) await rt.build(name)
  if (warm) await rt.warmup(name)
  // Calls first: JIT, caches, a Go compile; a worker pool's steady state.
  await drive(rt, name, pool, { calls: mode === 'worker' ? WARMUP_CALLS : 2 })
  return rt
}

async function processCells(dir) {
  const rows = []
  for (const lang of LANGS) {
    if (!have(COMMANDS[lang])) {
      console.error(`!! ${COMMANDS[lang]} not installed: ${lang} skipped`)
      continue
    }
    const name = `echo-${lang}`
    for (const mode of ['one-shot', 'standby', 'worker']) {
      for (const c of CS) {
        const rt = await runtimeFor(dir, mode, name, c)
        try {
          const m = await drive(rt, name, c, mode === 'one-shot' ? { calls: ONESHOT_CALLS(c) } : { ms: WARM_MS })
          rows.push({ lang, mode, c, ...m })
          process.stderr.write(`${lang} ${mode} C=${c}: ${m.perSec.toFixed(0)}/s p50 ${m.p50.toFixed(2)} ms\n`)
        } finally {
          await rt.close()
        }
      }
    }
  }
  return rows
}

/** The anchor: the same echo in worker_threads of this process (no isolation). */
async function threadsCells() {
  const rows = []
  const code = `const { parentPort } = require('node:worker_threads')
parentPort.on('message', (text) => { const req = JSON.parse(text); parentPort.postMessage(JSON.stringify({ success: true, output: req.input })) })`
  for (const c of CS) {
    const size = Math.min(c, os.cpus().length)
    const workers = Array.from({ length: size }, () => new Worker(code, { eval: true }))
    const idle = [...workers]
    const waiting = []
    const call = (payload) =>
      new Promise((resolve) => {
        const go = (w) => {
          w.once('message', (m) => {
            resolve(JSON.parse(m))
            const next = waiting.shift()
            next ? next(w) : idle.push(w)
          })
          w.postMessage(JSON.stringify({ request_id: 'r', input: payload }))
        }
        const w = idle.pop()
        w ? go(w) : waiting.push(go)
      })
    const fake = { invoke: async (_n, payload) => call(payload) }
    await drive(fake, 'threads', c, { calls: 100 })
    const m = await drive(fake, 'threads', c, { ms: WARM_MS })
    rows.push({ lang: 'node', mode: 'worker_threads (in-process)', c, ...m })
    await Promise.all(workers.map((w) => w.terminate()))
  }
  return rows
}

/** The floor: a request line to a warm C echo and its response line back. */
function floorCells() {
  const bin = path.join(os.tmpdir(), `alyx-pipefloor-${process.pid}`)
  execFileSync('cc', ['-O2', '-o', bin, path.join(here, 'c', 'pipefloor.c')])
  const rows = []
  try {
    for (const c of CS) {
      const n = smoke ? 2000 : 50_000
      const out = execFileSync(bin, [String(n), String(c)], { encoding: 'utf8', maxBuffer: 64 << 20 })
        .trim()
        .split('\n')
      const elapsedUs = Number(out.pop().split(' ')[1])
      const lat = out.map((l) => Number(l) / 1000)
      rows.push({ lang: 'C', mode: 'raw pipe (floor)', c, n, perSec: n / (elapsedUs / 1e6), p50: percentile(lat, 50), p99: percentile(lat, 99) })
    }
  } finally {
    fs.rmSync(bin, { force: true })
  }
  return rows
}

/**
 * Standby python at one call per 150 ms: the latency a sparse caller sees.
 * The anchor, same cadence and run: a line through an already running
 * `cat` and back — no process start, no runtime — which is what waking
 * an idle machine costs (on this VM, milliseconds: bench/warm-analysis.md).
 */
async function sparseCells(dir) {
  if (!LANGS.includes('python') || !have('python3')) return []
  const rows = []
  const cat = runningCat()
  try {
    const m = await drive(cat, 'cat', 1, { calls: smoke ? 3 : 20, gapMs: 150 })
    rows.push({ lang: 'none', mode: 'pipe to a running cat, 1 call / 150 ms', c: 1, ...m })
  } finally {
    cat.close()
  }
  for (const mode of ['one-shot', 'standby']) {
    const rt = await runtimeFor(dir, mode, 'echo-python', 1)
    try {
      const m = await drive(rt, 'echo-python', 1, { calls: smoke ? 3 : 20, gapMs: 150 })
      rows.push({ lang: 'python', mode: `${mode}, 1 call / 150 ms`, c: 1, ...m })
    } finally {
      await rt.close()
    }
  }
  return rows
}

/** `invoke` as a line written to a running `cat` and read back. */
function runningCat() {
  const child = spawn('cat', [], { stdio: ['pipe', 'pipe', 'ignore'] })
  let answered = () => {}
  child.stdout.on('data', () => answered())
  const invoke = () =>
    new Promise((resolve) => {
      answered = () => resolve({ success: true })
      child.stdin.write(`${JSON.stringify(input)}\n`)
    })
  return { invoke, close: () => child.kill() }
}

/** Node worker at C=8 in a child process holding a 2 GB JS heap, and without. */
function ballastCells() {
  const run = (ballast) => {
    const extra = ballast ? ['--max-old-space-size=4096'] : []
    const out = execFileSync(process.execPath, [...extra, path.join(here, 'warm.mjs'), '--ballast', ballast ? '2048' : '0', ...(smoke ? ['--smoke'] : [])], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    return JSON.parse(out.trim().split('\n').pop())
  }
  return [run(false), run(true)]
}

async function ballastChild(mb) {
  const info = mb ? buildBallast(mb) : null
  const dir = functionsDir()
  const rt = await runtimeFor(dir, 'worker', 'echo-node', 8)
  try {
    const m = await drive(rt, 'echo-node', 8, { ms: WARM_MS })
    console.log(JSON.stringify({ lang: 'node', mode: mb ? `worker, ${info.heapMb} MB JS heap` : 'worker, small heap', c: 8, ...m }))
  } finally {
    await rt.close()
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

const fmt = (x, d = 0) => (x === undefined || Number.isNaN(x) ? '-' : x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }))

function table(rows) {
  const lines = [
    '| function | mode | C | calls | calls/s | p50 ms | p99 ms | CPU µs/call: JS main | tokio | function processes |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ]
  const us = (ms) => (ms === undefined ? '-' : fmt(ms * 1000, 0))
  for (const r of rows) {
    const fnCpu = r.mode === 'worker' ? r.cpuPool : r.cpuChildren
    lines.push(
      `| ${r.lang} | ${r.mode} | ${r.c} | ${r.n} | ${fmt(r.perSec)} | ${fmt(r.p50, 3)} | ${fmt(r.p99, 3)} | ${us(r.cpuMain)} | ${us(r.cpuTokio)} | ${us(fnCpu)} |`,
    )
  }
  return lines.join('\n')
}

function targets(rows, anchor, ballast) {
  const find = (lang, mode, c) => rows.find((r) => r.lang === lang && r.mode === mode && r.c === c)
  const out = ['| target | measured | verdict |', '|---|---|---|']
  const check = (what, value, ok) => out.push(`| ${what} | ${value} | ${ok === undefined ? 'not measured' : ok ? 'met' : '**missed**'} |`)
  const threads8 = anchor.find((r) => r.c === 8)
  for (const lang of ['node', 'python']) {
    const w1 = find(lang, 'worker', 1)
    const w8 = find(lang, 'worker', 8)
    const o8 = find(lang, 'one-shot', 8)
    check(`${lang} worker p50 ≤ 0.2 ms at C=1`, w1 ? `${fmt(w1.p50, 3)} ms` : '-', w1 && w1.p50 <= 0.2)
    check(`${lang} worker ≥ 10,000 calls/s at C=8`, w8 ? `${fmt(w8.perSec)}/s` : '-', w8 && w8.perSec >= 10_000)
    check(`${lang} worker ≥ 100× one-shot at C=8`, w8 && o8 ? `${fmt(w8.perSec / o8.perSec, 0)}×` : '-', w8 && o8 && w8.perSec >= 100 * o8.perSec)
    check(
      `${lang} worker ≥ 0.3× the worker_threads pool at C=8`,
      w8 && threads8 ? `${fmt(w8.perSec / threads8.perSec, 2)}×` : '-',
      w8 && threads8 && w8.perSec >= 0.3 * threads8.perSec,
    )
  }
  const n8 = find('node', 'worker', 8)
  check(
    'JS main-thread CPU per warm call ≤ 30 µs (node worker, C=8)',
    n8?.cpuMain !== undefined ? `${fmt(n8.cpuMain * 1000)} µs` : '-',
    n8?.cpuMain === undefined ? undefined : n8.cpuMain * 1000 <= 30,
  )
  const sb = rows.find((r) => r.mode === 'standby, 1 call / 150 ms')
  const idle = rows.find((r) => r.mode === 'pipe to a running cat, 1 call / 150 ms')
  check(
    'standby python at 1 call / 150 ms: p50 ≤ 3 ms',
    sb ? `${fmt(sb.p50, 2)} ms (a running cat at the same cadence: ${idle ? fmt(idle.p50, 2) : '-'} ms)` : '-',
    sb && sb.p50 <= 3,
  )
  const [small, big] = ballast
  check(
    'with a 2 GB host heap, warm throughput ≥ 0.9× of itself',
    small && big ? `${fmt(big.perSec / small.perSec, 2)}×` : '-',
    small && big && big.perSec >= 0.9 * small.perSec,
  )
  return out.join('\n')
}

async function main() {
  if (args.includes('--ballast')) return ballastChild(Number(args[args.indexOf('--ballast') + 1]))
  const dir = functionsDir()
  try {
    const load = os.loadavg()
    const processRows = await processCells(dir)
    const sparse = await sparseCells(dir)
    const anchor = await threadsCells()
    const floor = floorCells()
    const ballast = smoke ? [] : ballastCells()
    const rows = [...processRows, ...sparse]
    const md = [
      '<!-- bench:warm:start -->',
      '## Warm processes (issue 14)',
      '',
      `\`node bench/warm.mjs\` (part of \`npm run bench\`), ${new Date().toISOString()}, ${os.cpus().length} CPUs, load ${load.map((l) => l.toFixed(1)).join(' ')} before.` +
        ` A minimal SDK echo per language (\`echoFunctions()\` in bench/warm.mjs: a plain function, sync in Python, Ruby and Go); worker pools hold min(C, ${CPUS} CPUs) processes and serve ${WARMUP_CALLS} calls before a cell is measured, standby pools min(C, ${POOL_CAP});` +
        ` one-shot cells run ${smoke ? 'a few' : '2·C (at least 16)'} calls, warm cells ${WARM_MS} ms. CPU is /proc ticks (10 ms) over the cell: the host's JS main thread, the runtime's tokio threads,` +
        " and the function processes (the pool's live workers; reaped one-shot and standby processes).",
      '',
      '### Targets',
      '',
      targets(processRows.concat(sparse), anchor, ballast),
      '',
      '### Every cell',
      '',
      table([...rows, ...anchor, ...floor, ...ballast]),
      ...(smoke ? [] : ['', readAnalysis()]),
      '<!-- bench:warm:end -->',
    ].join('\n')
    console.log(md)
    const out = args.includes('--out') ? args[args.indexOf('--out') + 1] : smoke ? null : path.join(root, 'BENCHMARKS.md')
    if (out) {
      writeSection(out, 'warm', md)
      console.error(`wrote the warm section of ${path.relative(process.cwd(), out)}`)
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

/** bench/warm-analysis.md: the reading of the last full run, by hand. */
function readAnalysis() {
  const file = path.join(here, 'warm-analysis.md')
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim() : ''
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
