// The machine's price of one wake-up, measured in the same run: what a
// thread that sleeps in epoll is charged per wake-up (bench/c/wake.c, its
// waker on its own CPU or on another), and what an idle Node process whose
// only work is a 1 ms timer is charged per wake-up of its main thread. The
// JS thread pays one wake-up per batch of results.
import { execFileSync } from 'node:child_process'
import path from 'node:path'
import { cc } from './setup.mjs'

// Two seconds of a 1 ms interval; prints µs of main-thread CPU per voluntary switch.
const IDLE_NODE = `
const fs = require('node:fs')
const stat = () => [
  Number(fs.readFileSync('/proc/self/task/' + process.pid + '/schedstat', 'utf8').split(' ')[0]),
  Number(/^voluntary_ctxt_switches:\\s+(\\d+)/m.exec(fs.readFileSync('/proc/self/task/' + process.pid + '/status', 'utf8'))[1]),
]
const timer = setInterval(() => {}, 1)
setTimeout(() => {
  const a = stat()
  setTimeout(() => {
    const b = stat()
    clearInterval(timer)
    console.log(((b[0] - a[0]) / 1000 / (b[1] - a[1])).toFixed(2))
  }, 2000)
}, 200)
`

/** `{ sameCpuUs, otherCpuUs, idleNodeUs }`, or null where it cannot run (no cc, not Linux). */
export function wakeCost(tmp) {
  if (process.platform !== 'linux') return null
  const bin = path.join(tmp, 'wake')
  try {
    cc('wake.c', bin, ['-pthread'])
    const threads = JSON.parse(execFileSync(bin, { stdio: ['ignore', 'pipe', 'pipe'] }).toString())
    const idleNodeUs = Number(execFileSync(process.execPath, ['-e', IDLE_NODE], { stdio: ['ignore', 'pipe', 'pipe'] }).toString())
    return { ...threads, idleNodeUs }
  } catch (e) {
    console.error(`!! the wake-up probes did not run: ${e.message.split('\n')[0]}`)
    return null
  }
}
