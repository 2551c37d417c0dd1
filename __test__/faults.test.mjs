// Regression tests for the core faults of issue 12 (CONTRACT §6, §14), each
// with real processes: admission that cannot deadlock, a leader that escapes
// its process group, bounded logs, queue controls and clearer failures.
import test from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { FunctionRuntime, functionsDir, sh, isAlive, waitFor, zombieChildren, needs, sleep } from './helpers.mjs'

const readPid = (dir, file) => Number(fs.readFileSync(path.join(dir, file), 'utf8'))
const _pidTo = (file) => `echo $$ > "$ALYX_FUNCTION_DIR/../${file}.tmp" && mv "$ALYX_FUNCTION_DIR/../${file}.tmp" "$ALYX_FUNCTION_DIR/../${file}"`
const ok = (output) => `echo '{"success":true,"output":${JSON.stringify(output)}}'`

// ---- 1. admission ----

test('deadlock: maxConcurrency 1 + manifest concurrency 1, 2 and then 50 parallel calls all settle', async () => {
  const dir = functionsDir({
    'a/bootstrap': sh(`cat >/dev/null; ${ok('a')}`),
    'a/manifest.yaml': 'name: a\nconcurrency: 1\n',
  })
  const rt = new FunctionRuntime({ functionsDir: dir, maxConcurrency: 1 })
  try {
    for (let round = 0; round < 6; round++) {
      const two = await Promise.all([rt.invoke('a'), rt.invoke('a')])
      assert.deepEqual(
        two.map((r) => r.output),
        ['a', 'a'],
      )
    }
    const fifty = await Promise.all(Array.from({ length: 50 }, () => rt.invoke('a')))
    assert.equal(fifty.filter((r) => r.success).length, 50)
  } finally {
    await rt.close()
  }
})

test('a call waiting on its own function holds no global slot', async () => {
  const dir = functionsDir({
    'slow/bootstrap': sh(`cat >/dev/null; sleep 1.5; ${ok('slow')}`),
    'slow/manifest.yaml': 'name: slow\nconcurrency: 1\n',
    'fast/bootstrap': sh(`cat >/dev/null; ${ok('fast')}`),
  })
  const rt = new FunctionRuntime({ functionsDir: dir, maxConcurrency: 2 })
  try {
    const slow = [rt.invoke('slow'), rt.invoke('slow')]
    await sleep(200)
    const started = Date.now()
    const fast = await rt.invoke('fast')
    const took = Date.now() - started
    assert.equal(fast.output, 'fast')
    assert.ok(took < 1000, `fast waited ${took} ms although a global slot was free`)
    assert.equal(fast.queuedMs < 1000, true)
    const [, second] = await Promise.all(slow)
    assert.ok(second.queuedMs >= 1000, `the second slow call queued ${second.queuedMs} ms`)
  } finally {
    await rt.close()
  }
})

test('close(): a call still queued resolves CANCELLED and never spawns', async () => {
  const dir = functionsDir({
    'hold/bootstrap': sh(`cat >/dev/null; sleep 30`),
    'mark/bootstrap': sh(`touch "$ALYX_FUNCTION_DIR/../spawned"; ${ok('mark')}`),
  })
  const rt = new FunctionRuntime({ functionsDir: dir, maxConcurrency: 1, killGraceMs: 100 })
  const hold = rt.invoke('hold')
  await sleep(200)
  const queued = rt.invoke('mark')
  await sleep(100)
  await rt.close()
  const [h, q] = await Promise.all([hold, queued])
  assert.equal(h.error.code, 'CANCELLED')
  assert.equal(q.error.code, 'CANCELLED')
  assert.equal(fs.existsSync(path.join(dir, 'spawned')), false, 'the queued call spawned')
})

// ---- 9. queue controls ----

test('maxQueue: one call too many is QUEUE_FULL at once; stats() counts running and queued; queuedMs', async () => {
  const dir = functionsDir({ 'slow/bootstrap': sh(`cat >/dev/null; sleep 0.8; ${ok('slow')}`) })
  const rt = new FunctionRuntime({ functionsDir: dir, maxConcurrency: 1, maxQueue: 1 })
  try {
    const first = rt.invoke('slow')
    await waitFor(() => rt.stats().running === 1)
    const second = rt.invoke('slow')
    await waitFor(() => rt.stats().queued === 1)
    assert.deepEqual(rt.stats(), { running: 1, queued: 1, functions: { slow: { running: 1, queued: 1 } } })
    const started = Date.now()
    const third = await rt.invoke('slow')
    assert.equal(third.error.code, 'QUEUE_FULL', JSON.stringify(third))
    assert.ok(Date.now() - started < 500, 'QUEUE_FULL comes at once')
    const [a, b] = await Promise.all([first, second])
    assert.equal(a.success && b.success, true)
    assert.ok(b.queuedMs >= 500, `queuedMs ${b.queuedMs}`)
    assert.deepEqual(rt.stats(), { running: 0, queued: 0, functions: {} })
  } finally {
    await rt.close()
  }
})

