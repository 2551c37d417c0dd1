#!/usr/bin/env node
// `npm run bench:http`: what the HTTP layer costs. A Go echo function on a
// route, C=8 closed-loop callers, in one process and one run, alternating:
//   bare  rt.invoke("echo", { i }) back to back
//   http  GET /echo?i=N through createNodeHandler on node:http (keep-alive
//         client in the same process: the client's cost is counted too)
//   warmBare, warm  rt.invoke("wecho") and GET /wecho?i=N the same way, to
//         a Node SDK echo kept warm as workers
// Targets (issue 16): http ≥ 0.8× bare requests/s; warm ≥ 5,000 requests/s. Writes the "HTTP" section
// of BENCHMARKS.md (kept by `npm run bench`); --smoke: tiny N, no file.
//   node bench/http.mjs [--reps 3] [--n 3000] [--smoke]
import fs from 'node:fs'
import http from 'node:http'
import path from 'node:path'
import { once } from 'node:events'
import { createRequire } from 'node:module'
import { drive } from './lib/drive.mjs'
import { machine } from './lib/machine.mjs'
import { addonInfo, pkgRoot } from './lib/pkg.mjs'
import { pathToFileURL } from 'node:url'
import { markers, writeSection } from './lib/sections.mjs'
import os from 'node:os'
import { GO_ECHO, GO_MOD, makeWorkDir, which } from './lib/setup.mjs'
import { median } from './lib/stats.mjs'

const here = path.dirname(new URL(import.meta.url).pathname)
const args = process.argv.slice(2)
const value = (name, dflt) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : dflt)
const smoke = args.includes('--smoke')
const reps = value('--reps', smoke ? 1 : 3)
const n = value('--n', smoke ? 40 : 3000)
const CONCURRENCY = 8
const [START, END] = markers('http')

const { FunctionRuntime, createNodeHandler } = createRequire(import.meta.url)(pkgRoot)

async function main() {
  if (!which('go')) throw new Error('bench:http needs Go (the echo function is Go)')
  const addon = addonInfo()
  if (addon.debug && !smoke) throw new Error(`${addon.file} is a debug build: run \`npm run build\` (release) first`)
  const loadBefore = os.loadavg()
  const work = makeWorkDir()
  const fnDir = path.join(work, 'functions', 'echo')
  fs.mkdirSync(fnDir, { recursive: true })
  fs.writeFileSync(path.join(fnDir, 'main.go'), GO_ECHO)
  fs.writeFileSync(path.join(fnDir, 'go.mod'), GO_MOD)
  fs.writeFileSync(path.join(fnDir, 'manifest.yaml'), 'name: echo\nroutes:\n  - { path: /echo, methods: [GET] }\n')
  writeWarmEcho(path.join(work, 'functions', 'wecho'))
  const rt = new FunctionRuntime({ functionsDir: path.join(work, 'functions') })
  const server = http.createServer(createNodeHandler(rt))
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY })
  const base = `http://127.0.0.1:${server.address().port}`
  try {
    // The first call compiles the Go function once (cached in .alyx/go), outside the measurement.
    const first = await rt.invoke('echo', { i: -1 }, { timeoutMs: 120_000 })
    if (!first.success) throw new Error(`the Go echo failed: ${first.error.message}`)
    const bare = async (input) => (await rt.invoke('echo', input)).output
    const route = (path) => (input) => get(`${base}${path}?i=${input.i}`, agent).then((out) => ({ i: Number(out.query.i) }))
    const overHttp = route('/echo')
    const warmBare = async (input) => (await rt.invoke('wecho', input)).output
    const warm = route('/wecho')
    await rt.warmup('wecho')
    for (const call of [bare, overHttp]) await drive(call, { n: 20, concurrency: CONCURRENCY }) // warm both paths
    await drive(warm, { n: 2000, concurrency: CONCURRENCY }) // the workers' JIT
    const runs = { bare: [], http: [], warmBare: [], warm: [] }
    for (let rep = 1; rep <= reps; rep++) {
      for (const [name, call] of Object.entries({ bare, http: overHttp, warmBare, warm })) {
        const r = await drive(call, { n, concurrency: CONCURRENCY, maxMs: 30_000 })
        if (r.failures) throw new Error(`${name}: ${r.failures} failed calls (${r.error})`)
        runs[name].push(r)
        process.stderr.write(`rep ${rep} ${name}: ${r.perSec.toFixed(0)}/s p50 ${r.p50.toFixed(2)} ms\n`)
      }
    }
    report(runs, loadBefore)
  } finally {
    agent.destroy()
    server.close()
    await rt.close()
    fs.rmSync(work, { recursive: true, force: true })
  }
}

