// Payload round trip: an input of `mb` MiB (one big string field) through
// the C echo and back, JS object to JS object. MB/s = payload MiB / seconds.
import { eldMonitor } from './drive.mjs'
import { floor } from './floor.mjs'
import { request, spawnCollect } from './impls.mjs'

const MiB = 1024 * 1024

export function payloadInput(mb) {
  return { i: 0, data: 'x'.repeat(mb * MiB - 20) }
}

export async function payloadOnce(impl, fn, mb) {
  const input = payloadInput(mb)
  const stop = eldMonitor()
  const t0 = performance.now()
  const out = await impl.call(fn, input)
  const ms = performance.now() - t0
  const eld = stop()
  if (out?.data?.length !== input.data.length) throw new Error(`payload ${mb} MB came back wrong`)
  return { ms, mbPerSec: mb / (ms / 1000), ...eld }
}

/** `pipeBytes`: F_SETPIPE_SZ for the floor's pipes (0 = the 64 KiB default). */
export async function payloadFloor(floorBin, fn, mb, env, tmp, pipeBytes = 0) {
  const e = pipeBytes ? { ...env, FLOOR_PIPE_BYTES: String(pipeBytes) } : env
  const r = await floor(floorBin, fn, { n: 1, concurrency: 1, input: payloadInput(mb), env: e, tmp })
  if (r.bytesOut < mb * MiB - 20) throw new Error(`floor payload ${mb} MB came back short: ${r.bytesOut}`)
  return { ms: r.p50, mbPerSec: mb / (r.p50 / 1000) }
}

/**
 * Where a round trip's time goes, step by step as index.js and a
 * child_process user do it: JSON.stringify; then the native call (napi
 * strings in and out + the core + pipes + the function) or spawn to close
 * (+ Buffer.concat and toString); then JSON.parse.
 */
export async function payloadParts(kind, impl, fn, mb, env) {
  const input = payloadInput(mb)
  const t0 = performance.now()
  const text = kind === 'ours' ? JSON.stringify(input) : request(fn.name, input)
  const t1 = performance.now()
  const out = kind === 'ours' ? await impl.nativeInvoke(fn.name, text) : (await spawnCollect(fn, env, text)).text
  const t2 = performance.now()
  const res = JSON.parse(out)
  const t3 = performance.now()
  if (res.output?.data?.length !== input.data.length) throw new Error(`payload parts ${kind}: wrong echo`)
  return { stringifyMs: t1 - t0, middleMs: t2 - t1, parseMs: t3 - t2, ms: t3 - t0 }
}
