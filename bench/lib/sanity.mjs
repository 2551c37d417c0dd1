// What the smoke run asserts: the bench ran end to end and its numbers are
// sane (finite, ordered, no failed invocation). Never timing thresholds.
export function checkSmoke(run, agg) {
  const problems = []
  const finite = (x) => typeof x === 'number' && Number.isFinite(x)
  for (const r of run.results) {
    const where = `${r.kind} ${r.fn ?? ''} ${r.impl ?? ''} C=${r.conc ?? ''} ${r.mb ? `${r.mb} MiB` : ''}`.trim()
    if (r.error) problems.push(`${where}: ${r.error}`)
    if (r.failures) problems.push(`${where}: ${r.failures} failed invocation(s)`)
    if (r.kind === 'invoke') {
      if (!(r.n > 0)) problems.push(`${where}: no invocation completed`)
      if (!(finite(r.perSec) && r.perSec > 0)) problems.push(`${where}: throughput ${r.perSec}`)
      if (!(finite(r.p50) && finite(r.p99) && r.p50 > 0 && r.p50 <= r.p99)) problems.push(`${where}: p50 ${r.p50} / p99 ${r.p99}`)
      if (r.impl !== 'floor' && r.monitor !== false && !(finite(r.eldMax) && r.eldMax >= r.eldP99))
        problems.push(`${where}: loop delay ${r.eldMax} / ${r.eldP99}`)
    }
    if (r.kind === 'payload' && !(finite(r.mbPerSec) && r.mbPerSec > 0)) problems.push(`${where}: ${r.mbPerSec} MB/s`)
    if (r.kind === 'rss' && !finite(r.rssGrowthMb)) problems.push(`${where}: RSS growth ${r.rssGrowthMb}`)
  }
  for (const impl of ['ours', 'cp', 'floor']) {
    if (![...agg.values()].some((r) => r.kind === 'invoke' && r.impl === impl && r.n > 0)) problems.push(`no ${impl} results`)
  }
  return problems
}
