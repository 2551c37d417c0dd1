// invoke(): every outcome code, the protocol rules, env, tokens, signals,
// concurrency and cleanup — against real processes.
import test from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { spawnSync } from 'node:child_process'
import v8 from 'node:v8'
import vm from 'node:vm'
import { FunctionRuntime, functionsDir, sh, isAlive, zombieChildren, sleep, waitFor, writeFiles } from './helpers.mjs'

const nodeFn = (body) => `let s='';process.stdin.on('data',d=>s+=d).on('end',()=>{const req=JSON.parse(s);${body}})`

const dir = functionsDir({
  'echo/index.js': nodeFn(`process.stdout.write(JSON.stringify({success:true,output:req.input}))`),
  // Decodes stdin once, whole: `s += chunk` would split multi-byte characters.
  'bigecho/index.js': `const c=[];process.stdin.on('data',d=>c.push(d)).on('end',()=>process.stdout.write(JSON.stringify({success:true,output:JSON.parse(Buffer.concat(c)).input})))`,
  'ctx/index.js': nodeFn(`process.stdout.write(JSON.stringify({success:true,output:{req,env:process.env}}))`),
  'typed/bootstrap': sh(
    `cat >/dev/null; echo '{"success":false,"error":{"code":"VALIDATION_ERROR","message":"name is required","details":{"field":"name"}}}'; exit 1`,
  ),
  'crash/bootstrap': sh(`echo "fatal: exploded" >&2; exit 3`),
  'garbage/bootstrap': sh(`echo "this is not json"`),
  'lastline/bootstrap': sh(`echo "debug 1"; echo "debug 2"; echo '{"success":true,"output":"ok"}'`),
  'signal/bootstrap': sh(`kill -SEGV $$`),
  'noexec/bootstrap': { text: '#!/no/such/interpreter\n', exec: true },
  'hang/bootstrap': sh(`sleep 300 & echo $! > "$ALYX_FUNCTION_DIR/../hang.pid"; sleep 300`),
  'flood/bootstrap': sh(`yes 0123456789abcdef`),
  'noread/bootstrap': sh(`echo '{"success":true,"output":"did not read"}'`),
  'slowlog/bootstrap': sh(`echo "first" >&2; sleep 1; echo "second" >&2; echo '{"success":true}'`),
  'token/bootstrap': sh(
    `echo "$ALYX_INTERNAL_TOKEN" > "$ALYX_FUNCTION_DIR/../token.tmp"; mv "$ALYX_FUNCTION_DIR/../token.tmp" "$ALYX_FUNCTION_DIR/../token.txt"; sleep 1; echo '{"success":true}'`,
  ),
  'cobol/index.cob': 'DISPLAY "HI".',
  'empty/README.md': 'no entry here',
})

const rt = new FunctionRuntime({
  functionsDir: dir,
  env: { FROM_OPTIONS: 'opt' },
  runtimes: { cobol: { command: 'cobc-not-installed', extensions: ['.cob'] } },
})
test.after(() => rt.close())

test('hello: output, logs, requestId, durationMs, exitCode, queuedMs', async () => {
  const res = await rt.invoke('echo', { name: 'World' }, { requestId: 'req-123' })
  assert.deepEqual(res, {
    success: true,
    output: { name: 'World' },
    logs: [],
    requestId: 'req-123',
    durationMs: res.durationMs,
    exitCode: 0,
    queuedMs: res.queuedMs,
  })
  assert.equal(typeof res.durationMs, 'number')
  assert.ok(Number.isInteger(res.queuedMs) && res.queuedMs <= res.durationMs)
})

