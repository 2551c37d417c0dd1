// Standby processes (CONTRACT §10): one-shot processes started ahead of the
// call, blocked on stdin; a call takes one and runs the one-shot path.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { FunctionRuntime, functionsDir, liveStartTime as startTime, needs, root, sleep, waitFor, zombieChildren } from './helpers.mjs'

// A plain one-shot function: reads the whole request, answers, exits.
const oneShot = `
const bootedAt = performance.timeOrigin
let text = ''
process.stdin.on('data', (d) => (text += d)).on('end', () => {
  const req = JSON.parse(text)
  const wait = req.input?.sleepMs ?? 0
  setTimeout(() => {
    console.error('handled ' + req.request_id)
    console.log(JSON.stringify({ success: true, output: {
      pid: process.pid, bootedAt, gotAt: Date.now(),
      standby: process.env.ALYX_STANDBY ?? null,
      requestIdEnv: process.env.ALYX_REQUEST_ID ?? null,
      requestId: req.request_id, callEnv: req.context.env,
    } }))
  }, wait)
})
`

function standbyDir(warm = '  mode: standby\n  min: 1\n  max: 2', extra = '') {
  return functionsDir({ 's/manifest.yaml': `name: s\nwarm:\n${warm}\n${extra}`, 's/index.js': oneShot })
}

test('a call takes a process started before it; each call a fresh process; a replacement starts at once', async () => {
  const rt = new FunctionRuntime({ functionsDir: standbyDir() })
  try {
    await rt.warmup('s')
    const [pool] = rt.pools()
    assert.equal(pool.mode, 'standby')
    assert.equal(pool.ready, 1)
    const waiting = pool.pids[0]
    await sleep(100)
    const calledAt = Date.now()
    const r = await rt.invoke('s', { x: 1 }, { env: { K: 'v' } })
    assert.equal(r.success, true, JSON.stringify(r))
    assert.equal(r.exitCode, 0)
    assert.equal(r.output.pid, waiting)
    assert.ok(r.output.bootedAt < calledAt, 'booted before the call')
    assert.equal(r.output.standby, '1')
    assert.equal(r.output.requestIdEnv, null, 'no per-call variables in a standby env')
    assert.equal(r.output.requestId, r.requestId)
    assert.deepEqual(r.output.callEnv, { K: 'v' })
    assert.deepEqual(
      r.logs.map((l) => l.message),
      [`handled ${r.requestId}`],
    )
    await waitFor(() => rt.pools()[0].ready === 1)
    const next = rt.pools()[0].pids[0]
    assert.notEqual(next, waiting)
    const r2 = await rt.invoke('s', {})
    assert.equal(r2.output.pid, next)
    // While a long call runs, its replacement has already booted (room under max: 2).
    await waitFor(() => rt.pools()[0].ready === 1)
    let over = false
    const slow = rt.invoke('s', { sleepMs: 3000 }).finally(() => (over = true))
    await waitFor(() => rt.pools()[0].busy === 1)
    const taken = rt.pools()[0]
    assert.ok(taken.starting + taken.ready >= 1, `a replacement started as the call took its process: ${JSON.stringify(taken)}`)
    await waitFor(() => rt.pools()[0].ready === 1, { timeoutMs: 2500 })
    assert.equal(over, false, 'the replacement was ready before the call ended')
    assert.equal((await slow).success, true)
  } finally {
    await rt.close()
  }
})

test('the timeout counts from the request, not from when the standby process started', async () => {
  const rt = new FunctionRuntime({ functionsDir: standbyDir() })
  try {
    await rt.warmup('s')
    await sleep(1200)
    const r = await rt.invoke('s', { sleepMs: 300 }, { timeoutMs: 1000 })
    assert.equal(r.success, true, JSON.stringify(r.error))
    const t = await rt.invoke('s', { sleepMs: 5000 }, { timeoutMs: 300 })
    assert.equal(t.error.code, 'TIMEOUT')
  } finally {
    await rt.close()
  }
})

test('a standby process that died unused is discarded and the call runs one-shot', async () => {
  const rt = new FunctionRuntime({ functionsDir: standbyDir('  mode: standby\n  min: 1\n  max: 1') })
  try {
    await rt.warmup('s')
    const [victim] = rt.pools()[0].pids
    process.kill(victim, 'SIGKILL')
    await waitFor(() => startTime(victim) === null)
    const before = JSON.stringify(rt.pools())
    const r = await rt.invoke('s', {})
    assert.equal(r.success, true, JSON.stringify(r) + ' victim ' + victim + ' before ' + before + ' after ' + JSON.stringify(rt.pools()))
    assert.notEqual(r.output.pid, victim)
  } finally {
    await rt.close()
  }
})

test('a python standby function needs nothing from an SDK', needs('python3'), async () => {
  const py = `import json, os, sys\nreq = json.load(sys.stdin)\nprint(json.dumps({"success": True, "output": {"standby": os.environ.get("ALYX_STANDBY"), "pid": os.getpid()}}))\n`
  const dir = functionsDir({ 'p/manifest.yaml': 'name: p\nwarm:\n  mode: standby\n', 'p/main.py': py })
  const rt = new FunctionRuntime({ functionsDir: dir })
  try {
    await rt.warmup('p')
    const pid = rt.pools()[0].pids[0]
    const r = await rt.invoke('p', {})
    assert.equal(r.success, true, JSON.stringify(r))
    assert.deepEqual(r.output, { standby: '1', pid })
  } finally {
    await rt.close()
  }
})

