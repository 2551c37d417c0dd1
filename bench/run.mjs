#!/usr/bin/env node
// `npm run bench`: @alyx/runtime vs child_process vs the floor, in one run.
//   node bench/run.mjs                 full bench (3 repetitions), writes BENCHMARKS.md
//   node bench/run.mjs --reps 5        more repetitions
//   node bench/run.mjs --smoke         tiny N, a few seconds, sanity checks only (npm test)
//   node bench/run.mjs --report a.json b.json   re-render BENCHMARKS.md pooling saved runs
// Each full run saves its raw samples to bench/results/<date>.json.
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { machine } from './lib/machine.mjs'
import { wakeCost } from './lib/wake.mjs'
import { addonInfo, sandboxAvailable } from './lib/pkg.mjs'
import { plans } from './lib/plan.mjs'
import { aggregate, consoleSummary, render } from './lib/report.mjs'
import { checkSmoke } from './lib/sanity.mjs'
import { sectionOf } from './lib/sections.mjs'
import { allowlistEnv, makeWorkDir, setup } from './lib/setup.mjs'
import { spawnPath } from './lib/spawnpath.mjs'

const here = path.dirname(new URL(import.meta.url).pathname)
const root = path.resolve(here, '..')
const args = process.argv.slice(2)
const flag = (name) => args.includes(name)
const value = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt)
const smoke = flag('--smoke')
const analysisFile = path.join(here, 'analysis.md')
const analysis = () => (!smoke && fs.existsSync(analysisFile) ? fs.readFileSync(analysisFile, 'utf8') : '')

function runWorker(plan, work, tag, ballastMb) {
  const planFile = path.join(work, `plan-${tag}.json`)
  const out = path.join(work, `out-${tag}.json`)
  fs.writeFileSync(planFile, JSON.stringify({ ...plan, ballastMb, out, progress: !smoke }))
  const nodeArgs = ['--expose-gc', ...(ballastMb ? ['--max-old-space-size=4096'] : []), path.join(here, 'lib', 'worker.mjs'), planFile]
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, nodeArgs, { stdio: ['ignore', 'inherit', 'inherit'] })
    child.on('error', reject)
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(fs.readFileSync(out, 'utf8'))) : reject(new Error(`worker ${tag} exited with ${code}`))))
  })
}

async function measure() {
  const addon = addonInfo()
  if (addon.missing) throw new Error(`no addon at ${addon.file}: run \`npm run build\` first`)
  if (addon.debug && !smoke && !flag('--allow-debug')) {
    throw new Error(
      `${addon.file} is a debug build (${addon.sizeMb} MB, has .debug_info): its figures would be meaningless. ` +
        'Run `npm run build` (release), or point ALYX_BENCH_PACKAGE at a package root with a release build; --allow-debug overrides.',
    )
  }
  if (addon.debug) console.error(`note: measuring a debug build of the addon (${addon.file})`)
  const reps = Number(value('--reps', smoke ? 1 : 3))
  const work = makeWorkDir()
  try {
    const s = setup(work, smoke ? ['c', 'node'] : undefined)
    if (s.missing.length) console.error(`!! not installed, skipped: ${s.missing.join(', ')}`)
    s.fns.sandbox = sandboxAvailable()
    if (!s.fns.sandbox) console.error('!! the sandbox is unavailable here (Landlock ABI < 6): its cells are skipped')
    const m = machine(s.fns)
    const { plain, memory, ballast } = plans({ smoke, fns: s.fns })
    const base = { functionsDir: s.functionsDir, fns: s.fns, env: allowlistEnv(), floorBin: s.floor, tmp: work }
    const loadBefore = os.loadavg()
    const results = []
    let ballastInfo = null
    for (let rep = 1; rep <= reps; rep++) {
      if (!smoke) process.stderr.write(`repetition ${rep}/${reps}: `)
      const a = await runWorker({ ...base, cells: plain }, work, `plain-${rep}`, 0)
      results.push(...a.results.map((r) => ({ ...r, rep })))
      // RSS in a fresh process: payload runs leave hundreds of MB to give back.
      const m = await runWorker({ ...base, cells: memory }, work, `memory-${rep}`, 0)
      results.push(...m.results.map((r) => ({ ...r, rep })))
      if (ballast.length && !flag('--no-ballast')) {
        const b = await runWorker({ ...base, cells: ballast }, work, `ballast-${rep}`, 2048)
        ballastInfo = b.ballast
        results.push(...b.results.map((r) => ({ ...r, rep })))
      }
      if (!smoke) process.stderr.write('\n')
    }
    const spawnInfo = smoke ? null : spawnPath(s.functionsDir, s.fns.c, work)
    const wake = smoke ? null : wakeCost(work)
    return {
      machine: m,
      addon,
      reps,
      loadBefore,
      loadAfter: os.loadavg(),
      ballast: ballastInfo,
      spawn: spawnInfo,
      wake,
      fns: { python: s.fns.python?.program },
      results,
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true })
  }
}

