// Runs a plan of bench cells in this process (a child of run.mjs, so the
// ballast variant can have its own 2 GB heap) and writes the results as
// JSON to plan.out. Usage: node [--max-old-space-size=4096] --expose-gc worker.mjs PLAN.json
import fs from 'node:fs'
import { buildBallast } from './ballast.mjs'
import { drive, idle } from './drive.mjs'
import { floor } from './floor.mjs'
import { goFirstCall } from './gocache.mjs'
import { childProcess, ours } from './impls.mjs'
import { payloadFloor, payloadOnce, payloadParts } from './payload.mjs'
import { rssGrowth } from './rss.mjs'

const plan = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'))
const { fns, env, floorBin, tmp } = plan
const results = []
let ballast = null
if (plan.ballastMb) ballast = buildBallast(plan.ballastMb)

const impls = {
  ours: ours(plan.functionsDir, fns),
  cp: childProcess(env),
  // The default sandbox policy on every function (only when the kernel has it).
  ...(fns.sandbox ? { sbx: { ...ours(plan.functionsDir, fns, { sandbox: true }), label: '@alyx/runtime, sandbox: true' } } : {}),
}

async function invokeCell(cell) {
  const fn = fns[cell.fn]
  if (cell.impl === 'floor') {
    // Calibrate (and warm up), then size N to about maxMs.
    const probe = await floor(floorBin, fn, { n: cell.conc * 2, concurrency: cell.conc, env, tmp })
    const n = Math.max(cell.conc * 4, Math.min(cell.n, Math.round((probe.perSec * cell.maxMs) / 1000)))
    return floor(floorBin, fn, { n, concurrency: cell.conc, env, tmp })
  }
  const impl = impls[cell.impl]
  const call = (input) => impl.call(fn, input)
  await drive(call, { n: cell.conc, concurrency: cell.conc, maxMs: 60_000 }) // warm-up
  return drive(call, { n: cell.n, concurrency: cell.conc, maxMs: cell.maxMs, minN: cell.minN ?? cell.conc * 2, monitor: cell.monitor !== false })
}

async function runCell(cell) {
  switch (cell.kind) {
    case 'idle':
      return idle(cell.ms)
    case 'invoke':
      return invokeCell(cell)
    case 'payload':
      if (cell.impl === 'floor') return payloadFloor(floorBin, fns.c, cell.mb, env, tmp)
      if (cell.impl === 'floor1m') return payloadFloor(floorBin, fns.c, cell.mb, env, tmp, 1 << 20)
      return payloadOnce(impls[cell.impl], fns.c, cell.mb)
    case 'payloadParts':
      return payloadParts(cell.impl, impls[cell.impl], fns.c, cell.mb, env)
    case 'rss':
      return rssGrowth(impls.ours, fns.c, cell)
    case 'goFirst':
      return goFirstCall(impls.ours, plan.functionsDir, fns.go)
    default:
      throw new Error(`unknown cell kind ${cell.kind}`)
  }
}

for (const cell of plan.cells) {
  let r
  try {
    r = await runCell(cell)
  } catch (e) {
    r = { error: String(e?.message ?? e), failures: 1 }
  }
  results.push({ ...cell, ballast: Boolean(plan.ballastMb), ...r })
  if (plan.progress) process.stderr.write(plan.ballastMb ? 'B' : '.')
}
await impls.ours.close()
await impls.sbx?.close()
fs.writeFileSync(plan.out, JSON.stringify({ ballast, results }))
