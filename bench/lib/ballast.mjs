// A JS-heap ballast: many big arrays of small objects kept alive, so V8's
// own heap (not external buffers) holds `mb` megabytes. Needs
// `--max-old-space-size` above it (the worker runs with 4096).
import v8 from 'node:v8'

const keep = []

export function buildBallast(mb) {
  const target = mb * 1024 * 1024
  const started = performance.now()
  let i = 0
  while (v8.getHeapStatistics().used_heap_size < target) {
    // ~1.1 KB per object: a header plus a packed array of 128 doubles.
    const arr = new Array(10_000)
    for (let k = 0; k < arr.length; k++) {
      arr[k] = { id: i++, tag: 'ballast', values: new Array(128).fill(k + 0.5) }
    }
    keep.push(arr)
  }
  const heap = v8.getHeapStatistics().used_heap_size
  return { heapMb: Math.round(heap / 1048576), objects: i, buildMs: Math.round(performance.now() - started) }
}
