// Where this process's CPU goes during a run (Linux /proc): the JS main
// thread, the runtime's tokio threads, every other thread (V8 GC and
// compiler workers, libuv), and reaped children (the functions). Clock
// ticks are 10 ms, so only runs of a second or more say much. Also how often
// the JS main thread went to sleep (voluntary context switches): each of
// those is a wake-up, whose price is the machine's (bench/c/wake.c).
import fs from 'node:fs'

const TICK_MS = 10

function snapshot() {
  const s = { main: 0, tokio: 0, other: 0, children: 0, wakesMain: mainWakes() }
  let tasks = []
  try {
    tasks = fs.readdirSync('/proc/self/task')
  } catch {
    return null
  }
  for (const t of tasks) {
    try {
      const stat = fs.readFileSync(`/proc/self/task/${t}/stat`, 'utf8')
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      const ticks = Number(f[11]) + Number(f[12]) // utime + stime
      s[Number(t) === process.pid ? 'main' : comm.startsWith('tokio') ? 'tokio' : 'other'] += ticks
    } catch {}
  }
  const f = fs.readFileSync('/proc/self/stat', 'utf8')
  const p = f.slice(f.lastIndexOf(')') + 2).split(' ')
  s.children = Number(p[13]) + Number(p[14]) // cutime + cstime
  return s
}

function mainWakes() {
  try {
    const status = fs.readFileSync(`/proc/self/task/${process.pid}/status`, 'utf8')
    return Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1] ?? NaN)
  } catch {
    return NaN
  }
}

/** Start measuring; the returned function gives CPU ms per invocation. */
export function cpuMonitor() {
  const a = snapshot()
  return (invocations) => {
    const b = snapshot()
    if (!a || !b || !invocations) return {}
    const per = (k) => ((b[k] - a[k]) * TICK_MS) / invocations
    const wakesMain = (b.wakesMain - a.wakesMain) / invocations
    return { cpuMain: per('main'), cpuTokio: per('tokio'), cpuOther: per('other'), cpuChildren: per('children'), wakesMain }
  }
}
