// The worker protocol (docs/PROTOCOL.md, "Worker protocol"; CONTRACT §10),
// checked from the runtime's side with real processes: every SDK serving
// worker mode with the same handler(fn) code as one-shot, and the two raw
// workers that docs/PROTOCOL.md teaches. The harness (worker-harness.mjs)
// starts each one as the runtime will and reads its stdout and stderr.
import test from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { execFileSync, functionsDir, isAlive, needs, root } from './helpers.mjs'
import { Worker, request, runStandby, which } from './worker-harness.mjs'
import { probes } from './worker-probes.mjs'

const rawDir = (name) => path.join(root, '__test__', 'fixtures', 'workers', name)
const sdk = (rel) => path.join(root, 'sdk', rel)

// name → { argv, needs, prepare?, rawWrite: a raw stdout write is redirected too, childPrint: so is a child
// process's stdout, partialLines: an unfinished stderr line does not swallow the next log line or end marker }
const probeFiles = probes({ jsSdkUrl: pathToFileURL(sdk('js/alyx.mjs')).href, pythonSdk: sdk('python'), rubySdk: sdk('ruby/alyx'), goSdk: sdk('go/alyx') })
const dir = functionsDir(Object.assign({}, ...Object.values(probeFiles)))
const fnDir = (name) => path.join(dir, name)
const cmd = (name) => which(name) ?? name

const targets = {
  node: { argv: () => [process.execPath, 'index.mjs'], needs: ['node'], rawWrite: true, childPrint: false, partialLines: true },
  deno: { argv: () => [cmd('deno'), 'run', '-A', 'index.ts'], needs: ['deno'], rawWrite: false, childPrint: false },
  bun: { argv: () => [cmd('bun'), 'run', 'index.ts'], needs: ['bun'], rawWrite: true, childPrint: false, partialLines: true },
  python: { argv: () => [cmd('python3'), 'main.py'], needs: ['python3'], rawWrite: true, childPrint: true, partialLines: true },
  ruby: { argv: () => [cmd('ruby'), 'main.rb'], needs: ['ruby'], rawWrite: true, childPrint: true, partialLines: true },
  go: { argv: (d) => [path.join(d, 'probe')], needs: ['go'], rawWrite: true, childPrint: true, prepare: buildGo },
}

// The runtime compiles Go functions once; here the probe is built once too.
let goBuilt = false
function buildGo(d) {
  if (!goBuilt) execFileSync(cmd('go'), ['build', '-o', 'probe', '.'], { cwd: d, stdio: 'pipe', timeout: 180_000 })
  goBuilt = true
}

const started = new Set()
test.after(() => started.forEach((w) => w.kill()))

async function startWorker(argv, d, env) {
  const worker = new Worker(argv, d, { env })
  started.add(worker)
  await worker.waitReady()
  return worker
}

const describe = (result) => JSON.stringify(result, null, 1).slice(0, 4000)

/** Lines a probe call writes to stderr one way or another, all tagged with its request id. */
function expectedLines(target, rid) {
  const lines = [`print ${rid}`, `stderr ${rid}`]
  if (target.rawWrite) lines.push(`raw ${rid}`)
  if (target.childPrint) lines.push(`child ${rid}`)
  return lines
}

const structured = (lines) => lines.map((l) => (l.startsWith('{') ? JSON.parse(l) : null)).filter(Boolean)

/** The checks every call shares: its id on the response and the end marker, and no other call's lines in its logs. */
function assertOwnCall(result, req, allIds) {
  assert.equal(result.response.request_id, req.request_id, describe(result))
  assert.equal(result.endRequestId, req.request_id, describe(result))
  for (const other of allIds) {
    if (other === req.request_id) continue
    assert.ok(!result.logs.some((l) => l.includes(other)), `a line of ${other} in the logs of ${req.request_id}: ${describe(result)}`)
  }
}

