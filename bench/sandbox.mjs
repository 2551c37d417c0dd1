#!/usr/bin/env node
// The sandbox's overhead alone (issue 15): the C echo at C=1, unsandboxed
// and `sandbox: true` in alternating rounds in one process, so load drift
// hits both alike. Writes its section of BENCHMARKS.md (between the
// bench:sandbox markers, which `npm run bench` keeps); `npm run bench`'s
// own "Sandbox" table holds the C=8/32 and 2 GB ballast cells. On a shared
// machine, `nice -n -10` gives both cells alike a machine closer to idle.
//   node bench/sandbox.mjs [--rounds 8] [--n 2000] [--conc 1] [--out FILE | --no-write]
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { drive } from './lib/drive.mjs'
import { ours } from './lib/impls.mjs'
import { addonInfo, sandboxAvailable } from './lib/pkg.mjs'
import { writeSection } from './lib/sections.mjs'
import { makeWorkDir, setup } from './lib/setup.mjs'
import { median } from './lib/stats.mjs'

const here = path.dirname(new URL(import.meta.url).pathname)
const args = process.argv.slice(2)
const value = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt)
const rounds = Number(value('--rounds', 8))
const n = Number(value('--n', 2000))
const conc = Number(value('--conc', 1))
const out = args.includes('--no-write') ? null : value('--out', path.join(here, '..', 'BENCHMARKS.md'))
const TARGET_MS = 0.2

const loadavg = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')

async function measure() {
  const work = makeWorkDir()
  try {
    const { functionsDir, fns } = setup(work, ['c'])
    const impls = { plain: ours(functionsDir, fns), sandboxed: ours(functionsDir, fns, { sandbox: true }) }
    const rows = []
    for (let r = 1; r <= rounds; r++) {
      const row = { round: r }
      for (const [name, impl] of Object.entries(impls)) {
        const call = (input) => impl.call(fns.c, input)
        await drive(call, { n: conc * 20, concurrency: conc })
        const s = await drive(call, { n, concurrency: conc, maxMs: 60_000 })
        if (s.failures) throw new Error(`${name}: ${s.failures} failures: ${s.error}`)
        row[name] = s
      }
      row.overhead = row.sandboxed.p50 - row.plain.p50
      rows.push(row)
      console.error(`round ${r}: p50 ${row.plain.p50.toFixed(3)} → ${row.sandboxed.p50.toFixed(3)} ms (+${row.overhead.toFixed(3)}), load ${loadavg()}`)
    }
    await Promise.all(Object.values(impls).map((i) => i.close()))
    return rows
  } finally {
    fs.rmSync(work, { recursive: true, force: true })
  }
}

