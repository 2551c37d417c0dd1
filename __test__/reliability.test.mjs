// Reliability: nothing a function leaves behind can stall an invocation or
// outlive it, and a host that exits (signal or normal exit) takes its
// functions' process groups with it — tested with real child Node processes.
import test from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { FunctionRuntime, functionsDir, sh, isAlive, spawnHost, waitFor, zombieChildren } from './helpers.mjs'

// Writes "<pid>" atomically to a file next to the function directories.
const pidTo = (file, pid = '$$') =>
  `echo ${pid} > "$ALYX_FUNCTION_DIR/../${file}.tmp" && mv "$ALYX_FUNCTION_DIR/../${file}.tmp" "$ALYX_FUNCTION_DIR/../${file}"`

const dir = functionsDir({
  // The grandchild inherits stdout and stderr and keeps both open for 300 s.
  'leaves-stdout/bootstrap': sh(`cat >/dev/null; sleep 300 & ${pidTo('leaves-stdout.gc', '$!')}; echo '{"success":true,"output":"done"}'`),
  // Same, but it only keeps stderr open.
  'leaves-stderr/bootstrap': sh(`cat >/dev/null; sleep 300 >/dev/null & ${pidTo('leaves-stderr.gc', '$!')}; echo '{"success":true,"output":"done"}'`),
  // The response is written by the grandchild, which then lingers.
  'gc-responds/bootstrap': sh(
    `cat >/dev/null; (echo '{"success":true,"output":"from grandchild"}'; exec sleep 300) & ${pidTo('gc-responds.gc', '$!')}; sleep 0.2`,
  ),
  // A grandchild that left the process group (setsid) and holds stdout.
  'escapes-group/bootstrap': sh(`cat >/dev/null; setsid sleep 6 & ${pidTo('escapes-group.gc', '$!')}; sleep 0.3; echo '{"success":true,"output":"done"}'`),
  // The long function of the host-exit tests: it and its grandchild hang.
  'long/bootstrap': sh(`sleep 300 & ${pidTo('long.gc', '$!')}; ${pidTo('long.pid')}; sleep 300`),
})
const rt = new FunctionRuntime({ functionsDir: dir })
test.after(() => rt.close())

const readPid = (name) => Number(fs.readFileSync(path.join(dir, name), 'utf8'))

for (const [fn, gcFile, output] of [
  ['leaves-stdout', 'leaves-stdout.gc', 'done'],
  ['leaves-stderr', 'leaves-stderr.gc', 'done'],
  ['gc-responds', 'gc-responds.gc', 'from grandchild'],
]) {
  test(`${fn}: a grandchild holding the pipes open does not hang the invocation, and dies with the group`, async () => {
    const started = Date.now()
    const res = await rt.invoke(fn, null, { timeoutMs: 20_000 })
    const took = Date.now() - started
    assert.equal(res.success, true, JSON.stringify(res))
    assert.equal(res.output, output)
    assert.ok(took < 3000, `took ${took} ms with a 20 s timeout: waited on the grandchild`)
    const gc = readPid(gcFile)
    await waitFor(() => !isAlive(gc), { timeoutMs: 1000 })
    assert.equal(zombieChildren(), 0)
  })
}

// A descendant that left the function's process group cannot be killed with
// it (that takes a cgroup; see SECURITY.md). It must still not stall the
// invocation past its timeout.
test('escapes-group: a setsid grandchild holding stdout cannot hold the invocation past its timeout', async () => {
  const started = Date.now()
  await rt.invoke('escapes-group', null, { timeoutMs: 2000 })
  const took = Date.now() - started
  const gc = readPid('escapes-group.gc')
  try {
    assert.ok(took < 2000 + 1500, `took ${took} ms with a 2 s timeout`)
  } finally {
    try {
      process.kill(gc, 'SIGKILL')
    } catch {}
  }
})

