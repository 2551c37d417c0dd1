// Warm workers (CONTRACT §10): real processes speaking the worker protocol,
// hand-written in Node and Python (__test__/fixtures/warm/).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { FunctionRuntime, functionsDir, liveStartTime as startTime, needs, root, sleep, waitFor, zombieChildren, withRuntime } from './helpers.mjs'

const fixture = (name) => fs.readFileSync(path.join(root, '__test__', 'fixtures', 'warm', name), 'utf8')
const nodeWorker = fixture('worker.js')
const pyWorker = fixture('worker.py')

const snapshot = (pids) => pids.map((pid) => ({ pid, start: startTime(pid) }))
const survivors = (snap) => snap.filter(({ pid, start }) => start !== null && startTime(pid) === start)

function warmDir(manifestWarm, worker = nodeWorker, file = 'index.js', extra = '') {
  return functionsDir({
    'w/manifest.yaml': `name: w\nwarm:\n${manifestWarm}\n${extra}`,
    [`w/${file}`]: worker,
  })
}

test('a node worker serves many calls in one process; globals persist; per-call values travel in the request', async () => {
  const dir = warmDir('  min: 1\n  max: 1')
  await withRuntime(dir, {}, async (rt) => {
    const a = await rt.invoke('w', { n: 1 }, { env: { CALL_VAR: 'x' } })
    assert.equal(a.success, true, JSON.stringify(a))
    assert.equal(a.exitCode, null)
    assert.equal(a.output.worker, '1')
    assert.equal(a.output.requestIdEnv, null)
    assert.equal(a.output.tokenEnv, null)
    assert.equal(a.output.tokenInRequest, true)
    assert.deepEqual(a.output.callEnv, { CALL_VAR: 'x' })
    assert.deepEqual(a.output.input, { n: 1 })
    // Start-up stderr goes to the first call.
    assert.ok(
      a.logs.some((l) => l.message === `booting ${a.output.pid}`),
      JSON.stringify(a.logs),
    )
    const b = await rt.invoke('w', { n: 2 })
    assert.equal(b.output.pid, a.output.pid)
    assert.equal(b.output.served, a.output.served + 1)
    assert.ok(!b.logs.some((l) => l.message.startsWith('booting')))
    const f = await rt.invoke('w', { op: 'fail' })
    assert.equal(f.success, false)
    assert.equal(f.error.code, 'VALIDATION_ERROR')
    const s = await rt.invoke('w', { op: 'stdout' })
    assert.deepEqual(
      s.logs.map((l) => [l.source, l.message]),
      [['stdout', 'a stdout log line']],
    )
    const [pool] = rt.pools()
    assert.equal(pool.name, 'w')
    assert.equal(pool.mode, 'worker')
    assert.equal(pool.served, 4)
    assert.deepEqual(pool.pids, [a.output.pid])
  })
})

test('a python worker speaks the same protocol', needs('python3'), async () => {
  const dir = warmDir('  min: 1\n  max: 2', pyWorker, 'main.py')
  await withRuntime(dir, {}, async (rt) => {
    const a = await rt.invoke('w', { n: 1 })
    assert.equal(a.success, true, JSON.stringify(a))
    assert.equal(a.output.worker, '1')
    assert.equal(a.output.requestIdEnv, null)
    const b = await rt.invoke('w', { n: 2 }, { env: { K: 'v' } })
    assert.equal(b.output.pid, a.output.pid)
    assert.equal(b.output.served, 2)
    assert.deepEqual(b.output.callEnv, { K: 'v' })
    const e = await rt.invoke('w', { op: 'exit', code: 4 })
    assert.equal(e.error.code, 'EXIT_ERROR')
    assert.equal(e.exitCode, 4)
    assert.match(e.error.message, /Traceback/)
    const c = await rt.invoke('w', {})
    assert.notEqual(c.output.pid, a.output.pid)
  })
})

test('min workers start in the background after construction; warmup() resolves when they are ready', async () => {
  const dir = warmDir('  min: 2\n  max: 3')
  await withRuntime(dir, {}, async (rt) => {
    const t0 = performance.now()
    await rt.warmup()
    const [pool] = rt.pools()
    assert.equal(pool.ready, 2, JSON.stringify(pool))
    assert.equal(pool.pids.length, 2)
    assert.ok(performance.now() - t0 < 20_000)
  })
  // Without any call and without warmup(): the pool fills by itself.
  await withRuntime(dir, {}, async (rt) => {
    await waitFor(() => rt.pools()[0]?.ready === 2)
  })
})

