// Go: the first call of a fresh copy of the Go echo (no .alyx cache yet)
// and the cached calls after it. Whether the runtime built a cached binary
// (under the function's .alyx/go/) or still runs `go run` is detected and
// reported, so the comparison stays honest either way.
import fs from 'node:fs'
import path from 'node:path'
import { drive } from './drive.mjs'

export async function goFirstCall(impl, functionsDir, goFn) {
  const name = `go-first-${process.pid}-${Date.now()}`
  const dir = path.join(functionsDir, name)
  fs.mkdirSync(dir)
  for (const f of ['main.go', 'go.mod']) fs.copyFileSync(path.join(goFn.dir, f), path.join(dir, f))
  const fn = { name, dir }
  try {
    const t0 = performance.now()
    await impl.call(fn, { i: 0 })
    const firstMs = performance.now() - t0
    const cacheDir = path.join(dir, '.alyx', 'go')
    const goCache = fs.existsSync(cacheDir) && fs.readdirSync(cacheDir).length > 0 ? 1 : 0
    const r = await drive((input) => impl.call(fn, input), { n: 40, concurrency: 1, maxMs: 10_000 })
    return { firstMs, cachedP50: r.p50, cachedP99: r.p99, goCache, failures: r.failures }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}