test('request carries function alias, context, deadline; env is cleared and layered', async () => {
  process.env.ALYX_TEST_LEAK = 'should-not-leak'
  const before = Date.now()
  const res = await rt.invoke('ctx', { a: 1 }, { auth: { id: 'u1', email: 'a@b.c' }, env: { CALL: 'call' }, timeoutMs: 5000 })
  const { req, env } = res.output
  assert.equal(req.function_name, 'ctx')
  assert.equal(req.function, 'ctx')
  assert.deepEqual(req.input, { a: 1 })
  assert.deepEqual(req.context.auth, { id: 'u1', email: 'a@b.c' })
  assert.deepEqual(req.context.env, { CALL: 'call' }, 'context.env = manifest env + call env only')
  assert.equal(req.context.alyx_url, 'http://localhost:8090')
  assert.match(req.context.internal_token, /^[0-9a-f]{64}$/)
  assert.ok(req.context.deadline_ms >= before + 5000 && req.context.deadline_ms <= Date.now() + 5000)
  assert.equal(env.ALYX_TEST_LEAK, undefined)
  assert.equal(env.FROM_OPTIONS, 'opt')
  assert.equal(env.CALL, 'call')
  assert.equal(env.ALYX_FUNCTION_NAME, 'ctx')
  assert.equal(env.ALYX_FUNCTION_DIR, path.join(dir, 'ctx'))
  assert.equal(env.ALYX_REQUEST_ID, res.requestId)
  assert.equal(env.ALYX_URL, 'http://localhost:8090')
  assert.equal(env.ALYX_DEADLINE_MS, String(req.context.deadline_ms))
  assert.deepEqual(JSON.parse(env.ALYX_AUTH), { id: 'u1', email: 'a@b.c' })
  assert.equal(env.PYTHONUNBUFFERED, '1')
  assert.equal(env.PATH, process.env.PATH)
  assert.ok(!JSON.stringify(res.logs).includes(req.context.internal_token))
  const expected = new Set(['PATH', 'HOME', 'USER', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', 'NODE_PATH', 'FROM_OPTIONS', 'CALL', 'PYTHONUNBUFFERED'])
  for (const k of Object.keys(env)) assert.ok(expected.has(k) || k.startsWith('ALYX_'), `unexpected variable ${k} in the function env`)
})

test('input absent is null; cycles and BigInt are INVALID_INPUT', async () => {
  assert.equal((await rt.invoke('echo')).output, null)
  const cyc = {}
  cyc.self = cyc
  for (const bad of [cyc, { n: 10n }]) {
    const res = await rt.invoke('echo', bad)
    assert.equal(res.success, false)
    assert.equal(res.error.code, 'INVALID_INPUT')
    assert.equal(res.exitCode, null)
  }
})

test("function's own error code passes through with its exit code", async () => {
  const res = await rt.invoke('typed', {})
  assert.equal(res.success, false)
  assert.deepEqual(res.error, { code: 'VALIDATION_ERROR', message: 'name is required', details: { field: 'name' } })
  assert.equal(res.exitCode, 1)
  assert.equal('output' in res, false)
})

test('EXIT_ERROR carries exit code and stderr tail', async () => {
  const res = await rt.invoke('crash')
  assert.equal(res.error.code, 'EXIT_ERROR')
  assert.equal(res.exitCode, 3)
  assert.equal(res.error.details.exitCode, 3)
  assert.match(res.error.details.stderr, /fatal: exploded/)
})

test('INVALID_OUTPUT carries a stdout excerpt; last line wins over earlier logs', async () => {
  const bad = await rt.invoke('garbage')
  assert.equal(bad.error.code, 'INVALID_OUTPUT')
  assert.match(bad.error.details.stdout, /this is not json/)
  const ok = await rt.invoke('lastline')
  assert.equal(ok.output, 'ok')
  assert.deepEqual(
    ok.logs.map((l) => [l.source, l.message]),
    [
      ['stdout', 'debug 1'],
      ['stdout', 'debug 2'],
    ],
  )
})

test('KILLED when the function dies of a signal the runtime did not send', async () => {
  const res = await rt.invoke('signal')
  assert.equal(res.error.code, 'KILLED')
  assert.equal(res.signal, 'SIGSEGV')
  assert.equal(res.exitCode, null)
})

test('lookup failures: not found, invalid names, no entry, runtime missing, spawn failed', async () => {
  const cases = [
    ['nope', 'FUNCTION_NOT_FOUND'],
    ['empty', 'FUNCTION_NOT_FOUND'],
    ['../etc', 'INVALID_FUNCTION_NAME'],
    ['/etc/passwd', 'INVALID_FUNCTION_NAME'],
    ['a\\b', 'INVALID_FUNCTION_NAME'],
    ['a\0b', 'INVALID_FUNCTION_NAME'],
    ['', 'INVALID_FUNCTION_NAME'],
    ['cobol', 'RUNTIME_NOT_FOUND'],
    ['noexec', 'SPAWN_FAILED'],
  ]
  for (const [name, code] of cases) {
    const res = await rt.invoke(name, null)
    assert.equal(res.error?.code, code, `${JSON.stringify(name)} → ${JSON.stringify(res)}`)
    assert.equal(res.exitCode, null)
  }
  const missing = await rt.invoke('cobol')
  assert.match(missing.error.message, /cobc-not-installed/)
  assert.match(missing.error.message, /Install/)
})

test('TIMEOUT kills the whole process group, grandchild included', async () => {
  const started = Date.now()
  const res = await rt.invoke('hang', null, { timeoutMs: 300 })
  assert.equal(res.error.code, 'TIMEOUT')
  assert.ok(Date.now() - started < 5000)
  assert.equal(res.exitCode, null)
  assert.equal(res.signal, 'SIGTERM')
  const pid = Number(fs.readFileSync(path.join(dir, 'hang.pid'), 'utf8'))
  await waitFor(() => !isAlive(pid), { timeoutMs: 2000 })
})

test('OUTPUT_TOO_LARGE past maxOutputBytes', async () => {
  const small = new FunctionRuntime({ functionsDir: dir, maxOutputBytes: 64 * 1024 })
  const res = await small.invoke('flood')
  await small.close()
  assert.equal(res.error.code, 'OUTPUT_TOO_LARGE')
})

test('AbortSignal: already aborted never spawns; abort mid-run kills and resolves CANCELLED', async () => {
  const pre = await rt.invoke('hang', null, { signal: AbortSignal.abort() })
  assert.equal(pre.error.code, 'CANCELLED')
  assert.equal(pre.exitCode, null)

  const ac = new AbortController()
  let userOnAbort = false
  ac.signal.onabort = () => (userOnAbort = true)
  setTimeout(() => ac.abort(), 300)
  const started = Date.now()
  const res = await rt.invoke('hang', null, { signal: ac.signal })
  assert.equal(res.error.code, 'CANCELLED')
  assert.ok(Date.now() - started < 5000)
  assert.equal(userOnAbort, true, "the user's own onabort still fires")
  const timeout = await rt.invoke('hang', null, { signal: AbortSignal.timeout(200) })
  assert.equal(timeout.error.code, 'CANCELLED')
})

test('onLog receives stderr lines while the function still runs', async () => {
  const seen = []
  const started = Date.now()
  const res = await rt.invoke('slowlog', null, { onLog: (e) => seen.push({ e, at: Date.now() - started }) })
  assert.equal(res.success, true)
  assert.deepEqual(
    seen.map((s) => s.e.message),
    ['first', 'second'],
  )
  assert.ok(seen[0].at < 900, `first line arrived after ${seen[0].at} ms, not live`)
  assert.equal(seen[0].e.source, 'stderr')
  assert.deepEqual(
    res.logs.map((l) => l.message),
    ['first', 'second'],
  )
})

test('a throwing onLog callback does not break the invocation', async () => {
  const res = await rt.invoke('slowlog', null, {
    onLog: () => {
      throw new Error('user bug')
    },
  })
  assert.equal(res.success, true)
})

test('verifyToken is true only while the invocation runs', async () => {
  const tokenFile = path.join(dir, 'token.txt')
  fs.rmSync(tokenFile, { force: true })
  const pending = rt.invoke('token')
  const token = await waitFor(() => fs.existsSync(tokenFile) && fs.readFileSync(tokenFile, 'utf8').trim())
  assert.equal(rt.verifyToken(token), true)
  assert.equal(rt.verifyToken(token.replace(/.$/, (c) => (c === '0' ? '1' : '0'))), false)
  assert.equal(rt.verifyToken(''), false)
  assert.equal(rt.verifyToken(42), false)
  await pending
  assert.equal(rt.verifyToken(token), false)
})

test('tokenTtlMs bounds a token even while its invocation runs', async () => {
  const short = new FunctionRuntime({ functionsDir: dir, tokenTtlMs: 100 })
  const tokenFile = path.join(dir, 'token.txt')
  fs.rmSync(tokenFile, { force: true })
  const pending = short.invoke('token')
  const token = await waitFor(() => fs.existsSync(tokenFile) && fs.readFileSync(tokenFile, 'utf8').trim())
  await sleep(200)
  assert.equal(short.verifyToken(token), false)
  await pending
  await short.close()
})

test('50 MB round trip, and a function that never reads a big stdin', async () => {
  const big = 'x'.repeat(50 * 1024 * 1024)
  const started = Date.now()
  const res = await rt.invoke('echo', big)
  const ms = Date.now() - started
  assert.equal(res.success, true)
  assert.equal(res.output.length, big.length)
  console.log(`# 50 MB round trip: ${ms} ms`)
  const nr = await rt.invoke('noread', { blob: 'y'.repeat(8 * 1024 * 1024) })
  assert.equal(nr.output, 'did not read')
})

// 4 Mi UTF-16 units each: the inputs' buffers are faulted in ahead
// (src/prefault.rs), the results cross as an external string (ASCII) or a copy.
test('inputs and results of millions of characters, ASCII or not, stay whole through garbage collection', async () => {
  const ascii = 'abcd'.repeat(1 << 20)
  const wide = 'ж€😀'.repeat(1 << 20)
  const echo = async (s) => {
    const res = await rt.invoke('bigecho', { s })
    assert.equal(res.success, true, res.error?.message)
    return res.output.s
  }
  const [a, w] = await Promise.all([echo(ascii), echo(wide)])
  v8.setFlagsFromString('--expose-gc')
  const gc = vm.runInNewContext('gc')
  gc()
  const again = await echo(ascii.slice(1))
  gc()
  // Not deepEqual: a failure would print megabytes.
  assert.ok(a === ascii, `ASCII output differs (${a.length} chars)`)
  assert.ok(w === wide, `non-ASCII output differs (${w.length} chars)`)
  assert.ok(again === ascii.slice(1), `second ASCII output differs (${again.length} chars)`)
})

test('100 concurrent invocations, then no zombies', async () => {
  const results = await Promise.all(Array.from({ length: 100 }, (_, i) => rt.invoke('echo', { i })))
  results.forEach((r, i) => assert.deepEqual(r.output, { i }))
  assert.equal(zombieChildren(), 0)
})

test('maxConcurrency queues in FIFO order', async () => {
  const d = functionsDir({
    'one/bootstrap': sh(
      `read line; echo "$line" | python3 -c 'import sys,json; print(json.load(sys.stdin)["input"])' >> "$ALYX_FUNCTION_DIR/../order"; sleep 0.1; echo '{"success":true}'`,
    ),
  })
  const q = new FunctionRuntime({ functionsDir: d, maxConcurrency: 1 })
  await Promise.all([0, 1, 2, 3, 4].map((i) => q.invoke('one', i)))
  await q.close()
  assert.equal(fs.readFileSync(path.join(d, 'order'), 'utf8'), '0\n1\n2\n3\n4\n')
})

test('a function added after construction is found without reload()', async () => {
  const d = functionsDir({})
  const late = new FunctionRuntime({ functionsDir: d })
  writeFiles(d, { 'late/bootstrap': sh(`echo '{"success":true,"output":"late"}'`) })
  assert.equal((await late.invoke('late')).output, 'late')
  await late.close()
})

test('bad argument types are TypeErrors', async () => {
  assert.throws(() => new FunctionRuntime(), TypeError)
  assert.throws(() => new FunctionRuntime({}), TypeError)
  assert.throws(() => new FunctionRuntime({ functionsDir: dir, timeoutMs: -1 }), /timeoutMs/)
  assert.throws(() => new FunctionRuntime({ functionsDir: dir, env: { A: 1 } }), /env\.A/)
  await assert.rejects(rt.invoke(42), TypeError)
  await assert.rejects(rt.invoke('echo', null, { timeoutMs: 'soon' }), TypeError)
  await assert.rejects(rt.invoke('echo', null, { signal: 'nope' }), TypeError)
})

test('close() cancels running invocations; invoke after close rejects', async () => {
  const c = new FunctionRuntime({ functionsDir: dir })
  const running = c.invoke('hang', null, { timeoutMs: 60_000 })
  await sleep(200)
  await c.close()
  const res = await running
  assert.equal(res.error.code, 'CANCELLED')
  const after = c.invoke('echo', 1)
  assert.ok(after instanceof Promise, 'no synchronous throw after close')
  await assert.rejects(after, /closed/)
  await c.close()
})

test("Node's own child_process keeps working alongside (SIGCHLD is not stolen)", async () => {
  const r1 = spawnSync('sh', ['-c', 'exit 4'])
  assert.equal(r1.status, 4)
  const res = await rt.invoke('echo', 'after')
  assert.equal(res.output, 'after')
})