test('RuntimeOptions.warm makes a manifest-less function warm; bad values name the field', async () => {
  const dir = functionsDir({ 'w/index.js': nodeWorker })
  await withRuntime(dir, { warm: { w: { min: 1, max: 1, idle: 1000 } } }, async (rt) => {
    const a = await rt.invoke('w', {})
    const b = await rt.invoke('w', {})
    assert.equal(a.output.pid, b.output.pid)
  })
  assert.throws(() => new FunctionRuntime({ functionsDir: dir, warm: { w: { max: 0 } } }), {
    name: 'TypeError',
    message: /options\.warm\.w\.max: must be ≥ 1/,
  })
  assert.throws(() => new FunctionRuntime({ functionsDir: dir, warm: { w: { min: 3, max: 2 } } }), /options\.warm\.w\.min/)
  const bad = warmDir('  mode: hot')
  await withRuntime(bad, {}, async (rt) => {
    const r = await rt.invoke('w', {})
    assert.equal(r.error.code, 'INVALID_MANIFEST')
    assert.match(r.error.message, /warm\.mode: invalid mode "hot"/)
  })
})

test('stderr lines reach their own call under concurrency, none lost, onLog live', async () => {
  const dir = warmDir('  min: 4\n  max: 4')
  await withRuntime(dir, {}, async (rt) => {
    await rt.warmup('w')
    const calls = Array.from({ length: 24 }, (_, i) => {
      const seen = []
      const tag = `t${i}`
      return rt.invoke('w', { op: 'log', tag, lines: 40 }, { onLog: (e) => seen.push(e.message) }).then((r) => ({ r, seen, tag }))
    })
    for (const { r, seen, tag } of await Promise.all(calls)) {
      assert.equal(r.success, true, JSON.stringify(r.error))
      const mine = r.logs.map((l) => l.message).filter((m) => !m.startsWith('booting'))
      assert.deepEqual(
        mine,
        Array.from({ length: 40 }, (_, i) => `${tag} line ${i}`),
      )
      assert.deepEqual(
        seen.filter((m) => !m.startsWith('booting')),
        mine,
      )
    }
  })
})

test('calls beyond max wait FIFO for a worker; maxConcurrency counts calls, not idle workers', async () => {
  const one = warmDir('  min: 1\n  max: 1')
  await withRuntime(one, { maxConcurrency: 8 }, async (rt) => {
    await rt.warmup()
    const order = []
    const first = rt.invoke('w', { op: 'sleep', ms: 300 })
    await waitFor(() => rt.pools()[0].busy === 1)
    const rest = [1, 2, 3, 4].map((i) => rt.invoke('w', { i }).then((r) => order.push([i, r.output.served])))
    await Promise.all([first, ...rest])
    assert.deepEqual(
      order.map(([i]) => i),
      [1, 2, 3, 4],
    )
    assert.deepEqual(
      order.map(([, s]) => s),
      [2, 3, 4, 5],
    )
  })
  const two = warmDir('  min: 3\n  max: 3')
  await withRuntime(two, { maxConcurrency: 1 }, async (rt) => {
    await rt.warmup()
    const r = await rt.invoke('w', {})
    assert.equal(r.success, true)
    assert.equal(rt.pools()[0].ready, 3)
  })
})

async function faultCase(rt, input, opts = {}) {
  await rt.warmup('w')
  const before = await rt.invoke('w', {})
  const r = await rt.invoke('w', input, opts)
  const after = await rt.invoke('w', {})
  assert.equal(after.success, true, JSON.stringify(after))
  assert.notEqual(after.output.pid, before.output.pid, 'the faulted worker was replaced')
  await waitFor(() => startTime(before.output.pid) === null)
  return r
}

test('faults keep the one-shot codes, touch only their worker, and the worker is replaced', async () => {
  const dir = warmDir('  min: 1\n  max: 2')
  await withRuntime(dir, { maxOutputBytes: 10_000, killGraceMs: 200 }, async (rt) => {
    let r = await faultCase(rt, { op: 'sleep', ms: 5000 }, { timeoutMs: 300 })
    assert.equal(r.error.code, 'TIMEOUT')
    const ac = new AbortController()
    setTimeout(() => ac.abort(), 200)
    r = await faultCase(rt, { op: 'sleep', ms: 5000 }, { signal: ac.signal })
    assert.equal(r.error.code, 'CANCELLED')
    r = await faultCase(rt, { op: 'big', bytes: 50_000 })
    assert.equal(r.error.code, 'OUTPUT_TOO_LARGE')
    r = await faultCase(rt, { op: 'exit', code: 3 })
    assert.equal(r.error.code, 'EXIT_ERROR')
    assert.equal(r.exitCode, 3)
    assert.match(r.error.message, /exiting on purpose/)
    r = await faultCase(rt, { op: 'signal' })
    assert.equal(r.error.code, 'KILLED')
    assert.equal(r.signal, 'SIGKILL')
    r = await faultCase(rt, { op: 'foreign' })
    assert.equal(r.error.code, 'INVALID_OUTPUT')
    assert.match(r.error.message, /someone-else/)
    const pool = rt.pools()[0]
    assert.equal(pool.replaced, 6, JSON.stringify(pool))
  })
})

