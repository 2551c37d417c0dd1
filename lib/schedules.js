'use strict'
// rt.startSchedules() and rt.schedules() (CONTRACT §13, docs/SCHEDULES.md).
// The core computes every next run (crates/core/src/schedule.rs: croner +
// chrono-tz, DST-correct; intervals aligned to the epoch); this file is the
// timer loop, because the `lock` and `onRun` hooks are the host's own JS.

const native = require('../binding.js')
const { check, isPlainObject } = require('./internal.js')

// setTimeout's longest delay; a later run is reached in several hops.
const MAX_DELAY_MS = 2 ** 31 - 1

const keyOf = (fn, schedule) => `${fn}\u0000${schedule}`

/** A schedule's next run after `afterMs`, or an error saying why there is none. */
function nextRun(s, afterMs) {
  try {
    return { at: native.scheduleNextRun(s.type, s.expression, s.timezone ?? null, afterMs) }
  } catch (e) {
    return { at: null, error: e.message }
  }
}

/** `rt.schedules()`: every function's schedules with their next run. */
function listSchedules(rt, now = Date.now()) {
  const out = []
  for (const fn of rt.list()) {
    for (const s of fn.schedules) {
      const { at, error } = nextRun(s, now)
      const row = { function: fn.name, name: s.name, type: s.type, expression: s.expression, timezone: s.timezone ?? 'UTC', nextRun: at }
      if (error) row.error = error
      out.push(row)
    }
  }
  return out
}

function warn(what, err) {
  process.emitWarning(`${what}: ${err?.stack ?? err}`, 'AlyxRuntimeWarning')
}

class Scheduler {
  #rt
  #onRun
  #lock
  /** key → { fn, schedule, signature, timer, nextRun } */
  #armed = new Map()
  /** key → runs of that schedule in progress */
  #running = new Map()
  #inFlight = new Set()
  #stopped = false
  #stopping = null
  #onStop

  constructor(rt, options, onStop) {
    check(options === undefined || isPlainObject(options), 'startSchedules options must be an object')
    const o = options ?? {}
    check(o.onRun === undefined || typeof o.onRun === 'function', 'options.onRun must be a function')
    check(o.lock === undefined || typeof o.lock === 'function', 'options.lock must be a function')
    this.#rt = rt
    this.#onRun = o.onRun
    this.#lock = o.lock
    this.#onStop = onStop
  }

  /** Re-plans from `rt.list()`: new schedules armed, changed ones re-armed, removed ones dropped. */
  refresh() {
    if (this.#stopped) return
    const wanted = new Map()
    for (const fn of this.#rt.list()) {
      for (const schedule of fn.schedules) {
        // What the run depends on: a change of any of it re-arms the schedule.
        const signature = JSON.stringify([schedule, fn.timeoutMs])
        wanted.set(keyOf(fn.name, schedule.name), { fn, schedule, signature })
      }
    }
    for (const [key, entry] of this.#armed) {
      if (wanted.get(key)?.signature !== entry.signature) {
        clearTimeout(entry.timer)
        this.#armed.delete(key)
      }
    }
    const now = Date.now()
    for (const [key, plan] of wanted) if (!this.#armed.has(key)) this.#arm(key, plan, now)
  }

  #arm(key, plan, afterMs) {
    const { at, error } = nextRun(plan.schedule, afterMs)
    if (error) warn(`schedule ${plan.fn.name}/${plan.schedule.name} cannot run`, error)
    const entry = { ...plan, nextRun: at, timer: null }
    this.#armed.set(key, entry)
    if (at !== null) this.#wait(key, entry)
  }

  #wait(key, entry) {
    const delay = entry.nextRun - Date.now()
    entry.timer = setTimeout(
      () => {
        if (this.#armed.get(key) !== entry) return
        if (Date.now() < entry.nextRun) return this.#wait(key, entry) // a long wait's hop, or an early wake
        const scheduledAt = entry.nextRun
        this.#track(this.#fire(key, entry, scheduledAt))
        // Runs missed while the process slept are not caught up: the next one is after now.
        this.#arm(key, entry, Math.max(scheduledAt, Date.now()))
      },
      Math.min(Math.max(delay, 0), MAX_DELAY_MS),
    )
  }

  #track(promise) {
    this.#inFlight.add(promise)
    promise.finally(() => this.#inFlight.delete(promise))
  }

  async #fire(key, { fn, schedule }, scheduledAt) {
    const report = { function: fn.name, schedule: schedule.name, scheduledAt }
    const skipIfRunning = schedule.config?.skip_if_running ?? true
    if (skipIfRunning && this.#running.get(key) > 0) return this.#report({ ...report, skipped: true })
    this.#running.set(key, (this.#running.get(key) ?? 0) + 1)
    try {
      if (this.#lock) {
        // One replica per run: the key names the run, so every replica asks for the same one.
        const lockKey = `alyx:schedule:${fn.name}:${schedule.name}:${scheduledAt}`
        let granted = false
        try {
          granted = (await this.#lock(lockKey, fn.timeoutMs + 60_000)) === true
        } catch (err) {
          warn(`lock for ${fn.name}/${schedule.name} threw (the run is skipped here)`, err)
        }
        if (!granted) return
      }
      if (this.#stopped) return // stop() while the lock was asked: nothing starts after stop()
      const input = schedule.input ?? schedule.config?.input ?? null
      const result = await this.#rt.invoke(fn.name, input)
      this.#report({ ...report, result })
    } finally {
      this.#running.set(key, this.#running.get(key) - 1)
    }
  }

  #report(run) {
    if (!this.#onRun) return
    try {
      const maybe = this.#onRun(run)
      if (maybe && typeof maybe.catch === 'function') maybe.catch((err) => warn('onRun rejected', err))
    } catch (err) {
      warn('onRun threw', err)
    }
  }

  /** No run starts after this; resolves once the runs in progress have ended. Idempotent. */
  stop() {
    if (!this.#stopping) {
      this.#stopped = true
      for (const entry of this.#armed.values()) clearTimeout(entry.timer)
      this.#armed.clear()
      this.#stopping = Promise.allSettled([...this.#inFlight]).then(() => this.#onStop(this))
    }
    return this.#stopping
  }
}

module.exports = { Scheduler, listSchedules }
