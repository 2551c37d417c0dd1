// Standby processes (CONTRACT §10): one-shot processes started ahead of the
// call, blocked on stdin; a call takes one and runs the one-shot path.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { FunctionRuntime, functionsDir, liveStartTime as startTime, needs, sleep, waitFor, zombieChildren } from './helpers.mjs'

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
    assert.deepEqual(r.logs.map((l) => l.message), [`handled ${r.requestId}`])
    await waitFor(() => rt.pools()[0].ready === 1)
    const next = rt.pools()[0].pids[0]
    assert.notEqual(next, waiting)
    const r2 = await rt.invoke('s', {})
    assert.equal(r2.output.pid, next)
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
    const r = await rt.invoke('s', {})
    assert.equal(r.success, true, JSON.stringify(r))
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
  assert.deepEqual(snap.filter(([pid, st]) => st !== null && startTime(pid) === st), [])
  assert.equal(zombieChildren(), 0)
})