function assertProbeCall(target, result, req, allIds) {
  assertOwnCall(result, req, allIds)
  assert.equal(result.response.success, true, describe(result))
  const rid = req.request_id
  for (const line of expectedLines(target, rid)) assert.ok(result.logs.includes(line), `missing "${line}": ${describe(result)}`)
  const logs = structured(result.logs)
  const first = logs.findIndex((l) => l.message === `log ${rid} 1`)
  const second = logs.findIndex((l) => l.message === `log ${rid} 2`)
  assert.ok(first !== -1 && second > first, describe(result))
  assert.equal(logs[first].level, 'info')
  assert.deepEqual(logs[first].data, { rid })
  assert.equal(logs[second].level, 'warn')
}

for (const [name, target] of Object.entries(targets)) {
  const d = fnDir(`worker-${name}`)
  const start = async (env) => {
    target.prepare?.(d)
    return startWorker(target.argv(d), d, env)
  }

  test(
    `${name} SDK worker: ready, then each call answered with its request_id, its prints and logs before its own end marker, stdout clean`,
    needs(...target.needs),
    async () => {
      const worker = await start()
      const reqs = [1, 2, 3].map((i) => request({ mode: 'probe', n: i }, { auth: { id: `u${i}` } }))
      const ids = reqs.map((r) => r.request_id)
      const results = []
      for (const req of reqs) results.push(await worker.call(req))
      results.forEach((result, i) => assertProbeCall(target, result, reqs[i], ids))
      // Globals persist: one process served all three.
      assert.deepEqual(
        results.map((r) => r.response.output.calls),
        [1, 2, 3],
      )
      assert.deepEqual(new Set(results.map((r) => r.response.output.pid)).size, 1)
      // Start-up output (before ready, on stdout and stderr alike) is logged to the first call, first.
      const firstLogs = results[0].logs
      for (const line of ['startup stdout', 'startup stderr']) {
        assert.ok(firstLogs.includes(line), describe(results[0]))
        assert.ok(firstLogs.indexOf(line) < firstLogs.indexOf(`stderr ${ids[0]}`), describe(results[0]))
        assert.ok(!results[1].logs.includes(line))
      }
      assert.deepEqual(worker.noise, [], 'stdout carried only protocol lines')
      assert.equal(worker.exit, null)
    },
  )

  // Go and Deno cannot see every write to stderr (docs/SDK.md, "Worker mode").
  if (target.partialLines)
    test(`${name} SDK worker: a print or log line left unfinished does not swallow the next log line or the end marker`, needs(...target.needs), async () => {
      const worker = await start()
      const reqs = [request({ mode: 'probe', partial: true }), request({ mode: 'probe' })]
      const ids = reqs.map((r) => r.request_id)
      for (const req of reqs) {
        const result = await worker.call(req)
        assertProbeCall(target, result, req, ids)
        if (req.input.partial)
          for (const line of [`partial A ${req.request_id}`, `partial B ${req.request_id}`]) assert.ok(result.logs.includes(line), describe(result))
        assert.ok(!result.logs.includes(''), `no empty line: ${describe(result)}`)
      }
    })

  test(`${name} SDK worker: back-to-back requests, a 2 MiB one among them, answered in order with their own logs`, needs(...target.needs), async () => {
    const worker = await start({ PYTHONUNBUFFERED: '' }) // Python: the SDK flushes by itself
    const big = 'x'.repeat(2 * 1024 * 1024)
    const reqs = [{}, { chatter: 200 }, { big }, {}, { chatter: 50 }, {}].map((extra) => request({ mode: 'probe', ...extra }))
    const ids = reqs.map((r) => r.request_id)
    for (const req of reqs) worker.send(req) // all at once: several lines may arrive in one read
    for (const [i, req] of reqs.entries()) {
      const result = await worker.next()
      assertProbeCall(target, result, req, ids)
      const chatter = req.input.chatter ?? 0
      assert.equal(result.logs.filter((l) => l.startsWith(`chatter ${req.request_id} `)).length, chatter, describe(result))
      assert.equal(result.response.output.size, req.input.big?.length ?? 0)
      assert.equal(result.response.output.calls, i + 1)
    }
    assert.deepEqual(worker.noise, [])
  })

  test(
    `${name} SDK worker: per-call ALYX_ variables, auth and env set in the process env during the call, restored after`,
    needs(...target.needs),
    async () => {
      const worker = await start({ PRESET: 'worker' })
      const auth = { id: 'u1', email: 'a@b.c', role: 'admin' }
      const first = request({ mode: 'probe', sample: true }, { auth, env: { CALL_ENV: 'yes', PRESET: 'call' } })
      const during = await worker.call(first)
      assertProbeCall(target, during, first, [first.request_id])
      assert.deepEqual(during.response.output.env, {
        ALYX_REQUEST_ID: first.request_id,
        ALYX_INTERNAL_TOKEN: first.context.internal_token,
        ALYX_DEADLINE_MS: String(first.context.deadline_ms),
        ALYX_AUTH: during.response.output.env.ALYX_AUTH,
        CALL_ENV: 'yes',
        PRESET: 'call',
      })
      assert.deepEqual(JSON.parse(during.response.output.env.ALYX_AUTH), auth)
      assert.equal(during.response.output.requestId, first.request_id)

      // The probe samples its env 50 ms after the call, while the worker waits for the next one.
      const sampleLine = await worker.until(() => worker.pendingStderr.find((l) => l.startsWith('sample ')), 'the between-calls env sample')
      const nulls = { ALYX_REQUEST_ID: null, ALYX_INTERNAL_TOKEN: null, ALYX_DEADLINE_MS: null, ALYX_AUTH: null, CALL_ENV: null }
      assert.deepEqual(JSON.parse(sampleLine.slice('sample '.length)), { ...nulls, PRESET: 'worker' })

      // An anonymous call without env: nothing of the first call is left.
      const second = request({ mode: 'probe' })
      const after = await worker.call(second)
      assertOwnCall(after, second, [first.request_id, second.request_id])
      assert.equal(after.response.output.env.ALYX_AUTH, 'null')
      assert.equal(after.response.output.env.CALL_ENV, null)
      assert.equal(after.response.output.env.PRESET, 'worker')
      assert.equal(after.response.output.env.ALYX_REQUEST_ID, second.request_id)
      // A line written between calls is a log of the next call.
      assert.ok(after.logs.includes(sampleLine), describe(after))
    },
  )

  test(`${name} SDK worker: an exception or typed error fails only its own call; the worker keeps serving`, needs(...target.needs), async () => {
    const worker = await start()
    const crash = request({ mode: 'crash' })
    const typed = request({ mode: 'typed' })
    const fine = request({ mode: 'probe' })
    const ids = [crash.request_id, typed.request_id, fine.request_id]

    const crashed = await worker.call(crash)
    assertOwnCall(crashed, crash, ids)
    assert.equal(crashed.response.success, false)
    assert.equal(crashed.response.error.code, 'FUNCTION_ERROR', describe(crashed))
    assert.match(crashed.response.error.message, new RegExp(`boom ${crash.request_id}`))
    const trace = structured(crashed.logs).find((l) => l.level === 'error' && l.data)
    assert.match(JSON.stringify(trace?.data), /boom/, describe(crashed))
    assert.ok(
      structured(crashed.logs).some((l) => l.message === `log ${crash.request_id}`),
      'logs before the throw kept',
    )

    const refused = await worker.call(typed)
    assertOwnCall(refused, typed, ids)
    assert.deepEqual(refused.response, {
      success: false,
      error: { code: 'VALIDATION_ERROR', message: 'name is required', details: { field: 'name' } },
      request_id: typed.request_id,
    })

    const served = await worker.call(fine)
    assertProbeCall(target, served, fine, ids)
    assert.equal(served.response.output.calls, 3)
    assert.equal(worker.exit, null)
    assert.deepEqual(worker.noise, [])
  })

  test(`${name} SDK standby: a one-shot process started before its call takes the per-call variables from its request`, needs(...target.needs), async () => {
    target.prepare?.(d)
    const auth = { id: 'u9' }
    const req = request({ mode: 'probe' }, { auth, env: { CALL_ENV: 'standby' } })
    const result = await runStandby(target.argv(d), d, req)
    assert.equal(result.code, 0, describe(result))
    assert.equal(result.response?.success, true, describe(result))
    assert.equal(result.response.request_id, undefined, 'a one-shot response stays as it was')
    assert.deepEqual(result.response.output.env, {
      ALYX_REQUEST_ID: req.request_id,
      ALYX_INTERNAL_TOKEN: req.context.internal_token,
      ALYX_DEADLINE_MS: String(req.context.deadline_ms),
      ALYX_AUTH: JSON.stringify(auth),
      CALL_ENV: 'standby',
      PRESET: null,
    })
    assert.ok(result.stderr.includes(`stderr ${req.request_id}`), describe(result))
  })

  test(`${name} SDK worker: exits 0 when stdin closes, leaving nothing in its process group`, needs(...target.needs), async () => {
    const worker = await start()
    const req = request({ mode: 'probe' })
    assertProbeCall(target, await worker.call(req), req, [req.request_id])
    assert.deepEqual(await worker.closeStdin(), { code: 0, signal: null })
    assert.equal(isAlive(worker.pid), false)
    assert.throws(() => process.kill(-worker.pid, 0), { code: 'ESRCH' })
  })
}

