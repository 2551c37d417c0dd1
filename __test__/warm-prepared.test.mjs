// A warm function's load, env, command and plan are made once and reused by
// its calls (crates/core/src/invoke/warm.rs): whatever changes them must still
// reach new calls — the host env, the manifest, a swapped directory.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { functionsDir, liveStartTime as startTime, root, waitFor, withRuntime } from './helpers.mjs'

const nodeWorker = fs.readFileSync(path.join(root, '__test__', 'fixtures', 'warm', 'worker.js'), 'utf8')

test('a changed host variable reaches a warm function: new workers get it', async () => {
  const dir = functionsDir({ 'w/manifest.yaml': 'name: w\nwarm:\n  min: 1\n  max: 1\n', 'w/index.js': nodeWorker })
  process.env.ALYX_TEST_HOST_VAR = 'a'
  try {
    await withRuntime(dir, { inheritEnv: ['ALYX_TEST_HOST_VAR'] }, async (rt) => {
      const a = await rt.invoke('w', {})
      assert.equal(a.output.hostVar, 'a', JSON.stringify(a))
      assert.equal((await rt.invoke('w', {})).output.pid, a.output.pid)
      process.env.ALYX_TEST_HOST_VAR = 'b'
      const b = await rt.invoke('w', {})
      assert.equal(b.output.hostVar, 'b')
      assert.notEqual(b.output.pid, a.output.pid)
    })
  } finally {
    delete process.env.ALYX_TEST_HOST_VAR
  }
})

test('a manifest edit reaches warm calls within a second (its timeout here)', async () => {
  const manifest = (timeout) => `name: w\ntimeout: ${timeout}\nwarm:\n  min: 1\n  max: 1\n`
  const dir = functionsDir({ 'w/manifest.yaml': manifest('10s'), 'w/index.js': nodeWorker })
  await withRuntime(dir, {}, async (rt) => {
    const slow = await rt.invoke('w', { op: 'sleep', ms: 400 })
    assert.equal(slow.success, true, JSON.stringify(slow.error))
    // 1 s, not less: a worker must also be ready within its function's
    // timeout (CONTRACT §10), and a loaded machine boots node slower.
    fs.writeFileSync(path.join(dir, 'w', 'manifest.yaml'), manifest('1s'))
    const t0 = Date.now()
    const timedOut = await waitFor(
      async () => {
        const r = await rt.invoke('w', { op: 'sleep', ms: 1500 })
        return r.error?.code === 'TIMEOUT' && r
      },
      { timeoutMs: 8000, intervalMs: 50 },
    )
    assert.ok(timedOut, 'the new timeout applies')
    assert.ok(Date.now() - t0 < 8000)
  })
})

test('a warm function whose directory is swapped for a symlink out of the functions directory gets no process', async () => {
  const dir = functionsDir({ 'w/manifest.yaml': 'name: w\nwarm:\n  min: 1\n  max: 1\n  maxRequests: 1\n', 'w/index.js': nodeWorker })
  const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'alyx-outside-'))
  await withRuntime(dir, {}, async (rt) => {
    const first = await rt.invoke('w', {})
    assert.equal(first.success, true, JSON.stringify(first.error))
    // The call in flight ends while the directory is already outside: the
    // replacement worker (maxRequests: 1) must not start from there.
    const inFlight = rt.invoke('w', { op: 'sleep', ms: 300 })
    await waitFor(() => rt.pools()[0].busy === 1)
    const before = rt.pools()[0].pids
    fs.renameSync(path.join(dir, 'w'), path.join(outside, 'w'))
    fs.symlinkSync(path.join(outside, 'w'), path.join(dir, 'w'))
    await inFlight
    const refused = await waitFor(
      async () => {
        const r = await rt.invoke('w', {}, { timeoutMs: 3000 })
        return !r.success && r
      },
      { timeoutMs: 8000, intervalMs: 100 },
    )
    assert.match(refused.error.message, /outside the functions directory/)
    // Processes started before the swap stop (their cwd moved with it).
    await waitFor(() => before.every((pid) => startTime(pid) === null))
    const cwds = fs
      .readdirSync('/proc')
      .filter((p) => /^\d+$/.test(p))
      .map((p) => {
        try {
          return fs.readlinkSync(`/proc/${p}/cwd`)
        } catch {
          return ''
        }
      })
    assert.deepEqual(
      cwds.filter((c) => c.startsWith(outside)),
      [],
      'no process runs in the outside directory',
    )
  })
})