test('a fault on one worker leaves a call on another worker untouched', async () => {
  const dir = warmDir('  min: 2\n  max: 2')
  await withRuntime(dir, {}, async (rt) => {
    await rt.warmup()
    const slow = rt.invoke('w', { op: 'sleep', ms: 600 })
    await sleep(50)
    const dead = await rt.invoke('w', { op: 'exit', code: 1 })
    assert.equal(dead.error.code, 'EXIT_ERROR')
    const ok = await slow
    assert.equal(ok.success, true)
    assert.equal(ok.output.slept, 600)
  })
})

test('memory over the limit: MEMORY_LIMIT_EXCEEDED in a call, and an idle worker over it is replaced', async () => {
  const dir = warmDir('  min: 1\n  max: 1', nodeWorker, 'index.js', 'memory: 64mb\n')
  await withRuntime(dir, {}, async (rt) => {
    const r = await faultCase(rt, { op: 'hoard', mb: 120, ms: 3000 })
    assert.equal(r.error.code, 'MEMORY_LIMIT_EXCEEDED', JSON.stringify(r))
    const before = await rt.invoke('w', {})
    const held = await rt.invoke('w', { op: 'grow', mb: 120, ms: 100 })
    assert.equal(held.success, true)
    await waitFor(() => startTime(before.output.pid) === null)
    await waitFor(() => /memory limit/.test(rt.pools()[0].lastError ?? ''))
    const after = await rt.invoke('w', {})
    assert.notEqual(after.output.pid, before.output.pid)
  })
})

test('WORKER_START_FAILED: a function that does not speak the protocol, never a hang', async () => {
  const dir = functionsDir({
    // A one-shot function: waits for stdin to end, so it never writes ready.
    'oneshot/manifest.yaml': 'name: oneshot\ntimeout: 1s\nwarm: true\n',
    'oneshot/index.js': "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>console.log(JSON.stringify({success:true,output:1})))\n",
    'crash/manifest.yaml': 'name: crash\nwarm: true\n',
    'crash/index.js': "console.error('boom: missing config'); process.exit(2)\n",
  })
  await withRuntime(dir, {}, async (rt) => {
    const t0 = performance.now()
    const r = await rt.invoke('oneshot', {})
    assert.equal(r.error.code, 'WORKER_START_FAILED', JSON.stringify(r))
    assert.match(r.error.message, /worker protocol/)
    assert.match(r.error.message, /SDK/)
    assert.ok(performance.now() - t0 < 10_000)
    const c = await rt.invoke('crash', {})
    assert.equal(c.error.code, 'WORKER_START_FAILED')
    assert.match(c.error.details.stderr, /boom: missing config/)
    assert.match(c.error.message, /exited with code 2/)
    await assert.rejects(rt.warmup('crash'), (e) => e.code === 'WORKER_START_FAILED' && /boom/.test(e.details.stderr))
    assert.match(rt.pools().find((p) => p.name === 'crash').lastError, /did not start/)
  })
})

test('reload() sends new calls to new workers; close() leaves no warm process', async () => {
  const dir = warmDir('  min: 2\n  max: 2')
  const rt = new FunctionRuntime({ functionsDir: dir })
  await rt.warmup()
  const a = await rt.invoke('w', {})
  rt.reload()
  const b = await rt.invoke('w', {})
  assert.notEqual(b.output.pid, a.output.pid)
  await waitFor(() => startTime(a.output.pid) === null)
  await rt.warmup()
  const snap = snapshot(rt.pools()[0].pids)
  assert.equal(snap.length, 2)
  await rt.close()
  assert.deepEqual(survivors(snap), [])
  assert.equal(zombieChildren(), 0)
  await assert.rejects(rt.invoke('w', {}), /closed/)
})

test('edits reach a warm function without watch(); in-flight calls finish on the old process', async () => {
  const dir = warmDir('  min: 1\n  max: 2', `globalThis.VERSION = 'v1'\n${nodeWorker}`)
  await withRuntime(dir, {}, async (rt) => {
    await rt.warmup()
    const v1 = await rt.invoke('w', {})
    assert.equal(v1.output.version, 'v1')
    const inFlight = rt.invoke('w', { op: 'sleep', ms: 1500 })
    await waitFor(() => rt.pools()[0].busy === 1)
    fs.writeFileSync(path.join(dir, 'w', 'index.js'), `globalThis.VERSION = 'v2'\n${nodeWorker}`)
    const t0 = Date.now()
    // Within 1 s (plus slack for a loaded machine) new calls get the new files.
    const v2 = await waitFor(
      async () => {
        const r = await rt.invoke('w', {})
        assert.equal(r.success, true, JSON.stringify(r.error))
        return r.output.version === 'v2' && r
      },
      { timeoutMs: 5000, intervalMs: 100 },
    )
    assert.ok(Date.now() - t0 < 5000)
    assert.notEqual(v2.output.pid, v1.output.pid)
    const old = await inFlight
    assert.equal(old.success, true)
    assert.equal(old.output.version, 'v1', 'the in-flight call finished on the old process')
    await waitFor(() => startTime(v1.output.pid) === null)
  })
})