function section(rows, before, after) {
  const addon = addonInfo()
  const niceness = os.getPriority()
  const f = (x, d = 3) => x.toFixed(d)
  const overhead = median(rows.map((r) => r.overhead))
  const ratio = median(rows.map((r) => r.sandboxed.perSec / r.plain.perSec))
  const verdict = overhead <= TARGET_MS ? '**met**' : '**missed**'
  return [
    '<!-- bench:sandbox:start -->',
    '## Sandbox overhead (issue 15)',
    '',
    `\`${niceness ? `nice -n ${niceness} ` : ''}node bench/sandbox.mjs\`, ${new Date().toISOString()}, ${os.cpus().length} CPUs, load ${before} before → ${after} after${niceness < 0 ? ' (run at a higher priority than other work so that both cells see a machine closer to idle — both cells alike, the comparison stays fair)' : ''}.` +
      ` Addon: ${addon.debug ? '**debug build**' : 'release build'}, sha256 ${addon.sha256}…, from ${addon.source}.` +
      ` The C echo at C=${conc}, ${n.toLocaleString('en')} calls per cell, unsandboxed and \`sandbox: true\` (default policy) alternating in one process, ${rounds} rounds.` +
      ` Target: overhead ≤ ${TARGET_MS} ms p50 at C=1 — ${verdict}: median overhead **${f(overhead)} ms**, sandboxed throughput ${f(ratio, 2)}× unsandboxed.`,
    '',
    '| round | unsandboxed p50 / p99 ms | sandboxed p50 / p99 ms | overhead p50 ms | sandboxed ÷ unsandboxed inv/s |',
    '| --- | --- | --- | --- | --- |',
    ...rows.map(
      (r) =>
        `| ${r.round} | ${f(r.plain.p50)} / ${f(r.plain.p99)} | ${f(r.sandboxed.p50)} / ${f(r.sandboxed.p99)} | ${f(r.overhead)} | ${f(r.sandboxed.perSec / r.plain.perSec, 2)}× |`,
    ),
    '',
    'Where the overhead goes (crates/core/src/sandbox/; the same A/B through `Runtime::invoke` in Rust, quiet machine, 2026-11-30 12:00–12:40Z).' +
      " Before `sandbox/ahead.rs`, per sandboxed spawn on the call's path: a private temp dir (mkdir + open on this ext4 `discard` mount, 75–143 µs mean)," +
      ' the rules (path lookups, 22–25 µs), the ruleset and `restrict_self` (45 µs), and the hand-off to a parked spawner thread (wake 54–110 µs, reply' +
      ' 95–150 µs, making the next thread 20 µs): +0.24–0.39 ms p50. Landlock itself costs the child nothing measurable: the same run with' +
      ' `restrict_self` skipped had the same overhead. Now the temp dir, rules and restricted thread are prepared ahead by a preparer thread per' +
      " function, which the spawner wakes after its spawn (off the call's path), and the removed temp dir's last close (the discard) runs there too." +
      " What is left on the path is the two hand-offs (to the spawner and back), a check that the function's directory and program are unchanged" +
      " (2 stats), and the temp dir's rmdir; a spin-wait for the reply instead of sleeping measured worse (+0.25–0.31). With `TMPDIR` on a tmpfs" +
      ' (`/dev/shm`) the same bench measured +0.06–0.19 ms per round (medians ~0.11), against +0.15–0.28 on the ext4 `/tmp`; skipping the' +
      ' end-of-call rmdir (an experiment only: the contract removes the dir before `invoke` resolves) saved ~40 µs of that. Medians of this bench' +
      ' with spawns prepared ahead, 12:44–13:12Z: 0.179, 0.181, 0.191 and 0.224 ms (the last while every cell of the machine ran ~15 % slower):' +
      ' around the target, not clearly under it on this mount; later runs: 0.179 (14:45Z) and 0.194 ms (16:02Z).' +
      ' The same A/B in Rust at 14:55–15:00Z (1,500 calls × 5 rounds per cell) put the rest on the temp dir: +0.187 ms p50 as built, +0.078' +
      ' with `TMPDIR=/dev/shm`, +0.124 with the end-of-call rmdir skipped, and no change with `restrict_self` skipped; the hand-off round trip to' +
      ' a parked restricted thread is 16–18 µs p50, and pinning the caller and spawner to one CPU (tried, not kept) did not lower the overhead.' +
      ' The full bench with these changes (`node bench/run.mjs --reps 1`, 12:50–12:57Z, its own cells back to back): +0.173 ms at C=1;' +
      ' with a 2 GB JS heap, sandboxed throughput 0.94× of itself without at C=1, 0.90× at C=8, 1.18× at C=32 (target ≥ 0.9×; the spawn keeps' +
      ' the posix_spawn/vfork path, which `__test__/sandbox.test.mjs` and `sandbox-warm.test.mjs` check under strace). Under concurrency the' +
      ' sandbox costs more than at C=1 (sandboxed ÷ unsandboxed throughput 0.87× at C=8, 0.66× at C=32 in that run): every spawn still has a thread' +
      ' of its own, made ahead, and the preparing competes with the calls for the 2 CPUs. `npm run bench` renders its own' +
      ' "Sandbox" table (C=1/8/32, 2 GB ballast) from the same cells on every full run.',
    '<!-- bench:sandbox:end -->',
  ].join('\n')
}

if (!sandboxAvailable()) throw new Error('the sandbox is unavailable on this kernel (Landlock ABI < 6)')
const before = loadavg()
const rows = await measure()
const md = section(rows, before, loadavg())
console.log(md)
if (out) {
  writeSection(out, 'sandbox', md)
  console.error(`wrote the sandbox section of ${path.relative(process.cwd(), out)}`)
}