async function main() {
  if (flag('--report')) {
    const rest = args.slice(args.indexOf('--report') + 1)
    const end = rest.findIndex((a) => a.startsWith('--'))
    const files = end < 0 ? rest : rest.slice(0, end)
    const runs = files.map((file) => JSON.parse(fs.readFileSync(file, 'utf8')))
    return write(runs)
  }
  const run = await measure()
  if (smoke) {
    const agg = aggregate([run])
    console.log(consoleSummary(agg))
    const problems = checkSmoke(run, agg)
    if (problems.length) {
      console.error(`bench smoke: ${problems.length} problem(s):\n- ${problems.join('\n- ')}`)
      process.exit(1)
    }
    const out = value('--out', null)
    if (out) fs.writeFileSync(out, render({ runs: [run], agg, spawn: null, smoke: true }))
    console.log('bench smoke: ok')
    return
  }
  const dir = path.join(here, 'results')
  fs.mkdirSync(dir, { recursive: true })
  const file = path.join(dir, `${run.machine.date.replace(/[:.]/g, '-')}.json`)
  fs.writeFileSync(file, JSON.stringify(run))
  console.log(`raw results: ${path.relative(root, file)}`)
  write([run])
}

function write(runs) {
  const agg = aggregate(runs)
  const spawnInfo = runs
    .map((r) => r.spawn)
    .filter(Boolean)
    .pop()
  console.log(consoleSummary(agg))
  const out = value('--out', path.join(root, 'BENCHMARKS.md'))
  fs.writeFileSync(out, render({ runs, agg, spawn: spawnInfo, smoke: false, analysis: analysis() }) + keptSections(out))
  console.log(`wrote ${path.relative(process.cwd(), out) || out}`)
}

// Sections kept as they are: the invocation pipeline's measurements (issue
// 13, written by hand), and those other scripts own: HTTP (bench/http.mjs),
// the sandbox (bench/sandbox.mjs and its hand-written reading) and warm
// processes (bench/warm.mjs, which rewrites its own section below).
const KEPT_SECTIONS = ['pipeline', 'http', 'sandbox', 'warm']

function keptSections(file) {
  const old = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : ''
  return KEPT_SECTIONS.map((name) => sectionOf(old, name))
    .map((section) => (section ? `\n${section}\n` : ''))
    .join('')
}

/** `npm run bench` ends with the warm processes' rows (bench/warm.mjs). */
function runWarm(extra) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(here, 'warm.mjs'), ...extra], { stdio: ['ignore', 'ignore', 'inherit'] })
    child.on('error', reject)
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`bench/warm.mjs exited with ${code}`))))
  })
}

main()
  .then(() => (flag('--report') ? null : runWarm(smoke ? ['--smoke'] : [])))
  .catch((e) => {
    console.error(e)
    process.exit(1)
  })
