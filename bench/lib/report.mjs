// Turns pooled results into tables and BENCHMARKS.md.
import { IMPL, LANG, eldText, f, get, ratio, table } from './format.mjs'
import { cellKey } from './plan.mjs'
import { medianOf } from './stats.mjs'
import { targetTable, targets } from './targets.mjs'

/** Pools every repetition of every run, then takes per-metric medians. */
export function aggregate(runs) {
  const groups = new Map()
  for (const run of runs) {
    for (const r of run.results) {
      const k = cellKey(r)
      if (!groups.has(k)) groups.set(k, { cell: r, samples: [] })
      groups.get(k).samples.push(r)
    }
  }
  const out = new Map()
  for (const [k, { cell, samples }] of groups) {
    const m = medianOf(samples)
    m.failures = samples.reduce((s, x) => s + (x.failures ?? 0), 0)
    m.errors = [...new Set(samples.map((x) => x.error).filter(Boolean))]
    if (cell.kind === 'rss') m.curves = samples.map((s) => s.curve)
    out.set(k, { ...cell, ...m })
  }
  return out
}

function invokeTable(agg, langs, concs) {
  const rows = []
  for (const fn of langs) {
    for (const conc of concs) {
      const o = get(agg, { fn, impl: 'ours', conc })
      const c = get(agg, { fn, impl: 'cp', conc })
      const fl = get(agg, { fn, impl: 'floor', conc })
      if (!o && !c && !fl) continue
      rows.push([
        LANG[fn],
        conc,
        `${f(o?.perSec, 0)} / ${f(o?.p50, 2)} / ${f(o?.p99, 2)}`,
        `${f(c?.perSec, 0)} / ${f(c?.p50, 2)} / ${f(c?.p99, 2)}`,
        `${f(fl?.perSec, 0)} / ${f(fl?.p50, 2)} / ${f(fl?.p99, 2)}`,
        `${f(ratio(o?.perSec, c?.perSec), 2)}×`,
        `${f(ratio(o?.perSec, fl?.perSec), 2)}×`,
        f((o?.p50 ?? NaN) - (fl?.p50 ?? NaN), 2),
        eldText(o),
        eldText(c),
        eldText(fl),
      ])
    }
  }
  return table(
    [
      'function',
      'C',
      'ours inv/s / p50 / p99 ms',
      'child_process inv/s / p50 / p99 ms',
      'floor inv/s / p50 / p99 ms',
      'ours ÷ child_process (inv/s)',
      'ours ÷ floor (inv/s)',
      'ours − floor p50 (ms)',
      'ours loop delay max / p99 ms',
      'child_process loop delay max / p99 ms',
      'control: idle loop while the floor runs, max / p99 ms',
    ],
    rows,
  )
}

function ballastTable(agg, langs, concs) {
  const rows = []
  for (const fn of langs) {
    for (const conc of concs) {
      const ob = get(agg, { fn, impl: 'ours', conc, ballast: true })
      const cb = get(agg, { fn, impl: 'cp', conc, ballast: true })
      if (!ob && !cb) continue
      const o = get(agg, { fn, impl: 'ours', conc })
      const c = get(agg, { fn, impl: 'cp', conc })
      rows.push([
        LANG[fn],
        conc,
        `${f(o?.perSec, 0)} → ${f(ob?.perSec, 0)}`,
        `${f(ratio(ob?.perSec, o?.perSec), 2)}×`,
        `${f(ob?.p50, 2)} / ${f(ob?.p99, 2)}`,
        eldText(ob),
        `${f(c?.perSec, 0)} → ${f(cb?.perSec, 1)}`,
        `${f(ratio(cb?.perSec, c?.perSec), 3)}×`,
        `${f(cb?.p50, 1)} / ${f(cb?.p99, 1)}`,
        eldText(cb),
        `${f(ratio(ob?.perSec, cb?.perSec), 0)}×`,
      ])
    }
  }
  return table(
    [
      'function',
      'C',
      'ours inv/s: no ballast → 2 GB',
      'ours ballast ÷ none',
      'ours p50 / p99 ms (2 GB)',
      'ours loop delay max / p99 ms (2 GB)',
      'child_process inv/s: none → 2 GB',
      'child_process ballast ÷ none',
      'child_process p50 / p99 ms (2 GB)',
      'child_process loop delay max / p99 ms (2 GB)',
      'ours ÷ child_process (2 GB)',
    ],
    rows,
  )
}

