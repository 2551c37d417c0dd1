#!/usr/bin/env node
// The sandbox's overhead alone (issue 15): the C echo at C=1, unsandboxed
// and `sandbox: true` in alternating rounds in one process, so load drift
// hits both alike. Prints p50 per round and the median overhead. Quicker
// than `npm run bench`, whose "Sandbox" section is the figure of record.
//   node bench/sandbox.mjs [--rounds 6] [--n 3000] [--conc 1]
import os from 'node:os'
import fs from 'node:fs'
import { drive } from './lib/drive.mjs'
import { ours } from './lib/impls.mjs'
import { addonInfo, sandboxAvailable } from './lib/pkg.mjs'
import { makeWorkDir, setup } from './lib/setup.mjs'
import { median } from './lib/stats.mjs'

const args = process.argv.slice(2)
const value = (name, dflt) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : dflt)
const rounds = value('--rounds', 6)
const n = value('--n', 3000)
const conc = value('--conc', 1)

if (!sandboxAvailable()) throw new Error('the sandbox is unavailable on this kernel (Landlock ABI < 6)')
const addon = addonInfo()
if (addon.debug) console.error(`note: ${addon.file} is a debug build`)
const work = makeWorkDir()
try {
  const { functionsDir, fns } = setup(work, ['c'])
  const impls = { plain: ours(functionsDir, fns), sandboxed: ours(functionsDir, fns, { sandbox: true }) }
  const p50 = { plain: [], sandboxed: [] }
  console.log(`C echo, C=${conc}, ${n} calls per cell, load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`)
  for (let r = 1; r <= rounds; r++) {
    for (const [name, impl] of Object.entries(impls)) {
      const call = (input) => impl.call(fns.c, input)
      await drive(call, { n: conc * 20, concurrency: conc })
      const s = await drive(call, { n, concurrency: conc, maxMs: 60_000 })
      if (s.failures) throw new Error(`${name}: ${s.failures} failures: ${s.error}`)
      p50[name].push(s.p50)
      console.log(`round ${r} ${name.padEnd(9)} p50 ${s.p50.toFixed(3)} ms  p99 ${s.p99.toFixed(3)} ms  ${Math.round(s.perSec)}/s`)
    }
  }
  const diffs = p50.sandboxed.map((s, i) => s - p50.plain[i])
  console.log(`overhead p50 (median of ${rounds} rounds): ${median(diffs).toFixed(3)} ms; per round: ${diffs.map((d) => d.toFixed(3)).join(' ')}`)
  console.log(`load after: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`)
  await Promise.all(Object.values(impls).map((i) => i.close()))
} finally {
  fs.rmSync(work, { recursive: true, force: true })
}
