// What a run measures: the cells of the plain worker and of the ballast
// worker, for the full bench and for the smoke test.

const LANGS = ['c', 'node', 'python', 'go']
const IMPLS = ['ours', 'cp', 'floor']

/** Per-cell call budget: the C echo is ~100× faster than interpreters. */
const budget = (fn, full) => (full ? { n: fn === 'c' || fn === 'go' ? 6000 : 400, maxMs: 3000 } : { n: 40, maxMs: 400 })

export function plans({ smoke, fns }) {
  const full = !smoke
  const langs = LANGS.filter((l) => fns[l] && (full || l === 'c' || l === 'node'))
  const concs = full ? [1, 8, 32] : [1, 8]
  const plain = [{ kind: 'idle', ms: full ? 1000 : 200 }]
  for (const fn of langs) {
    for (const conc of concs) {
      for (const impl of IMPLS) plain.push({ kind: 'invoke', fn, impl, conc, ...budget(fn, full) })
      // The same C echo sandboxed (issue 15), right after its unsandboxed cell.
      if (fn === 'c' && fns.sandbox) plain.push({ kind: 'invoke', fn, impl: 'sbx', conc, ...budget(fn, full) })
    }
  }
  // JS main-thread CPU per call without the loop-delay monitor: its 1 ms
  // timer alone costs the main thread ~27 ms/s, which the cells above
  // divide among their calls (~20 µs per call at 1,300 calls/s).
  if (fns.c) for (const impl of ['ours', 'cp']) plain.push({ kind: 'invoke', fn: 'c', impl, conc: 8, ...budget('c', full), monitor: false })
  if (full && fns.gorun) {
    for (const impl of IMPLS) plain.push({ kind: 'invoke', fn: 'gorun', impl, conc: 1, n: 20, maxMs: 3000 })
  }
  if (full && fns.go) plain.push({ kind: 'goFirst' })
  const sizes = full ? [1, 10, 100] : [1]
  for (const mb of sizes) {
    // floor1m: the floor with 1 MiB pipes (F_SETPIPE_SZ), to size that fix.
    for (const impl of [...IMPLS, 'floor1m']) {
      const times = mb === 100 ? 1 : mb === 10 ? 3 : 5
      for (let k = 0; k < (full ? times : 1); k++) plain.push({ kind: 'payload', impl, mb })
    }
  }
  for (const impl of ['ours', 'cp']) plain.push({ kind: 'payloadParts', impl, mb: full ? 100 : 1 })
  const memory = [full ? { kind: 'rss', n: 10_000, conc: 8, every: 2000 } : { kind: 'rss', n: 200, conc: 8, every: 100, warmup: 50 }]

  const ballast = []
  if (full) {
    ballast.push({ kind: 'idle', ms: 1000 })
    for (const fn of langs) {
      for (const conc of fn === 'c' ? concs : [8]) {
        const impls = fn === 'c' && fns.sandbox ? ['ours', 'sbx', 'cp'] : ['ours', 'cp']
        for (const impl of impls) ballast.push({ kind: 'invoke', fn, impl, conc, ...budget(fn, full), maxMs: 4000 })
      }
    }
  }
  return { plain, memory, ballast }
}

/** The identity of a cell across repetitions. */
export function cellKey(r) {
  return [r.kind, r.fn ?? '', r.impl ?? '', r.conc ?? '', r.mb ?? '', r.ballast ? 'ballast' : '', r.monitor === false ? 'unmonitored' : ''].join('|')
}
