// The machine's price of one wake-up (bench/c/wake.c): what a thread that
// sleeps in epoll is charged per wake-up, its waker on its own CPU or on
// another. The JS thread pays it once per batch of results.
import { execFileSync } from 'node:child_process'
import path from 'node:path'

const here = path.dirname(new URL(import.meta.url).pathname)

/** `{ sameCpuUs, otherCpuUs }`, or null where it cannot run (no cc, not Linux). */
export function wakeCost(tmp) {
  if (process.platform !== 'linux') return null
  const bin = path.join(tmp, 'wake')
  try {
    execFileSync('cc', ['-O2', '-pthread', '-o', bin, path.join(here, '..', 'c', 'wake.c')], { stdio: 'pipe' })
    return JSON.parse(execFileSync(bin, { stdio: ['ignore', 'pipe', 'pipe'] }).toString())
  } catch (e) {
    console.error(`!! bench/c/wake.c did not run: ${e.message.split('\n')[0]}`)
    return null
  }
}