// ---- 2. a leader that escapes its group ----

// Ignores SIGTERM and moves itself into its parent's (the host's) group.
const escaper = `import os, signal, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
os.setpgid(0, os.getpgid(os.getppid()))
with open(os.path.join(os.environ["ALYX_FUNCTION_DIR"], "..", "escaper.pid"), "w") as f:
    f.write(str(os.getpid()))
time.sleep(20)
`

for (const how of ['timeout', 'abort', 'close']) {
  test(`unkillable leader: moved to another group and ignoring SIGTERM, it still ends at ${how} within grace + 1 s`, needs('python3'), async () => {
    const dir = functionsDir({ 'escaper/main.py': escaper })
    const rt = new FunctionRuntime({ functionsDir: dir, killGraceMs: 300 })
    const ac = new AbortController()
    const pending = rt.invoke('escaper', null, { timeoutMs: how === 'timeout' ? 1000 : 30_000, signal: ac.signal })
    await waitFor(() => fs.existsSync(path.join(dir, 'escaper.pid')))
    const pid = readPid(dir, 'escaper.pid')
    const started = Date.now()
    if (how === 'abort') ac.abort()
    if (how === 'close') await rt.close()
    const res = await pending
    const took = Date.now() - started
    await rt.close()
    assert.equal(res.error.code, how === 'timeout' ? 'TIMEOUT' : 'CANCELLED', JSON.stringify(res.error))
    assert.ok(took < (how === 'timeout' ? 1000 : 0) + 300 + 1000 + 500, `took ${took} ms`)
    assert.equal(isAlive(pid), false, 'the leader survived')
    assert.equal(zombieChildren(), 0)
  })
}

// ---- 4. bounded logs ----

test('12,000,000 stdout lines before the response: resolves, logs capped with one marker, host memory flat', async () => {
  const dir = functionsDir({ 'flood/bootstrap': sh(`cat >/dev/null; yes x | head -n 12000000; ${ok('after the flood')}`) })
  const rt = new FunctionRuntime({ functionsDir: dir })
  try {
    const before = process.memoryUsage().rss
    const res = await rt.invoke('flood', null, { timeoutMs: 60_000 })
    const grew = process.memoryUsage().rss - before
    assert.equal(res.success, true, JSON.stringify(res.error))
    assert.equal(res.output, 'after the flood')
    const markers = res.logs.filter((l) => l.message.startsWith('[alyx]'))
    assert.equal(markers.length, 1)
    const text = res.logs.reduce((n, l) => n + l.message.length, 0)
    assert.ok(text <= 1024 * 1024 + 200, `${text} bytes of logs kept`)
    assert.ok(grew < 400 * 1024 * 1024, `host RSS grew ${grew} bytes`)
  } finally {
    await rt.close()
  }
})

test('a response with 5,000,000 logs entries: resolves, logs capped, one marker', needs('python3'), async () => {
  const dir = functionsDir({
    'many/main.py': `import sys\nsys.stdin.read()\nsys.stdout.write('{"success":true,"output":1,"logs":[' + ','.join(['"x"'] * 5_000_000) + ']}')\n`,
  })
  const rt = new FunctionRuntime({ functionsDir: dir })
  try {
    const res = await rt.invoke('many', null, { timeoutMs: 60_000 })
    assert.equal(res.success, true, JSON.stringify(res.error))
    assert.equal(res.logs.filter((l) => l.message.startsWith('[alyx]')).length, 1)
    assert.ok(res.logs.length < 600_000, `${res.logs.length} entries kept`)
    assert.equal(res.logs.at(-1).message, 'x')
  } finally {
    await rt.close()
  }
})

