// Percentiles and medians.

/** p in [0, 100], nearest-rank on a sorted copy. */
export function percentile(values, p) {
  if (values.length === 0) return NaN
  const s = Float64Array.from(values).sort()
  const rank = Math.ceil((p / 100) * s.length)
  return s[Math.min(s.length - 1, Math.max(0, rank - 1))]
}

export function median(values) {
  const v = values.filter((x) => typeof x === 'number' && Number.isFinite(x))
  if (v.length === 0) return NaN
  const s = Float64Array.from(v).sort()
  const mid = s.length >> 1
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2
}

/** Throughput and latency of one run: latencies in ms, elapsed in ms. */
export function summarize(latMs, elapsedMs, extra = {}) {
  return {
    n: latMs.length,
    perSec: latMs.length / (elapsedMs / 1000),
    p50: percentile(latMs, 50),
    p99: percentile(latMs, 99),
    ...extra,
  }
}

/** Per-metric median over repeated runs of the same cell. */
export function medianOf(samples) {
  const out = {}
  const keys = new Set(samples.flatMap((s) => Object.keys(s)))
  for (const k of keys) {
    const vals = samples.map((s) => s[k]).filter((x) => typeof x === 'number')
    if (vals.length) out[k] = median(vals)
  }
  out.runs = samples.length
  return out
}
