// Host RSS over many invocations (after a forced GC at each sample point;
// the worker runs with --expose-gc): a leak shows as steady growth.
import { drive } from './drive.mjs'

const MiB = 1024 * 1024

export async function rssGrowth(impl, fn, { n = 10_000, conc = 8, every = 2000, warmup = 500 }) {
  const call = (input) => impl.call(fn, input)
  const rss = () => {
    globalThis.gc?.()
    return process.memoryUsage().rss / MiB
  }
  await drive(call, { n: warmup, concurrency: conc, maxMs: 1e9 })
  const start = rss()
  const curve = []
  let failures = 0
  for (let done = 0; done < n; done += every) {
    const r = await drive(call, { n: Math.min(every, n - done), concurrency: conc, maxMs: 1e9 })
    failures += r.failures
    curve.push(rss() - start)
  }
  // The slope after the first sample: a leak keeps growing, warm-up does not.
  const slope = curve.length > 1 ? ((curve[curve.length - 1] - curve[0]) * MiB) / (n - every) : NaN
  return {
    rssStartMb: start,
    rssGrowthMb: curve[curve.length - 1],
    bytesPerInvocation: slope,
    curve: curve.map((x) => x.toFixed(1)).join(' '),
    failures,
  }
}