/** The C echo sandboxed vs not, same run (issue 15's "Measured"). */
function sandboxTable(agg, concs) {
  const rows = []
  for (const conc of concs) {
    const o = get(agg, { fn: 'c', impl: 'ours', conc })
    const s = get(agg, { fn: 'c', impl: 'sbx', conc })
    if (!s) continue
    const ob = get(agg, { fn: 'c', impl: 'ours', conc, ballast: true })
    const sb = get(agg, { fn: 'c', impl: 'sbx', conc, ballast: true })
    rows.push([
      conc,
      `${f(o?.perSec, 0)} / ${f(o?.p50, 3)}`,
      `${f(s?.perSec, 0)} / ${f(s?.p50, 3)}`,
      f((s?.p50 ?? NaN) - (o?.p50 ?? NaN), 3),
      `${f(ratio(s?.perSec, o?.perSec), 2)}×`,
      sb ? `${f(sb.perSec, 0)} / ${f(sb.p50, 3)}` : '—',
      sb ? `${f(ratio(sb.perSec, s?.perSec), 2)}×` : '—',
      ob && sb ? `${f(ratio(sb.perSec, ob.perSec), 2)}×` : '—',
    ])
  }
  return table(
    [
      'C',
      'unsandboxed inv/s / p50 ms',
      'sandboxed inv/s / p50 ms',
      'sandbox overhead p50 (ms)',
      'sandboxed ÷ unsandboxed (inv/s)',
      'sandboxed, 2 GB ballast: inv/s / p50 ms',
      'sandboxed: 2 GB ballast ÷ none',
      'sandboxed ÷ unsandboxed (2 GB)',
    ],
    rows,
  )
}

/** A CPU row's figures: µs per invocation by where it went, and the JS thread's wake-ups. */
function cpuCells(r) {
  const us = (x) => f(x * 1000, 0)
  const total = r.cpuMain + r.cpuTokio + r.cpuOther + r.cpuChildren
  return [us(r.cpuMain), f(r.wakesMain, 2), us(r.cpuTokio), us(r.cpuOther), us(r.cpuChildren), us(total)]
}

function cpuTable(agg, langs, concs) {
  const rows = []
  for (const fn of langs) {
    for (const conc of concs) {
      for (const ballast of [false, true]) {
        for (const impl of ['ours', 'sbx', 'cp', 'floor']) {
          const r = get(agg, { fn, impl, conc, ballast })
          if (!r || r.cpuMain === undefined) continue
          rows.push([LANG[fn], conc, ballast ? '2 GB' : '—', IMPL[impl], ...cpuCells(r)])
          const u = ballast ? undefined : get(agg, { fn, impl, conc, monitor: false })
          if (u?.cpuMain !== undefined) {
            rows.push([LANG[fn], conc, '—', `${IMPL[impl]}, no loop-delay monitor`, ...cpuCells(u)])
          }
        }
      }
    }
  }
  return table(
    [
      'function',
      'C',
      'ballast',
      'implementation',
      'JS main thread',
      'its wake-ups per invocation',
      'tokio threads',
      'other host threads (V8 GC/JIT, libuv)',
      'children (functions; floor: harness + functions)',
      'total',
    ],
    rows,
  )
}

/** The machine's price of a wake-up (bench/lib/wake.mjs), from the last run that measured it. */
function wakeText(runs) {
  const w = runs
    .map((r) => r.wake)
    .filter(Boolean)
    .pop()
  if (!w) return ''
  const other = w.otherCpuUs === null ? '' : `, ${f(w.otherCpuUs, 1)} µs when it runs on another CPU`
  const node = Number.isFinite(w.idleNodeUs)
    ? ` An idle Node process whose only work is a 1 ms timer is charged ${f(w.idleNodeUs, 0)} µs per wake-up of its main thread.`
    : ''
  return ` What a wake-up costs on this machine, measured in the same run (bench/lib/wake.mjs): a C thread sleeping in \`epoll\`, woken through an eventfd as the JS thread is, is charged ${f(w.sameCpuUs, 1)} µs per wake-up when its waker runs on the same CPU${other}.${node} The JS thread is woken once per batch of results, by worker threads on either CPU. In the floor rows the bench process sits idle (the loop-delay monitor's timer only) while the C harness runs the calls.`
}

