#!/usr/bin/env node
// The SDKs' side of warm processes, measured without the runtime's pools:
//   node bench/sdk-worker.mjs [--calls 2000] [--oneshot 200] [--python-sdk FILE]
// 1. per-call round trip of an echo worker (SDK and raw, Node and Python) through
//    the test harness (__test__/worker-harness.mjs): request line written → response
//    line and end marker read, sequential calls, one worker each;
// 2. p50 of a one-shot Python SDK hello through the runtime (needs the built addon),
//    with sdk/python/alyx.py or --python-sdk FILE (to compare two versions of the SDK).
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createRequire } from 'node:module'
import { pathToFileURL } from 'node:url'
import { Worker, request, which } from '../__test__/worker-harness.mjs'

const here = path.dirname(new URL(import.meta.url).pathname)
const root = path.resolve(here, '..')
const args = process.argv.slice(2)
const value = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt)
const calls = Number(value('--calls', 2000))
const oneshotCalls = Number(value('--oneshot', 200))
const pythonSdk = path.resolve(value('--python-sdk', path.join(root, 'sdk', 'python', 'alyx.py')))
const python = which('python3') ?? 'python3'

/** CPU seconds (user + system) a process has used so far, from /proc (Linux). */
function cpuSeconds(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) / 100 // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return NaN
  }
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]
const ms = (x) => `${x.toFixed(3)} ms`

function summary(label, samples, wallMs, cpuPerCallUs) {
  const sorted = [...samples].sort((a, b) => a - b)
  const row = {
    label,
    n: samples.length,
    p50: percentile(sorted, 0.5),
    p90: percentile(sorted, 0.9),
    p99: percentile(sorted, 0.99),
    perSecond: samples.length / (wallMs / 1000),
  }
  const cpu = Number.isFinite(cpuPerCallUs) ? `  worker CPU ${cpuPerCallUs.toFixed(0)} µs/call` : ''
  console.log(`${label.padEnd(34)} p50 ${ms(row.p50)}  p90 ${ms(row.p90)}  p99 ${ms(row.p99)}  ${Math.round(row.perSecond)} calls/s${cpu} (n=${row.n})`)
  return row
}

function echoFunctions(work) {
  const files = {
    'sdk-node/index.mjs': `import { handler } from ${JSON.stringify(pathToFileURL(path.join(root, 'sdk/js/alyx.mjs')).href)}\nhandler((input) => input)\n`,
    'sdk-python/main.py': `import sys\nsys.path.insert(0, ${JSON.stringify(path.dirname(pythonSdk))})\nimport alyx\n\nalyx.handler(lambda input, ctx: input)\n`,
  }
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.join(work, path.dirname(rel)), { recursive: true })
    fs.writeFileSync(path.join(work, rel), text)
  }
  const raw = (name) => path.join(root, '__test__', 'fixtures', 'workers', name)
  return [
    ['node SDK worker (echo)', [process.execPath, 'index.mjs'], path.join(work, 'sdk-node'), { n: 1 }],
    ['python SDK worker (echo)', [python, 'main.py'], path.join(work, 'sdk-python'), { n: 1 }],
    ['raw node worker (hello)', [process.execPath, 'index.mjs'], raw('raw-node'), { name: 'Ada' }],
    ['raw python worker (hello)', [python, 'main.py'], raw('raw-python'), { name: 'Ada' }],
  ]
}

async function roundTrips(label, argv, dir, input) {
  const worker = new Worker(argv, dir)
  try {
    await worker.waitReady()
    for (let i = 0; i < 50; i++) await worker.call(request(input)) // warm up the JITs and caches
    const samples = []
    const cpuBefore = cpuSeconds(worker.pid)
    const wall = performance.now()
    for (let i = 0; i < calls; i++) {
      const req = request(input)
      const t = performance.now()
      const { response } = await worker.call(req)
      samples.push(performance.now() - t)
      if (response.request_id !== req.request_id || !response.success) throw new Error(`${label}: bad response ${JSON.stringify(response)}`)
    }
    const cpuPerCallUs = ((cpuSeconds(worker.pid) - cpuBefore) / calls) * 1e6
    return summary(label, samples, performance.now() - wall, cpuPerCallUs)
  } finally {
    worker.kill()
  }
}

async function pythonOneShot(work) {
  const require = createRequire(import.meta.url)
  let FunctionRuntime
  try {
    ;({ FunctionRuntime } = require(root))
  } catch (err) {
    console.log(`python one-shot: skipped, the addon is not built (${err.message.split('\n')[0]})`)
    return null
  }
  const dir = path.join(work, 'oneshot')
  fs.mkdirSync(path.join(dir, 'hello'), { recursive: true })
  fs.copyFileSync(pythonSdk, path.join(dir, 'hello', 'alyx.py'))
  fs.writeFileSync(
    path.join(dir, 'hello', 'main.py'),
    'import alyx\n\n\ndef main(input, ctx):\n    return {"message": "Hello, " + input["name"] + "!"}\n\n\nalyx.handler(main)\n',
  )
  const rt = new FunctionRuntime({ functionsDir: dir })
  try {
    for (let i = 0; i < 5; i++) await rt.invoke('hello', { name: 'Ada' })
    const samples = []
    const wall = performance.now()
    for (let i = 0; i < oneshotCalls; i++) {
      const t = performance.now()
      const res = await rt.invoke('hello', { name: 'Ada' })
      samples.push(performance.now() - t)
      if (!res.success) throw new Error(`python one-shot failed: ${JSON.stringify(res.error)}`)
    }
    return summary(`python one-shot hello (${path.relative(root, pythonSdk) || pythonSdk})`, samples, performance.now() - wall)
  } finally {
    await rt.close()
  }
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'alyx-sdk-bench-'))
try {
  console.log(
    `${os.cpus().length} CPUs, load ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}; ${calls} sequential calls per worker`,
  )
  if (calls > 0) for (const [label, argv, dir, input] of echoFunctions(work)) await roundTrips(label, argv, dir, input)
  if (oneshotCalls > 0) await pythonOneShot(work)
} finally {
  fs.rmSync(work, { recursive: true, force: true })
}