test('close() leaves no standby process', async () => {
  const rt = new FunctionRuntime({ functionsDir: standbyDir('  mode: standby\n  min: 2\n  max: 2') })
  await rt.warmup()
  const pids = rt.pools()[0].pids
  assert.equal(pids.length, 2)
  const snap = pids.map((pid) => [pid, startTime(pid)])
  await rt.close()
  assert.deepEqual(
    snap.filter(([pid, st]) => st !== null && startTime(pid) === st),
    [],
  )
  assert.equal(zombieChildren(), 0)
})

// Boots for `bootMs` without touching stdin (blocked in a futex, not a read),
// then records when it reached its read of the request.
const slowBoot = (bootMs) => `
Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ${bootMs})
const readingAt = Date.now()
let text = ''
process.stdin.on('data', (d) => (text += d)).on('end', () => {
  const req = JSON.parse(text)
  setTimeout(() => console.log(JSON.stringify({ success: true, output: { pid: process.pid, readingAt } })), req.input?.sleepMs ?? 0)
})
`

test('a standby process is ready only once it waits on stdin; busy while its call runs', async () => {
  const dir = functionsDir({ 'b/manifest.yaml': 'name: b\nwarm:\n  mode: standby\n  min: 1\n  max: 1\n', 'b/index.js': slowBoot(1500) })
  const rt = new FunctionRuntime({ functionsDir: dir })
  try {
    await waitFor(() => rt.pools()[0]?.pids.length === 1)
    const booting = rt.pools()[0]
    assert.equal(booting.ready, 0, 'started but not booted: not ready')
    assert.equal(booting.starting, 1)
    await rt.warmup('b')
    const warmedAt = Date.now()
    assert.equal(rt.pools()[0].ready, 1)
    const calledAt = Date.now()
    const pending = rt.invoke('b', { sleepMs: 600 })
    await waitFor(() => rt.pools()[0].busy === 1, { timeoutMs: 2000 })
    const r = await pending
    assert.equal(r.success, true, JSON.stringify(r))
    assert.equal(r.output.pid, booting.pids[0], 'served by the process started ahead')
    assert.ok(r.output.readingAt <= warmedAt, 'warmup() resolved only after the process reached its read')
    assert.ok(r.output.readingAt < calledAt)
    await waitFor(() => rt.pools()[0].busy === 0)
  } finally {
    await rt.close()
  }
})

test('python SDK standby: an async handler that awaits runs on the process started ahead; atexit and threads still run', needs('python3'), async () => {
  const marks = fs.mkdtempSync(path.join(os.tmpdir(), 'alyx-marks-'))
  const py = `import asyncio, atexit, os, sys, threading, time
booted = time.time()
sys.path.insert(0, ${JSON.stringify(path.join(root, 'sdk', 'python'))})
import alyx
MARKS = ${JSON.stringify(marks)}

def mark(name):
    with open(os.path.join(MARKS, "%s-%d" % (name, os.getpid())), "w") as f:
        f.write("x")

atexit.register(mark, "atexit")

async def main(input, ctx):
    started = time.time()
    await asyncio.sleep(0.05)
    threading.Thread(target=lambda: (time.sleep(0.2), mark("thread"))).start()
    return {"pid": os.getpid(), "booted": booted, "slept": time.time() - started, "rid": os.environ.get("ALYX_REQUEST_ID")}

alyx.handler(main)
`
  const dir = functionsDir({ 'p/manifest.yaml': 'name: p\nwarm:\n  mode: standby\n  min: 1\n  max: 1\n', 'p/main.py': py })
  const rt = new FunctionRuntime({ functionsDir: dir })
  try {
    await rt.warmup('p')
    const [pid] = rt.pools()[0].pids
    const calledAt = Date.now() / 1000
    const r = await rt.invoke('p', {})
    assert.equal(r.success, true, JSON.stringify(r))
    assert.equal(r.exitCode, 0)
    assert.equal(r.output.pid, pid)
    assert.ok(r.output.booted < calledAt, 'booted before the call')
    assert.ok(r.output.slept >= 0.045, `awaited asyncio.sleep (${r.output.slept})`)
    assert.equal(r.output.rid, r.requestId)
    assert.deepEqual(fs.readdirSync(marks).sort(), [`atexit-${pid}`, `thread-${pid}`])
  } finally {
    await rt.close()
  }
})

test('min: 0 starts nothing ahead; after a call one spare is kept for the next', async () => {
  const rt = new FunctionRuntime({ functionsDir: standbyDir('  mode: standby\n  min: 0\n  max: 1') })
  try {
    await rt.warmup('s')
    await sleep(300)
    assert.deepEqual(rt.pools()[0]?.pids ?? [], [], 'nothing started before a call')
    const first = await rt.invoke('s', {})
    assert.equal(first.success, true, JSON.stringify(first))
    await waitFor(() => rt.pools()[0].ready === 1)
    const [spare] = rt.pools()[0].pids
    assert.notEqual(spare, first.output.pid)
    const second = await rt.invoke('s', {})
    assert.equal(second.output.pid, spare, 'the next call takes the spare')
  } finally {
    await rt.close()
  }
})