test('onLog under a 32 MB stderr flood: every callback before the promise resolves, in order, host memory flat', async () => {
  const dir = functionsDir({
    'noisy/bootstrap': sh(`cat >/dev/null; seq 1 2000000 | sed 's/^/line-/' >&2; ${ok('done')}`),
  })
  const rt = new FunctionRuntime({ functionsDir: dir })
  try {
    let resolved = false
    let late = 0
    let count = 0
    let ordered = true
    const before = process.memoryUsage().rss
    const res = await rt
      .invoke('noisy', null, {
        timeoutMs: 120_000,
        onLog: (entry) => {
          if (resolved) late++
          count++
          if (entry.message !== `line-${count}`) ordered = false
        },
      })
      .then((r) => {
        resolved = true
        return r
      })
    await sleep(200)
    const grew = process.memoryUsage().rss - before
    assert.equal(res.success, true)
    assert.equal(late, 0, `${late} callbacks after resolve`)
    assert.equal(count, 2_000_000)
    assert.ok(ordered, 'onLog entries out of order')
    assert.ok(grew < 500 * 1024 * 1024, `host RSS grew ${grew} bytes`)
  } finally {
    await rt.close()
  }
})

// ---- 10. clearer failures and small bounds ----

test('a function that wrote a response but did not exit: TIMEOUT says it wrote a response', async () => {
  const dir = functionsDir({ 'linger/bootstrap': sh(`cat >/dev/null; ${ok('x')}; sleep 30`) })
  const rt = new FunctionRuntime({ functionsDir: dir, killGraceMs: 100 })
  try {
    const res = await rt.invoke('linger', null, { timeoutMs: 700 })
    assert.equal(res.error.code, 'TIMEOUT')
    assert.match(res.error.message, /wrote a (complete )?response but did not exit/)
  } finally {
    await rt.close()
  }
})

test('EXIT_ERROR quotes the telling stderr line, not the last one', async () => {
  const dir = functionsDir({
    'crash/bootstrap': sh(
      `cat >/dev/null; echo 'at Object.<anonymous> (/x.js:1:7)' >&2; echo 'Error: the database is gone' >&2; echo '    at main (/x.js:3:1)' >&2; echo 'Node.js v20.20.2' >&2; exit 1`,
    ),
  })
  const rt = new FunctionRuntime({ functionsDir: dir })
  try {
    const res = await rt.invoke('crash')
    assert.equal(res.error.code, 'EXIT_ERROR')
    assert.match(res.error.message, /Error: the database is gone/)
  } finally {
    await rt.close()
  }
})

test('INVALID_OUTPUT says which rule failed; a BOM before the response is ignored', async () => {
  const dir = functionsDir({
    'empty/bootstrap': sh('cat >/dev/null'),
    'notjson/bootstrap': sh('cat >/dev/null; echo hello'),
    'nosuccess/bootstrap': sh(`cat >/dev/null; echo '{"output":1}'`),
    'bom/bootstrap': sh(`cat >/dev/null; printf '\\357\\273\\277{"success":true,"output":"bom"}'`),
  })
  const rt = new FunctionRuntime({ functionsDir: dir })
  try {
    assert.match((await rt.invoke('empty')).error.message, /nothing to stdout/)
    assert.match((await rt.invoke('notjson')).error.message, /not JSON/)
    assert.match((await rt.invoke('nosuccess')).error.message, /boolean `success`/)
    const bom = await rt.invoke('bom')
    assert.equal(bom.success, true, JSON.stringify(bom.error))
    assert.equal(bom.output, 'bom')
  } finally {
    await rt.close()
  }
})

test('small bounds: timeoutMs types and range; auth/requestId size and NUL are INVALID_INPUT; durationMs covers serialisation', async () => {
  const dir = functionsDir({ 'echo/bootstrap': sh(`cat >/dev/null; ${ok('e')}`) })
  const rt = new FunctionRuntime({ functionsDir: dir })
  try {
    await assert.rejects(rt.invoke('echo', null, { timeoutMs: '5000' }), (e) => e instanceof TypeError && /string "5000"/.test(e.message))
    await assert.rejects(rt.invoke('echo', null, { timeoutMs: 2 ** 64 }), TypeError)
    await assert.rejects(rt.invoke('echo', null, { timeoutMs: 2 ** 31 }), TypeError)
    assert.equal((await rt.invoke('echo', null, { timeoutMs: 2 ** 31 - 1 })).success, true)
    for (const options of [{ requestId: 'x'.repeat(65 * 1024) }, { requestId: 'a\0b' }, { auth: { id: 'x'.repeat(65 * 1024) } }, { auth: { id: 'a\0b' } }]) {
      const res = await rt.invoke('echo', null, options)
      assert.equal(res.error?.code, 'INVALID_INPUT', JSON.stringify(res.error))
    }
    const big = { items: Array.from({ length: 300_000 }, (_, i) => ({ i, s: 'abcdefghij' })) }
    const started = Date.now()
    const res = await rt.invoke('echo', big)
    const wall = Date.now() - started
    assert.ok(res.durationMs >= wall * 0.8 - 5, `durationMs ${res.durationMs} for a ${wall} ms call`)
  } finally {
    await rt.close()
  }
})
