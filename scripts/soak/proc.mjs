// /proc inspection for the soak: zombies and live children of this process,
// open fds, and processes that carry a given environment marker.
import fs from 'node:fs'

/** [state, ppid] of a pid from /proc/<pid>/stat, or null when gone. */
export function procState(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return { state: fields[0], ppid: Number(fields[1]) }
  } catch {
    return null
  }
}

/** Pids of every process on the system (that /proc lets us see). */
export function allPids() {
  return fs
    .readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .map(Number)
}

/** Children of this process: { zombies, live } (pids). */
export function childrenOfSelf() {
  const zombies = []
  const live = []
  for (const pid of allPids()) {
    const s = procState(pid)
    if (!s || s.ppid !== process.pid) continue
    ;(s.state === 'Z' ? zombies : live).push(pid)
  }
  return { zombies, live }
}

/** The NUL-separated environment a process started with, or null. */
export function environOf(pid) {
  try {
    return fs.readFileSync(`/proc/${pid}/environ`, 'latin1')
  } catch {
    return null
  }
}

/** True while `pid` is a non-zombie process whose environment holds `entry` ("K=V"). */
export function aliveWith(pid, entry) {
  const s = procState(pid)
  if (!s || s.state === 'Z') return false
  const env = environOf(pid)
  return env?.split('\0').includes(entry)
}

/** Non-zombie processes anywhere whose environment holds `entry`. */
export function processesWith(entry) {
  return allPids().filter((pid) => pid !== process.pid && aliveWith(pid, entry))
}

/** Open fds of this process: count and a { fd: target } map. */
export function openFds() {
  const map = {}
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    try {
      map[fd] = fs.readlinkSync(`/proc/self/fd/${fd}`)
    } catch {
      // The fd readdir itself used, already closed.
    }
  }
  return { count: Object.keys(map).length, map }
}