// Regression: the executor used to drain stdout until the deadline after the
// leader exited, then drop what it had read — a valid response became
// INVALID_OUTPUT after the full timeout. Now the drain is bounded (1 s) and
// keeps what arrived.
test('escapes-group: the response written before exit is kept, promptly', async () => {
  const started = Date.now()
  const res = await rt.invoke('escapes-group', null, { timeoutMs: 4000 })
  const took = Date.now() - started
  try {
    process.kill(readPid('escapes-group.gc'), 'SIGKILL')
  } catch {}
  assert.equal(res.success, true, JSON.stringify(res.error))
  assert.equal(res.output, 'done')
  assert.ok(took < 2500, `took ${took} ms: the drain waited for the whole timeout`)
})

// ---- host exit: a real Node host process ----

/**
 * Starts a child Node host that invokes `long` (timeout 60 s) and, once the
 * function and its grandchild have written their pids, prints READY or runs
 * `afterStart` (JS source) inside the child.
 */
function startHost({ afterStart = 'console.log("READY")', prelude = '' } = {}) {
  for (const f of ['long.pid', 'long.gc']) fs.rmSync(path.join(dir, f), { force: true })
  const src = `
    const fs = require('fs'), path = require('path')
    const { FunctionRuntime } = require(process.env.ALYX_ROOT)
    ${prelude}
    const dir = process.env.ALYX_DIR
    const rt = new FunctionRuntime({ functionsDir: dir })
    rt.invoke('long', null, { timeoutMs: 60000 }).then((r) => console.log('RESULT ' + JSON.stringify(r)))
    const poll = setInterval(() => {
      if (fs.existsSync(path.join(dir, 'long.pid')) && fs.existsSync(path.join(dir, 'long.gc'))) {
        clearInterval(poll)
        ${afterStart}
      }
    }, 10)
  `
  return spawnHost(src, dir)
}

async function assertGroupGoneWithin(ms) {
  const pids = [readPid('long.pid'), readPid('long.gc')]
  const started = Date.now()
  while (pids.some(isAlive) && Date.now() - started < ms) await new Promise((r) => setTimeout(r, 10))
  const alive = pids.filter(isAlive)
  for (const pid of alive) {
    try {
      process.kill(pid, 'SIGKILL') // do not leak them into the rest of the suite
    } catch {}
  }
  assert.deepEqual(alive, [], `still alive ${ms} ms after the host went: ${alive.join(', ')}`)
}

for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP']) {
  test(`host exit on ${sig}: the function's process group is gone within 1 s, and the host dies of ${sig}`, async () => {
    const host = startHost()
    await host.ready()
    const pids = [readPid('long.pid'), readPid('long.gc')]
    assert.ok(pids.every(isAlive), 'function and grandchild run before the signal')
    host.child.kill(sig)
    await assertGroupGoneWithin(1000)
    const { code, signal } = await host.exited
    assert.deepEqual({ code, signal }, { code: null, signal: sig }, host.output())
  })
}

test('host exit via process.exit(0) while a function runs: its process group is gone', async () => {
  const host = startHost({ afterStart: 'process.exit(0)' })
  const { code, signal } = await host.exited
  assert.deepEqual({ code, signal }, { code: 0, signal: null }, host.output())
  await assertGroupGoneWithin(1000)
})

test('host exit by an uncaught exception: its process group is gone', async () => {
  const host = startHost({ afterStart: 'throw new Error("host bug")' })
  const { code } = await host.exited
  assert.equal(code, 1, host.output())
  assert.match(host.output(), /host bug/)
  await assertGroupGoneWithin(1000)
})

test("a host with its own SIGTERM handler: the group is killed and the host's handler decides the exit", async () => {
  const host = startHost({
    prelude: `process.on('SIGTERM', () => { console.log('CUSTOM'); setTimeout(() => process.exit(7), 50) })`,
  })
  await host.ready()
  host.child.kill('SIGTERM')
  await assertGroupGoneWithin(1000)
  const { code, signal } = await host.exited
  assert.deepEqual({ code, signal }, { code: 7, signal: null }, host.output())
  assert.match(host.output(), /CUSTOM/)
})
