// The closed-loop driver: `concurrency` workers each invoking back to back
// until `n` calls were made or `maxMs` passed (but at least `minN`), with
// the event-loop delay monitored for exactly that span.
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks'
import { cpuMonitor } from './cpu.mjs'
import { summarize } from './stats.mjs'

const RESOLUTION_MS = 1

/** Event-loop delay: interval between 1 ms timer ticks minus the 1 ms. */
/** Also the longest V8 GC pause in the span, to tell GC from other stalls. */
export function eldMonitor() {
  const h = monitorEventLoopDelay({ resolution: RESOLUTION_MS })
  let gcMax = 0
  const gc = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcMax = Math.max(gcMax, e.duration)
  })
  gc.observe({ entryTypes: ['gc'] })
  h.enable()
  return () => {
    h.disable()
    for (const e of gc.takeRecords()) gcMax = Math.max(gcMax, e.duration)
    gc.disconnect()
    const ms = (ns) => Math.max(0, ns / 1e6 - RESOLUTION_MS)
    return { eldMax: ms(h.max), eldP99: ms(h.percentile(99)), gcMax }
  }
}

/** `monitor: false` leaves out the loop-delay monitor (its timer costs the main thread CPU). */
export async function drive(call, { n, concurrency, maxMs = 5000, minN = 0, input = (i) => ({ i }), monitor = true }) {
  const lat = []
  let next = 0
  let failures = 0
  let firstError = null
  const start = performance.now()
  const deadline = start + maxMs
  const stopEld = monitor ? eldMonitor() : () => ({})
  const stopCpu = cpuMonitor()
  async function worker() {
    while (next < n && (next < minN || performance.now() < deadline)) {
      const i = next++
      const t0 = performance.now()
      try {
        const out = await call(input(i))
        if (out?.i !== i) throw new Error(`echo mismatch: sent ${i}, got ${JSON.stringify(out)}`)
        lat.push(performance.now() - t0)
      } catch (e) {
        failures++
        firstError ??= e.message
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  const elapsed = performance.now() - start
  const eld = stopEld()
  const cpu = stopCpu(lat.length + failures)
  return summarize(lat, elapsed, { ...eld, ...cpu, failures, ...(firstError ? { error: firstError } : {}) })
}

/** The event-loop delay of this process doing nothing, for reference. */
export async function idle(ms) {
  const stop = eldMonitor()
  await new Promise((r) => setTimeout(r, ms))
  return stop()
}