function payloadTable(agg) {
  const rows = []
  for (const mb of [1, 10, 100]) {
    const cells = ['ours', 'cp', 'floor', 'floor1m'].map((impl) => agg.get(cellKey({ kind: 'payload', impl, mb })))
    if (cells.every((x) => !x)) continue
    rows.push([
      `${mb} MiB`,
      ...cells.map((x) => (x ? `${f(x.ms, 1)} ms / ${f(x.mbPerSec, 0)} MB/s` : '—')),
      `${f(cells[0]?.eldMax, 1)}`,
      `${f(cells[1]?.eldMax, 1)}`,
      `${f(ratio(cells[0]?.mbPerSec, cells[1]?.mbPerSec), 2)}×`,
    ])
  }
  return table(
    [
      'payload (C echo)',
      IMPL.ours,
      IMPL.cp,
      IMPL.floor,
      'floor with 1 MiB pipes',
      'ours loop delay max ms',
      'child_process loop delay max ms',
      'ours ÷ child_process',
    ],
    rows,
  )
}

function partsTable(agg) {
  const rows = []
  for (const impl of ['ours', 'cp']) {
    const r = [...agg.values()].find((x) => x.kind === 'payloadParts' && x.impl === impl)
    if (!r) continue
    rows.push([
      `${IMPL[impl]} (${r.mb} MiB)`,
      f(r.stringifyMs, 0),
      `${f(r.middleMs, 0)} (${impl === 'ours' ? 'native invoke: napi strings in/out, core, pipes, echo' : 'spawn → close: pipes, echo, Buffer.concat, toString'})`,
      f(r.parseMs, 0),
      f(r.ms, 0),
    ])
  }
  return table(['steps, ms', 'JSON.stringify', 'middle', 'JSON.parse', 'total'], rows)
}