test('maxRequests recycles a worker; idle shrinks the pool to min', async () => {
  const dir = warmDir('  min: 1\n  max: 3\n  maxRequests: 2\n  idle: 300ms')
  await withRuntime(dir, {}, async (rt) => {
    await rt.warmup()
    const a = await rt.invoke('w', {})
    const b = await rt.invoke('w', {})
    const c = await rt.invoke('w', {})
    assert.equal(a.output.pid, b.output.pid)
    assert.notEqual(c.output.pid, a.output.pid, 'replaced after maxRequests')
    await waitFor(() => startTime(a.output.pid) === null)
    // Three at once: three workers; then idle ones above min stop.
    await Promise.all([1, 2, 3].map(() => rt.invoke('w', { op: 'sleep', ms: 200 })))
    await waitFor(() => rt.pools()[0].ready + rt.pools()[0].busy === 1, { timeoutMs: 5000 })
  })
})

test('CLI: list shows each function mode; doctor starts warm functions and shows their pools', async () => {
  const { execFileSync } = await import('node:child_process')
  const dir = warmDir('  min: 1')
  fs.mkdirSync(path.join(dir, 'plain'))
  fs.writeFileSync(path.join(dir, 'plain', 'index.js'), 'console.log(JSON.stringify({success:true}))\n')
  const cli = path.join(root, 'bin', 'alyx-runtime.js')
  const listed = execFileSync(process.execPath, [cli, 'list', '--dir', dir], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } })
  assert.match(listed, /^plain\s+node\s+30s\s+one-shot$/m)
  assert.match(listed, /^w\s+node\s+30s\s+worker$/m)
  const doctor = execFileSync(process.execPath, [cli, 'doctor', '--json'], { cwd: dir, encoding: 'utf8' })
  const { pools } = JSON.parse(doctor)
  assert.equal(pools[0].name, 'w')
  assert.equal(pools[0].ready, 1)
  assert.equal(pools[0].lastError, null)
})

test('a runtime in a worker_threads Worker: terminate() leaves no warm process', async () => {
  const { Worker } = await import('node:worker_threads')
  const dir = warmDir('  min: 2\n  max: 2')
  const code = `
    const { parentPort, workerData } = require('node:worker_threads')
    const { FunctionRuntime } = require(workerData.root)
    const rt = new FunctionRuntime({ functionsDir: workerData.dir })
    rt.warmup().then(() => parentPort.postMessage(rt.pools()[0].pids))`
  const worker = new Worker(code, { eval: true, workerData: { root, dir } })
  const pids = await new Promise((resolve, reject) => worker.once('message', resolve).once('error', reject))
  assert.equal(pids.length, 2)
  const snap = snapshot(pids)
  await worker.terminate()
  await waitFor(() => survivors(snap).length === 0, { timeoutMs: 5000 })
  assert.equal(zombieChildren(), 0)
})

test('protocol edges: a marker after unfinished text ends the call; a missing marker says so; the deadline counts from the worker', async () => {
  const dir = warmDir('  min: 1\n  max: 1')
  await withRuntime(dir, {}, async (rt) => {
    const glued = await rt.invoke('w', { op: 'glued' })
    assert.equal(glued.success, true, JSON.stringify(glued.error))
    assert.equal(glued.output, 'glued')
    assert.deepEqual(
      glued.logs.filter((l) => !l.message.startsWith('booting')).map((l) => l.message),
      ['progress...'],
    )
    const next = await rt.invoke('w', {})
    assert.equal(next.success, true)
    const noEnd = await rt.invoke('w', { op: 'noend' }, { timeoutMs: 400 })
    assert.equal(noEnd.error.code, 'TIMEOUT')
    assert.match(noEnd.error.message, /wrote its response but not the end marker/)
    // A call waiting for the busy worker: its deadline starts when it gets one.
    const t0 = Date.now()
    const busy = rt.invoke('w', { op: 'sleep', ms: 1000 })
    const queued = await rt.invoke('w', {}, { timeoutMs: 3000 })
    await busy
    assert.equal(queued.success, true, JSON.stringify(queued.error))
    assert.ok(queued.output.deadline >= t0 + 3900, `deadline ${queued.output.deadline - t0} ms after the call`)
  })
})