// --- the raw workers docs/PROTOCOL.md teaches ---------------------------------

const rawTargets = {
  'raw-python': { argv: () => [cmd('python3'), 'main.py'], needs: ['python3'] },
  'raw-node': { argv: () => [process.execPath, 'index.mjs'], needs: ['node'] },
}

for (const [name, target] of Object.entries(rawTargets)) {
  const d = rawDir(name)
  const start = () => startWorker(target.argv(d), d)

  test(
    `${name} worker: calls one at a time and back to back, each answered with its id and its log before its end marker`,
    needs(...target.needs),
    async () => {
      const worker = await start()
      const reqs = ['Ada', 'Grace', 'Linus', 'Barbara', 'Ken'].map((n) => request({ name: n }))
      const ids = reqs.map((r) => r.request_id)
      const results = [await worker.call(reqs[0]), await worker.call(reqs[1])]
      for (const req of reqs.slice(2)) worker.send(req)
      for (let i = 2; i < reqs.length; i++) results.push(await worker.next())
      results.forEach((result, i) => {
        assertOwnCall(result, reqs[i], ids)
        assert.deepEqual(result.response, { success: true, output: { message: `Hello, ${reqs[i].input.name}!` }, request_id: ids[i] })
        assert.deepEqual(result.logs, [`handling ${ids[i]}`])
      })
      assert.deepEqual(worker.noise, [])
    },
  )

  test(`${name} worker: a failing call fails alone, and the worker exits 0 when stdin closes`, needs(...target.needs), async () => {
    const worker = await start()
    const empty = request({ name: ' ' })
    const broken = request({ name: 42 }) // not a string: the handler throws
    const fine = request(null)
    const ids = [empty.request_id, broken.request_id, fine.request_id]
    const refused = await worker.call(empty)
    assertOwnCall(refused, empty, ids)
    assert.deepEqual(refused.response.error, { code: 'VALIDATION_ERROR', message: 'name is empty' })
    const crashed = await worker.call(broken)
    assertOwnCall(crashed, broken, ids)
    assert.equal(crashed.response.error.code, 'FUNCTION_ERROR', describe(crashed))
    const served = await worker.call(fine)
    assert.deepEqual(served.response.output, { message: 'Hello, World!' })
    assert.deepEqual(await worker.closeStdin(), { code: 0, signal: null })
    assert.throws(() => process.kill(-worker.pid, 0), { code: 'ESRCH' })
  })
}

test('docs/PROTOCOL.md shows the two raw workers exactly as tested here', () => {
  const doc = fs.readFileSync(path.join(root, 'docs', 'PROTOCOL.md'), 'utf8')
  for (const [name, file] of [
    ['raw-python', 'main.py'],
    ['raw-node', 'index.mjs'],
  ]) {
    const code = fs.readFileSync(path.join(rawDir(name), file), 'utf8').trim()
    assert.ok(doc.includes(code), `docs/PROTOCOL.md lacks ${name}/${file} verbatim`)
  }
})