export function render({ runs, agg, spawn, smoke, analysis }) {
  const m = runs[0].machine
  const langs = ['c', 'node', 'python', 'go', 'gorun']
  const first = agg.get(cellKey({ kind: 'goFirst' }))
  const rss = [...agg.values()].find((r) => r.kind === 'rss')
  const idle = agg.get(cellKey({ kind: 'idle' }))
  const idleB = agg.get(cellKey({ kind: 'idle', ballast: true }))
  const loads = runs.map((r) => `${r.loadBefore.map((x) => x.toFixed(2)).join(' ')} → ${r.loadAfter.map((x) => x.toFixed(2)).join(' ')}`)
  const parts = []
  parts.push(`## Targets (issue 7)\n\n${targetTable(targets(agg))}`)
  parts.push(
    `## Invocations\n\nClosed loop: C callers each invoking back to back. Cells read *invocations/s / p50 / p99 latency (ms)*; loop delay is \`monitorEventLoopDelay\` (1 ms resolution, figures are the excess over 1 ms) during the run, with the longest V8 GC pause (wall time) in brackets when ≥ 1 ms. The floor has no event loop: its column is the *control* — the loop delay of the bench process sitting idle while the floor runs the same load, i.e. what CPU contention alone does to a Node loop on this machine.\n\n${invokeTable(agg, langs, [1, 8, 32])}`,
  )
  if ([...agg.values()].some((r) => r.ballast)) {
    parts.push(
      `## 2 GB ballast on the JS heap\n\nSame cells in a child \`node --max-old-space-size=4096\` whose V8 heap holds ${runs[0].ballast ? `${runs[0].ballast.heapMb} MiB (${runs[0].ballast.objects.toLocaleString('en')} live objects)` : '2 GiB'}. Idle event-loop delay of that process: max ${f(idleB?.eldMax)} ms, p99 ${f(idleB?.eldP99)} ms.\n\n${ballastTable(agg, ['c', 'node', 'python', 'go'], [1, 8, 32])}`,
    )
  }
  if ([...agg.values()].some((r) => r.impl === 'sbx')) {
    parts.push(
      `## Sandbox\n\nThe C echo with \`sandbox: true\` (default policy: Landlock filesystem, TCP and scoping rules, a private temp dir per call, spawned from a fresh thread that restricts itself) against the same echo unsandboxed, in the same worker process, cells back to back. Targets (issue 15): overhead ≤ 0.2 ms p50 at C=1; with a 2 GB heap, sandboxed throughput ≥ 0.9× of itself without.\n\n${sandboxTable(agg, [1, 8, 32])}`,
    )
  }
  parts.push(
    `## CPU per invocation (µs)\n\nFrom /proc (10 ms ticks) over each run, divided by the invocations: where the work goes. On 2 CPUs, throughput is bounded by ~2 s ÷ total. The wake-ups are the JS main thread's voluntary context switches (the loop-delay monitor's 1 ms timer adds its own).${wakeText(runs)}\n\n${cpuTable(agg, ['c', 'go'], [1, 8, 32])}`,
  )
  if (first) {
    const og = get(agg, { fn: 'go', impl: 'ours', conc: 1 })
    const fg = get(agg, { fn: 'go', impl: 'floor', conc: 1 })
    const gr = ['ours', 'cp', 'floor'].map((impl) => get(agg, { fn: 'gorun', impl, conc: 1 }))
    parts.push(
      `## Go\n\n${table(
        ['what', 'p50 ms'],
        [
          [`first call of a fresh copy (no \`.alyx/go\` yet; Go's own build cache warm): \`go build\` + run`, f(first.firstMs, 0)],
          [
            `cached calls right after it (${first.goCache ? 'binary from `.alyx/go/<key>`' : '**no cached binary found: the runtime ran `go run`**'})`,
            f(first.cachedP50, 2),
          ],
          ['cached calls, steady state (ours, C=1)', f(og?.p50, 2)],
          ['the same binary run directly (floor, C=1)', f(fg?.p50, 2)],
          ['`go run main.go` every call, through @alyx/runtime (custom runtime `["go","run"]`)', f(gr[0]?.p50, 0)],
          ['`go run main.go` every call, through child_process', f(gr[1]?.p50, 0)],
          ['`go run main.go` every call, floor', f(gr[2]?.p50, 0)],
        ],
      )}`,
    )
  }
  const partsText = [...agg.values()].some((x) => x.kind === 'payloadParts')
    ? `\n\nThe same round trip split into its steps (index.js's own steps called one by one on the native class; child_process's on \`spawn\`):\n\n${partsTable(agg)}`
    : ''
  parts.push(
    `## Payload round trip\n\nInput \`{ i, data: "x"×N }\` of 1/10/100 MiB through the **C echo** and back, JS object to JS object (the floor: request bytes from memory to stdout bytes in memory, no JSON). MB/s = payload MiB ÷ round-trip seconds (each byte crosses two pipes). Runtime option \`maxOutputBytes\` raised to 512 MiB (default 64 MiB would refuse 100 MiB).\n\n${payloadTable(agg)}${partsText}`,
  )
  if (rss)
    parts.push(
      `## Memory\n\nHost RSS after GC, C echo, C=8, 500 warm-up calls, then ${rss.n.toLocaleString('en')} invocations sampled every ${rss.every.toLocaleString('en')} (growth in MiB from the start, one line per run): ${rss.curves.map((c) => `\`${c}\``).join('; ')}. Median growth **${f(rss.rssGrowthMb)} MiB** from ${f(rss.rssStartMb, 0)} MiB; slope after the first sample **${f(rss.bytesPerInvocation, 0)} bytes per invocation** (median of the runs).`,
    )
  if (spawn && !spawn.skipped) {
    parts.push(
      `## Spawn path\n\n\`${spawn.ours.command}\` (one invocation through the runtime): ${spawn.ours.vfork} process creation(s) with \`CLONE_VM|CLONE_VFORK\` (posix_spawn / vfork path), ${spawn.ours.fork} plain fork(s):\n\n\`\`\`\n${spawn.ours.creations.join('\n')}\n\`\`\`\n\nFor contrast, Node's \`child_process\` (\`${spawn.cp.command}\`): ${spawn.cp.fork} plain fork(s), ${spawn.cp.vfork} vfork:\n\n\`\`\`\n${spawn.cp.creations.join('\n')}\n\`\`\``,
    )
  }
  const failures = [...agg.values()].filter((r) => r.failures > 0)
  if (failures.length) parts.push(`## Failures\n\n${failures.map((r) => `- ${cellKey(r)}: ${r.failures} failed (${r.errors.join('; ')})`).join('\n')}`)
  if (analysis) parts.push(analysis.trim())

  const header = `# Benchmarks${smoke ? ' (smoke run — tiny N, not for quoting)' : ''}

Generated by \`npm run bench\` (\`node bench/run.mjs\`; ~10 min on 2 CPUs; needs \`cc\`, and \`python3\`/\`go\` for those rows; refuses a debug build of the addon — \`npm run build\` first, or point \`ALYX_BENCH_PACKAGE\` at a package root holding a release build). Each run saves its raw samples in \`bench/results/\`; \`node bench/run.mjs --report bench/results/*.json\` re-renders this file from several runs pooled. \`npm test\` runs \`--smoke\` (tiny N, sanity checks only). Every figure is the median over ${runs.length} full run(s) × their repetitions (${[...new Set(runs.map((r) => r.reps))].join('/')} per run); quote the **ratios** — absolute times depend on the machine.

- **Machine:** ${m.nproc} CPUs, ${m.cpu}, ${m.memGb} GiB RAM, ${m.kernel}
- **Versions:** node ${m.node}, ${m.rustc}, ${m.go}, ${m.python}, ${m.cc}
- **Addon measured:** ${runs
    .map((r) =>
      r.addon
        ? `\`${r.addon.file}\` (${r.addon.debug ? '**debug build**' : 'release build'}, ${r.addon.sizeMb} MB, sha256 ${r.addon.sha256}…, from ${r.addon.source})`
        : 'unknown',
    )
    .filter((x, i, a) => a.indexOf(x) === i)
    .join('; ')}
