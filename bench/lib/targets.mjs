// The issue-7 targets, checked against the pooled figures.
import { cellKey } from './plan.mjs'
import { LANG, f, get, ratio, table } from './format.mjs'

/** Each issue-7 target: the figure, the goal, met or missed. */
export function targets(agg) {
  const t = []
  const add = (name, value, goal, met, detail) => t.push({ name, value, goal, met, detail })
  const oc1 = get(agg, { fn: 'c', impl: 'ours', conc: 1 })
  const fc1 = get(agg, { fn: 'c', impl: 'floor', conc: 1 })
  const over = oc1 && fc1 ? oc1.p50 - fc1.p50 : NaN
  add('overhead over the floor, p50 at C=1 (C echo)', `${f(over, 2)} ms`, '≤ 1 ms', over <= 1, `ours ${f(oc1?.p50, 2)} ms, floor ${f(fc1?.p50, 2)} ms`)
  const o8 = get(agg, { fn: 'c', impl: 'ours', conc: 8 })
  const c8 = get(agg, { fn: 'c', impl: 'cp', conc: 8 })
  const r8 = ratio(o8?.perSec, c8?.perSec)
  const fl8 = get(agg, { fn: 'c', impl: 'floor', conc: 8 })
  add(
    'throughput vs child_process, C echo at C=8',
    `${f(r8, 2)}×`,
    '≥ 3×',
    r8 >= 3,
    `ours ${f(o8?.perSec, 0)}/s, child_process ${f(c8?.perSec, 0)}/s, floor ${f(fl8?.perSec, 0)}/s: the ceiling here is floor ÷ child_process = ${f(ratio(fl8?.perSec, c8?.perSec), 2)}×; ours reaches ${f(ratio(o8?.perSec, fl8?.perSec), 2)}× of the floor`,
  )
  const worst = [1, 8, 32]
    .map((conc) => ({ conc, r: ratio(get(agg, { fn: 'c', impl: 'ours', conc, ballast: true })?.perSec, get(agg, { fn: 'c', impl: 'ours', conc })?.perSec) }))
    .filter((x) => Number.isFinite(x.r))
    .sort((a, b) => a.r - b.r)[0]
  const b8 = ratio(get(agg, { fn: 'c', impl: 'ours', conc: 8, ballast: true })?.perSec, o8?.perSec)
  add(
    '2 GB ballast ÷ no ballast, own throughput (C echo, C=8)',
    `${f(b8, 2)}×`,
    '≥ 0.9×',
    b8 >= 0.9,
    worst ? `worst over C=1/8/32: ${f(worst.r, 2)}× at C=${worst.conc}` : '',
  )
  const eld = [...agg.values()].filter((r) => r.kind === 'invoke' && r.impl === 'ours' && !r.ballast && r.fn !== 'gorun')
  const eldWorst = eld.sort((a, b) => b.eldMax - a.eldMax)[0]
  const eldC = eld.filter((r) => r.fn === 'c').sort((a, b) => b.eldMax - a.eldMax)[0]
  const idle = agg.get(cellKey({ kind: 'idle' }))
  add(
    'event-loop delay max during invocations (ours, no ballast)',
    `${f(eldWorst?.eldMax, 1)} ms`,
    '≤ 2 ms',
    eldWorst?.eldMax <= 2,
    `worst cell ${LANG[eldWorst?.fn]} C=${eldWorst?.conc} (control: idle loop during the floor's run of that cell ${f(get(agg, { fn: eldWorst?.fn, impl: 'floor', conc: eldWorst?.conc })?.eldMax, 1)} ms); ` +
      `C echo worst ${f(eldC?.eldMax, 1)} ms at C=${eldC?.conc} (control ${f(get(agg, { fn: 'c', impl: 'floor', conc: eldC?.conc })?.eldMax, 1)} ms); idle process ${f(idle?.eldMax, 1)} ms`,
  )
  const eldB = [...agg.values()].filter((r) => r.kind === 'invoke' && r.impl === 'ours' && r.ballast).sort((a, b) => b.eldMax - a.eldMax)[0]
  const idleB = agg.get(cellKey({ kind: 'idle', ballast: true }))
  if (eldB)
    add(
      'event-loop delay max during invocations (ours, 2 GB ballast)',
      `${f(eldB.eldMax, 1)} ms`,
      '≤ 2 ms',
      eldB.eldMax <= 2,
      `worst cell ${LANG[eldB.fn]} C=${eldB.conc}; idle 2 GB process ${f(idleB?.eldMax, 1)} ms`,
    )
  const p100 = agg.get(cellKey({ kind: 'payload', impl: 'ours', mb: 100 }))
  if (p100) add('100 MiB round trip', `${f(p100.mbPerSec, 0)} MB/s`, '≥ 500 MB/s', p100.mbPerSec >= 500, `${f(p100.ms, 0)} ms per round trip`)
  const og = get(agg, { fn: 'go', impl: 'ours', conc: 1 })
  const fg = get(agg, { fn: 'go', impl: 'floor', conc: 1 })
  const first = agg.get(cellKey({ kind: 'goFirst' }))
  if (og && fg) {
    const d = og.p50 - fg.p50
    add(
      'Go cached call vs running the binary directly (p50, C=1)',
      `+${f(d, 2)} ms`,
      '≤ 5 ms',
      d <= 5,
      `ours ${f(og.p50, 2)} ms, binary ${f(fg.p50, 2)} ms; ${first?.goCache ? 'runtime used its .alyx/go cache' : 'runtime did NOT cache (go run)'}`,
    )
  }
  const rss = [...agg.values()].find((r) => r.kind === 'rss')
  if (rss)
    add(
      'host RSS growth over 10,000 invocations',
      `${f(rss.rssGrowthMb, 1)} MiB`,
      'no leak (flat)',
      null,
      `${f(rss.bytesPerInvocation, 0)} B/invocation after the first 2,000; MiB after GC every 2,000: ${rss.curves?.join(' | ')}`,
    )
  return t
}

export function targetTable(t) {
  const verdict = (x) => (/—/.test(x.value) ? 'not measured' : x.met === true ? '**met**' : x.met === false ? '**MISSED**' : 'see below')
  return table(
    ['target', 'measured', 'goal', 'verdict', 'detail'],
    t.map((x) => [x.name, x.value, x.goal, verdict(x), x.detail]),
  )
}
