#!/usr/bin/env node
// Fault soak (`npm run soak`): N invocations at concurrency C of a mix of
// functions that succeed, crash (exit codes, signals), hang (timeouts), print
// garbage, flood stdout past the cap, flood stderr, leave grandchildren
// behind, never read a large stdin, or get aborted — see scripts/soak/functions.mjs.
//
// Then it checks that the runtime kept working, lost nothing and left nothing
// behind: every outcome has its expected code; no zombie children; no
// surviving descendant (every pid the functions recorded is gone per /proc,
// and no process carries this run's environment marker); the host's open fds
// are back to their baseline; no invoke promise is left pending; the host's
// RSS is stable. Prints a summary and exits non-zero on any failure.
//
//   node scripts/soak.mjs [--n 10000] [--concurrency 16] [--seed 1] [--keep]
//
// Linux only (it reads /proc).
//
// It runs with glibc's mmap threshold fixed at its default 128 KiB (it
// re-executes itself with GLIBC_TUNABLES set). By default glibc raises the
// threshold each time a large block is freed, and from then on blocks of up
// to 32 MiB (the soak's large outputs) come from its arenas and stay
// resident after they are freed: the end-of-run RSS then swung by ±40 MB
// with the allocator's high-water mark, and a check meant to catch leaks
// failed on builds without one. With the threshold fixed, RSS follows live
// memory (~24–29 MB of growth over 1,000 calls, ~16 of it V8's grown heap).
import { spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import v8 from 'node:v8'
import vm from 'node:vm'

import { KINDS } from './soak/functions.mjs'
import { aliveWith, childrenOfSelf, openFds, processesWith } from './soak/proc.mjs'

const MMAP_THRESHOLD = 'glibc.malloc.mmap_threshold=131072'
if (process.platform === 'linux' && !process.env.GLIBC_TUNABLES?.includes('glibc.malloc.mmap_threshold')) {
  const tunables = [process.env.GLIBC_TUNABLES, MMAP_THRESHOLD].filter(Boolean).join(':')
  const run = spawnSync(process.execPath, process.argv.slice(1), { stdio: 'inherit', env: { ...process.env, GLIBC_TUNABLES: tunables } })
  process.exit(run.status ?? 1)
}

const require = createRequire(import.meta.url)
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..')
const { FunctionRuntime } = require(root)

const { values: argv } = parseArgs({
  options: {
    n: { type: 'string', default: '10000' },
    concurrency: { type: 'string', default: '16' },
    seed: { type: 'string', default: String(Date.now() % 1_000_000) },
    keep: { type: 'boolean', default: false },
  },
})
const N = Number(argv.n)
const CONCURRENCY = Number(argv.concurrency)
const SEED = Number(argv.seed)
if (!(N > 0 && CONCURRENCY > 0 && Number.isFinite(SEED))) {
  console.error('usage: node scripts/soak.mjs [--n 10000] [--concurrency 16] [--seed N] [--keep]')
  process.exit(2)
}
if (process.platform !== 'linux') {
  console.error('the soak reads /proc: Linux only')
  process.exit(2)
}

// ---- limits, and why ----

// The host's fd count after the run may differ from the baseline (taken
// after a warm-up of every kind, so tokio's and libuv's lazily created fds
// already exist) by this much. A leak in the runtime costs at least one fd
// per affected invocation — hundreds over the run — so a small constant
// cannot hide one; it only absorbs Node's own housekeeping (e.g. a libuv
// handle opened or closed between the two readings).
const FD_TOLERANCE = 4
// RSS may grow this much from the post-warm-up start to the end (after GC).
const RSS_GROWTH_LIMIT = 64 * 1024 * 1024
// Descendants get this long after the last result to be gone from /proc.
const SURVIVOR_GRACE_MS = 2000
// An invoke promise still pending this long after its own timeout is
// reported as overdue (and the run goes on without it).
const OVERDUE_AFTER_MS = 15_000
const DEFAULT_TIMEOUT_MS = 10_000

// ---- setup ----

const runId = crypto.randomBytes(6).toString('hex')
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alyx-soak-'))
const pidsDir = path.join(dir, '_pids')
fs.mkdirSync(pidsDir)
for (const kind of KINDS) {
  for (const [rel, content] of Object.entries(kind.files)) {
    const p = path.join(dir, kind.name, rel)
    fs.mkdirSync(path.dirname(p), { recursive: true })
    fs.writeFileSync(p, typeof content === 'string' ? content : content.text)
    if (content.exec) fs.chmodSync(p, 0o755)
  }
}

const rt = new FunctionRuntime({
  functionsDir: dir,
  // Below the callers' concurrency, so admission queues (with `limited`'s
  // manifest concurrency: the deadlock-prone mix).
  maxConcurrency: Math.max(1, CONCURRENCY - 4),
  maxOutputBytes: 256 * 1024,
  killGraceMs: 200,
  env: { ALYX_SOAK_RUN: runId },
})

v8.setFlagsFromString('--expose-gc')
const gc = vm.runInNewContext('gc')
const settle = async () => {
  for (let i = 0; i < 3; i++) {
    gc()
    await sleep(100)
  }
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MB`

// Deterministic mix for a seed (mulberry32).
function rng(seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
const random = rng(SEED)
const totalWeight = KINDS.reduce((n, k) => n + k.weight, 0)
function pickKind() {
  let r = random() * totalWeight
  for (const k of KINDS) {
    if ((r -= k.weight) < 0) return k
  }
  return KINDS[KINDS.length - 1]
}

// ---- running and recording ----

/** The pids a function recorded for `requestId`. */
function pidsOf(requestId) {
  try {
    return fs
      .readFileSync(path.join(pidsDir, requestId), 'utf8')
      .split('\n')
      .filter((l) => /^\d+$/.test(l))
      .map(Number)
  } catch {
    return []
  }
}

const stats = new Map(KINDS.map((k) => [k.name, { runs: 0, ok: 0, bad: 0, durations: [], codes: new Map(), signals: new Map() }]))
const mismatches = []
const pending = new Map() // requestId → { kind, startedAt }
const requestIds = [] // every requestId issued, for the pid files
let overdue = 0
let rejected = 0
let done = 0

async function runOne(kind, i, phase) {
  const requestId = `${phase}-${runId}-${i}`
  const input = kind.input ? kind.input(i) : { i }
  const timeoutMs = kind.timeoutMs ?? DEFAULT_TIMEOUT_MS
  const options = { requestId, timeoutMs }
  let timer
  if (kind.abortAfterMs) {
    const ac = new AbortController()
    const [lo, hi] = kind.abortAfterMs
    timer = setTimeout(() => ac.abort(), lo + Math.floor(random() * (hi - lo)))
    options.signal = ac.signal
  }
  let onLogCalls = 0
  if (kind.onLog) options.onLog = () => onLogCalls++
  requestIds.push(requestId)
  pending.set(requestId, { kind: kind.name, startedAt: Date.now() })
  const st = stats.get(kind.name)
  st.runs++
  const record = (verdict, res) => {
    pending.delete(requestId)
    clearTimeout(timer)
    done++
    const code = res ? (res.success ? 'success' : res.error?.code) : 'REJECTED'
    st.codes.set(code, (st.codes.get(code) ?? 0) + 1)
    if (res?.signal) st.signals.set(res.signal, (st.signals.get(res.signal) ?? 0) + 1)
    if (res) st.durations.push(res.durationMs)
    if (verdict === null) {
      st.ok++
    } else {
      st.bad++
      if (mismatches.length < 200) {
        mismatches.push({
          kind: kind.name,
          requestId,
          expected: kind.expected,
          got: code,
          why: verdict,
          exitCode: res?.exitCode,
          signal: res?.signal,
          durationMs: res?.durationMs,
          message: res?.error?.message?.slice(0, 200),
        })
      }
    }
  }
  const promise = rt.invoke(kind.name, input, options).then(
    (res) => {
      let verdict
      try {
        verdict = kind.check(res, { requestId, input, pids: () => pidsOf(requestId), onLogCalls: () => onLogCalls })
        if (verdict === null && res.requestId !== requestId) verdict = `requestId ${res.requestId}`
      } catch (e) {
        verdict = `check threw: ${e.message}`
      }
      record(verdict, res)
    },
    (err) => {
      rejected++
      record(`invoke rejected: ${err?.message ?? err}`, null)
    },
  )
  let overdueTimer
  const late = new Promise((r) => {
    overdueTimer = setTimeout(() => r('overdue'), timeoutMs + OVERDUE_AFTER_MS)
  })
  const outcome = await Promise.race([promise, late])
  clearTimeout(overdueTimer)
  if (outcome === 'overdue') overdue++
}

async function runMany(schedule, phase, concurrency, onProgress) {
  let next = 0
  const worker = async () => {
    while (next < schedule.length) {
      const i = next++
      await runOne(schedule[i], i, phase)
      onProgress?.()
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, schedule.length) }, worker))
}

// ---- warm-up, baseline, run ----

const t0 = Date.now()
// Every kind twice, so lazily created fds, threads and caches exist before the baseline.
await runMany([...KINDS, ...KINDS], 'warmup', CONCURRENCY)
const warmupMismatches = mismatches.length
await settle()
const fdsBefore = openFds()
const rssStart = process.memoryUsage().rss
let rssMax = rssStart

const schedule = Array.from({ length: N }, pickKind)
for (const st of stats.values()) Object.assign(st, { runs: 0, ok: 0, bad: 0, durations: [], codes: new Map(), signals: new Map() })
done = 0
const started = Date.now()
let lastReport = 0
await runMany(schedule, 'soak', CONCURRENCY, () => {
  rssMax = Math.max(rssMax, process.memoryUsage().rss)
  if (done - lastReport >= Math.max(100, Math.floor(N / 10)) || done === N) {
    lastReport = done
    const rate = done / ((Date.now() - started) / 1000)
    process.stderr.write(`soak: ${done}/${N} done, ${rate.toFixed(0)}/s, ${pending.size} pending, rss ${mb(process.memoryUsage().rss)}\n`)
  }
})
const wallMs = Date.now() - started

// Anything still pending gets a last chance before it counts.
for (let waited = 0; pending.size > 0 && waited < 10_000; waited += 100) await sleep(100)
const stillPending = [...pending.entries()]

// ---- after-checks ----

// (An invocation aborted before its function wrote anything has no file.)
const recorded = requestIds.flatMap((requestId) => pidsOf(requestId).map((pid) => ({ pid, requestId })))
// A recorded pid counts as a survivor only while the process behind it still
// has that request's id in its environment: pids get reused (pid_max may be
// 32768) and an unrelated process must not be blamed.
const survivorsNow = () => recorded.filter(({ pid, requestId }) => aliveWith(pid, `ALYX_REQUEST_ID=${requestId}`))
// Warm processes (ready or busy in a pool) are alive by design until close().
const warmPids = () => new Set(rt.pools().flatMap((p) => p.pids))
const markedNow = () => {
  const warm = warmPids()
  return processesWith(`ALYX_SOAK_RUN=${runId}`).filter((pid) => !warm.has(pid))
}
let survivors = survivorsNow()
let marked = markedNow()
for (let waited = 0; (survivors.length || marked.length) && waited < SURVIVOR_GRACE_MS; waited += 100) {
  await sleep(100)
  survivors = survivorsNow()
  marked = markedNow()
}
const { zombies, live: liveAll } = childrenOfSelf()
const warmAtEnd = warmPids()
const live = liveAll.filter((pid) => !warmAtEnd.has(pid))

await settle()
const fdsAfter = openFds()
const rssEnd = process.memoryUsage().rss
await rt.close()
const fdsClosed = openFds()
// close() stops every warm process: none is left, alive or zombie.
const afterClose = { marked: processesWith(`ALYX_SOAK_RUN=${runId}`), children: childrenOfSelf() }

// ---- report ----

const pct = (xs, p) => {
  if (xs.length === 0) return '-'
  const s = [...xs].sort((a, b) => a - b)
  return String(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))])
}
const pad = (s, n) => String(s).padEnd(n)
const lpad = (s, n) => String(s).padStart(n)

console.log(
  `\nalyx soak: ${N} invocations at concurrency ${CONCURRENCY}, seed ${SEED}, ${KINDS.length} kinds` +
    ` (+${KINDS.length * 2} warm-up), ${(wallMs / 1000).toFixed(1)} s, ${(N / (wallMs / 1000)).toFixed(0)} invocations/s\n`,
)
console.log(
  `${pad('kind', 20)} ${pad('expected', 17)} ${lpad('runs', 6)} ${lpad('ok', 6)} ${lpad('bad', 4)} ${lpad('p50 ms', 7)} ${lpad('p99 ms', 7)} ${lpad('max ms', 7)}  codes / signals`,
)
let totalRuns = 0
let totalBad = 0
for (const k of KINDS) {
  const st = stats.get(k.name)
  totalRuns += st.runs
  totalBad += st.bad
  const codes = [...st.codes].map(([c, n]) => `${c}:${n}`).join(' ')
  const sigs = [...st.signals].map(([s, n]) => `${s}:${n}`).join(' ')
  console.log(
    `${pad(k.name, 20)} ${pad(k.expected, 17)} ${lpad(st.runs, 6)} ${lpad(st.ok, 6)} ${lpad(st.bad, 4)} ` +
      `${lpad(pct(st.durations, 50), 7)} ${lpad(pct(st.durations, 99), 7)} ${lpad(st.durations.length ? Math.max(...st.durations) : '-', 7)}  ${codes}${sigs ? ` / ${sigs}` : ''}`,
  )
}
console.log(`${pad('total', 20)} ${pad('', 17)} ${lpad(totalRuns, 6)} ${lpad(totalRuns - totalBad, 6)} ${lpad(totalBad, 4)}`)

const checks = [
  [
    'outcome codes as expected',
    `${totalBad} mismatches in ${totalRuns} (+${warmupMismatches} in warm-up)`,
    '0',
    totalBad === 0 && warmupMismatches === 0 && totalRuns === N,
  ],
  [
    'invoke promises settled',
    `${stillPending.length} pending, ${overdue} overdue, ${rejected} rejected`,
    '0',
    stillPending.length === 0 && overdue === 0 && rejected === 0,
  ],
  ['zombie children', `${zombies.length}`, '0', zombies.length === 0],
  ['live children', `${live.length}`, '0', live.length === 0],
  ['surviving recorded pids', `${survivors.length} of ${recorded.length} recorded`, '0', survivors.length === 0],
  ['processes with run marker', `${marked.length}`, '0', marked.length === 0],
  [
    'warm processes after close()',
    `${warmAtEnd.size} before, ${afterClose.marked.length} marked and ${afterClose.children.live.length + afterClose.children.zombies.length} children after`,
    '0',
    afterClose.marked.length === 0 && afterClose.children.live.length === 0 && afterClose.children.zombies.length === 0,
  ],
  [
    'host fds',
    `baseline ${fdsBefore.count}, end ${fdsAfter.count} (${signed(fdsAfter.count - fdsBefore.count)}), after close ${fdsClosed.count}`,
    `±${FD_TOLERANCE}`,
    Math.abs(fdsAfter.count - fdsBefore.count) <= FD_TOLERANCE,
  ],
  [
    'host RSS',
    `start ${mb(rssStart)}, end ${mb(rssEnd)} (${signed((rssEnd - rssStart) / 1024 / 1024, 1)} MB), max ${mb(rssMax)}; GLIBC_TUNABLES=${process.env.GLIBC_TUNABLES ?? ''}`,
    `≤ start + ${mb(RSS_GROWTH_LIMIT)}`,
    rssEnd <= rssStart + RSS_GROWTH_LIMIT,
  ],
]
function signed(x, digits = 0) {
  return `${x >= 0 ? '+' : ''}${x.toFixed(digits)}`
}
console.log(`\n${pad('check', 28)} ${pad('value', 62)} ${pad('limit', 18)} result`)
for (const [name, value, limit, ok] of checks) console.log(`${pad(name, 28)} ${pad(value, 62)} ${pad(limit, 18)} ${ok ? 'PASS' : 'FAIL'}`)

const failed = checks.filter((c) => !c[3])
if (mismatches.length) {
  console.log(`\nmismatches (first ${Math.min(mismatches.length, 30)} of ${totalBad + warmupMismatches}):`)
  for (const m of mismatches.slice(0, 30)) console.log(`  ${JSON.stringify(m)}`)
}
if (stillPending.length) {
  console.log('\npending invocations:')
  for (const [id, p] of stillPending.slice(0, 30)) console.log(`  ${id} ${p.kind} for ${Date.now() - p.startedAt} ms`)
}
if (survivors.length || marked.length) {
  console.log('\nsurvivors:')
  for (const s of survivors.slice(0, 30)) console.log(`  pid ${s.pid} of ${s.requestId}: ${cmdline(s.pid)}`)
  for (const pid of marked.slice(0, 30)) console.log(`  pid ${pid} (run marker): ${cmdline(pid)}`)
}
if (zombies.length || live.length) console.log(`\nchildren: zombies ${zombies.join(' ')}; live ${live.join(' ')}`)
if (Math.abs(fdsAfter.count - fdsBefore.count) > FD_TOLERANCE) {
  console.log('\nfds added since the baseline:')
  for (const [fd, target] of Object.entries(fdsAfter.map)) if (fdsBefore.map[fd] !== target) console.log(`  ${fd} → ${target}`)
}
function cmdline(pid) {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim()
  } catch {
    return '(gone)'
  }
}

console.log(
  `\n${failed.length === 0 ? 'SOAK PASSED' : `SOAK FAILED: ${failed.map((c) => c[0]).join(', ')}`} (total ${((Date.now() - t0) / 1000).toFixed(1)} s)`,
)
if (failed.length === 0 && !argv.keep) fs.rmSync(dir, { recursive: true, force: true })
else console.log(`functions directory kept: ${dir}`)
process.exit(failed.length === 0 ? 0 : 1)
