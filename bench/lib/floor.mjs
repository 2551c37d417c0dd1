// The floor: the C harness (bench/c/floor.c) spawning the same program with
// nothing around it — posix_spawn + pipes + poll + waitpid, same
// concurrency, same request bytes.
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { cpuMonitor } from './cpu.mjs'
import { eldMonitor } from './drive.mjs'
import { request } from './impls.mjs'
import { summarize } from './stats.mjs'

export async function floor(floorBin, fn, { n, concurrency, input = { i: 0 }, env, tmp }) {
  const reqFile = path.join(tmp, `req-${fn.name}-${process.pid}.json`)
  fs.writeFileSync(reqFile, request(fn.name, input))
  // This process only waits meanwhile: its loop delay is the control figure
  // (what CPU contention alone does to an idle Node loop under this load).
  const stopEld = eldMonitor()
  const stopCpu = cpuMonitor()
  try {
    const stdout = await new Promise((resolve, reject) => {
      execFile(
        floorBin,
        [String(n), String(concurrency), reqFile, fn.dir, fn.program, ...fn.args],
        { env, maxBuffer: 64 * 1024 * 1024 },
        (err, out, errText) => (err ? reject(new Error(`floor failed: ${err.message} ${errText}`)) : resolve(out)),
      )
    })
    const lat = []
    let elapsedUs = 0
    let bytesOut = 0
    for (const line of stdout.split('\n')) {
      if (line.startsWith('elapsed_us ')) elapsedUs = Number(line.slice(11))
      else if (line.startsWith('bytes_out ')) bytesOut = Number(line.slice(10))
      else if (line) lat.push(Number(line) / 1000)
    }
    return summarize(lat, elapsedUs / 1000, { failures: 0, bytesOut, ...stopEld(), ...stopCpu(lat.length) })
  } finally {
    fs.rmSync(reqFile, { force: true })
  }
}

/** How many floor invocations fit in about `ms` at this rate guess. */
export function floorN(perSecGuess, ms, cap) {
  return Math.max(10, Math.min(cap, Math.round((perSecGuess * ms) / 1000)))
}