- **Date:** ${runs.map((r) => r.machine.date).join(', ')}
- **Load average (1/5/15 min) before → after each run:** ${loads.join('; ')}. Shared 2-core machine: other work was running; figures carry that noise.
- **Idle event-loop delay of the bench process:** max ${f(idle?.eldMax)} ms, p99 ${f(idle?.eldP99)} ms (the machine's noise floor for the loop-delay figures).

**What is compared**, on the same program, arguments, working directory and request bytes:
- **@alyx/runtime** — \`new FunctionRuntime({ functionsDir })\`, \`await rt.invoke(name, input)\` (default options except \`maxOutputBytes\`; \`maxConcurrency\` 0, the closed loop bounds concurrency).
- **child_process** — what a Node user writes: \`spawn(program, args, { cwd, env, timeout })\`, write the request JSON to stdin, collect stdout, \`JSON.parse\` (bench/lib/impls.mjs).
- **floor** — bench/c/floor.c, compiled at bench time: \`posix_spawn\` + pipes + \`poll\` + \`waitpid\`, same concurrency, no JSON work beyond checking the reply's prefix.
- Functions (bench/lib/setup.mjs): a C echo compiled at bench time (reads the request, writes \`{"success":true,"output":<input>}\`), a Node echo, a Python echo (the real interpreter \`${runs[0].fns?.python ?? 'python3'}\`, not a version-manager shim — given to the runtime as \`runtimes.python\`), a Go echo (runtime: built once into \`.alyx/go/\`; child_process and floor: the same source built with \`go build\`).
- Environment: child_process and the floor get the runtime's default allowlist (PATH HOME USER LANG LC_ALL TZ TMPDIR + PYTHONUNBUFFERED), not \`process.env\` — this host sets \`NODE_EXTRA_CA_CERTS\`, which would add ~50 ms to every Node start and make child_process look worse than it is.
`
  return `${header}\n${parts.join('\n\n')}\n`
}

/** The console version: the targets and the main table. */
export function consoleSummary(agg) {
  return `${targetTable(targets(agg))}\n\n${invokeTable(agg, ['c', 'node', 'python', 'go', 'gorun'], [1, 8, 32])}\n\n${payloadTable(agg)}`
}