/** A Node SDK echo on GET /wecho, kept warm as one worker per CPU (CONTRACT §10). */
function writeWarmEcho(dir) {
  const sdk = pathToFileURL(path.join(pkgRoot, 'sdk', 'js', 'alyx.mjs')).href
  fs.mkdirSync(dir, { recursive: true })
  fs.writeFileSync(path.join(dir, 'index.mjs'), `import { handler } from ${JSON.stringify(sdk)}\nhandler((input) => input)\n`)
  fs.writeFileSync(
    path.join(dir, 'manifest.yaml'),
    `name: wecho\nroutes:\n  - { path: /wecho, methods: [GET] }\nwarm: { mode: worker, min: ${os.cpus().length}, max: ${os.cpus().length} }\n`,
  )
}

function get(url, agent) {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent }, (res) => {
        let text = ''
        res
          .setEncoding('utf8')
          .on('data', (d) => (text += d))
          .on('end', () => {
            if (res.statusCode !== 200) return reject(new Error(`HTTP ${res.statusCode}: ${text}`))
            resolve(JSON.parse(text))
          })
      })
      .on('error', reject)
  })
}

function report(runs, loadBefore) {
  const m = machine({})
  const bare = median(runs.bare.map((r) => r.perSec))
  const viaHttp = median(runs.http.map((r) => r.perSec))
  const ratio = viaHttp / bare
  const warm = median(runs.warm.map((r) => r.perSec))
  const row = (name, list) =>
    `| ${name} | ${list.map((r) => r.perSec.toFixed(0)).join(' / ')} | ${median(list.map((r) => r.perSec)).toFixed(0)} | ${median(list.map((r) => r.p50)).toFixed(2)} | ${median(list.map((r) => r.p99)).toFixed(2)} | ${(median(list.map((r) => r.cpuMain)) * 1000).toFixed(0)} |`
  const text = `${START}
## HTTP (issue 16)

\`npm run bench:http\` (${m.date}, ${m.nproc} × ${m.cpu}, ${m.node}, ${m.go}; load average before ${loadBefore.map((x) => x.toFixed(2)).join(' ')}, after ${os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(
      ' ',
    )}): a Go echo function on a route, ${CONCURRENCY} closed-loop callers, ${n} calls per run, ${reps} alternating runs per arm in one process. \`http\` is \`GET /echo?i=N\` through \`createNodeHandler\` on node:http with a keep-alive client in the same process (so the client's cost counts against it); \`bare\` is \`rt.invoke("echo", { i })\`; the warm rows are \`rt.invoke("wecho", { i })\` and \`GET /wecho?i=N\` the same way to a Node SDK echo (\`handler((input) => input)\`) with \`warm: { mode: worker }\` and one worker per CPU, after 2,000 calls for its JIT.

| arm | requests/s per run | median | p50 ms | p99 ms | JS thread µs per request |
|---|---|---|---|---|---|
${row('bare rt.invoke', runs.bare)}
${row('http (createNodeHandler)', runs.http)}
${row('bare rt.invoke, warm worker (Node SDK echo)', runs.warmBare)}
${row('http, warm worker', runs.warm)}

**http ÷ bare = ${ratio.toFixed(2)}×** (target ≥ 0.8×: ${ratio >= 0.8 ? 'met' : '**missed**'}). **Warm worker over HTTP: ${warm.toFixed(0)} requests/s** (target ≥ 5,000: ${warm >= 5000 ? 'met' : '**missed**'}): the client, the server and the runtime share this process's JS thread, and its CPU per request (last column, from /proc, 10 ms ticks) is what bounds the HTTP arms.
${END}`
  console.log(text)
  if (smoke) return
  const file = path.join(here, '..', 'BENCHMARKS.md')
  writeSection(file, 'http', text)
  console.log(`wrote ${path.relative(process.cwd(), file)}`)
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
