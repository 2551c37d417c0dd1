// The soak's mix of functions: what each one does, how often it runs (weight
// out of 100), how it is invoked and what its result must be. Every function
// appends its own pid, and any grandchild's, to
// `$ALYX_FUNCTION_DIR/../_pids/$ALYX_REQUEST_ID` (`_pids` is skipped by the
// functions-directory scan) so the soak can check via /proc that none survive.

const PIDS = `P="$ALYX_FUNCTION_DIR/../_pids/$ALYX_REQUEST_ID"; echo $$ >> "$P"`
const sh = (body) => ({ text: `#!/bin/sh\n${PIDS}\n${body}\n`, exec: true })
const py = (body) =>
  `import json, os, sys\nwith open(os.path.join(os.environ['ALYX_FUNCTION_DIR'], '..', '_pids', os.environ['ALYX_REQUEST_ID']), 'a') as f:\n    f.write(f'{os.getpid()}\\n')\n${body}\n`
const node = (body) =>
  `const fs = require('fs'), path = require('path')\nfs.appendFileSync(path.join(process.env.ALYX_FUNCTION_DIR, '..', '_pids', process.env.ALYX_REQUEST_ID), process.pid + '\\n')\nlet s = ''\nprocess.stdin.on('data', (d) => (s += d)).on('end', () => { const req = JSON.parse(s); ${body} })\n`

// Short timeouts for the kinds that must time out; a long one for the kinds
// that must end some other way (so a wrong TIMEOUT would show).
const HANG_TIMEOUT_MS = 300
const LONG_TIMEOUT_MS = 20_000

const smallInput = (i) => ({ i, s: `soak-${i}-${'ü'.repeat(i % 7)}` })
const bigInput = (i) => ({ i, blob: 'b'.repeat(1024 * 1024) })

function expectCode(code, extra) {
  return (res, ctx) => {
    if (res.success !== false) return `expected ${code}, got success`
    if (res.error?.code !== code) return `expected ${code}, got ${res.error?.code}: ${res.error?.message}`
    return extra ? extra(res, ctx) : null
  }
}

function expectSuccess(extra) {
  return (res, ctx) => {
    if (res.success !== true) return `expected success, got ${res.error?.code}: ${res.error?.message}`
    if (res.exitCode !== 0) return `expected exitCode 0, got ${res.exitCode}`
    return extra ? extra(res, ctx) : null
  }
}

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b)

// Warm functions (CONTRACT §10): a raw node worker whose behaviour is fixed
// per function; it records its pid under each request id it serves.
const warmWorker = (op) => `const fs = require('fs'), path = require('path'), readline = require('readline')
const OP = ${JSON.stringify(op)}
process.stdout.write('{"alyx":"ready"}\\n')
const record = (rid) => fs.appendFileSync(path.join(process.env.ALYX_FUNCTION_DIR, '..', '_pids', rid), process.pid + '\\n')
const answer = (req, body) => {
  process.stdout.write(JSON.stringify({ request_id: req.request_id, ...body }) + '\\n')
  process.stderr.write(JSON.stringify({ alyx: 'end', request_id: req.request_id }) + '\\n')
}
readline.createInterface({ input: process.stdin }).on('line', (line) => {
  const req = JSON.parse(line)
  record(req.request_id)
  console.error('serving ' + req.request_id)
  if (OP === 'ok') return answer(req, { success: true, output: { echo: req.input } })
  if (OP === 'exit') process.exit(3)
  if (OP === 'kill') process.kill(process.pid, 'SIGKILL')
  if (OP === 'foreign') return answer(req, { success: true, output: 1, request_id: 'not-' + req.request_id })
  // 'hang': never answers
})
`
const warmManifest = (name, warm) => `name: ${name}\nwarm:\n${warm}\n`
const WORKER_POOL = '  min: 2\n  max: 2'
const warmKind = (name, op, weight, expected, check, timeoutMs) => ({
  name,
  weight,
  expected,
  timeoutMs,
  files: { 'index.js': warmWorker(op), 'manifest.yaml': warmManifest(name, WORKER_POOL) },
  input: smallInput,
  check,
})

/** @type {{name: string, weight: number, files: object, input?: Function, timeoutMs?: number, abortAfterMs?: [number, number], expected: string, check: Function}[]} */
export const KINDS = [
  {
    name: 'ok_sh',
    weight: 14,
    expected: 'success',
    files: { bootstrap: sh(`cat >/dev/null; printf '{"success":true,"output":{"rid":"%s"}}\\n' "$ALYX_REQUEST_ID"`) },
    check: expectSuccess((res, ctx) => (res.output?.rid === ctx.requestId ? null : `wrong output ${JSON.stringify(res.output)}`)),
  },
  {
    name: 'ok_py',
    weight: 6,
    expected: 'success',
    files: { 'main.py': py(`req = json.load(sys.stdin)\nprint(json.dumps({"success": True, "output": {"echo": req["input"]}}))`) },
    input: smallInput,
    check: expectSuccess((res, ctx) => (same(res.output?.echo, ctx.input) ? null : `echo mismatch ${JSON.stringify(res.output)}`)),
  },
  {
    name: 'ok_node',
    weight: 5,
    expected: 'success',
    files: { 'index.js': node(`process.stdout.write(JSON.stringify({ success: true, output: { echo: req.input } }))`) },
    input: smallInput,
    check: expectSuccess((res, ctx) => (same(res.output?.echo, ctx.input) ? null : `echo mismatch ${JSON.stringify(res.output)}`)),
  },
  {
    name: 'exit_code',
    weight: 6,
    expected: 'EXIT_ERROR',
    files: { bootstrap: sh(`cat >/dev/null; echo "soak: exploding" >&2; exit 3`) },
    check: expectCode('EXIT_ERROR', (res) =>
      res.exitCode === 3 && /exploding/.test(res.error.details?.stderr ?? '') ? null : `exitCode ${res.exitCode}, details ${JSON.stringify(res.error.details)}`,
    ),
  },
  {
    name: 'typed_error',
    weight: 4,
    expected: 'SOAK_VALIDATION',
    files: { bootstrap: sh(`cat >/dev/null; echo '{"success":false,"error":{"code":"SOAK_VALIDATION","message":"bad input"}}'; exit 1`) },
    check: expectCode('SOAK_VALIDATION', (res) => (res.exitCode === 1 ? null : `exitCode ${res.exitCode}`)),
  },
  {
    name: 'throw_node',
    weight: 3,
    expected: 'EXIT_ERROR',
    files: { 'index.js': node(`throw new Error('soak boom')`) },
    check: expectCode('EXIT_ERROR', (res) => (res.exitCode === 1 ? null : `exitCode ${res.exitCode}`)),
  },
  {
    name: 'raise_py',
    weight: 3,
    expected: 'EXIT_ERROR',
    files: { 'main.py': py(`sys.stdin.read()\nraise RuntimeError("soak boom")`) },
    check: expectCode('EXIT_ERROR', (res) =>
      res.exitCode === 1 && /soak boom/.test(res.error.message) ? null : `exitCode ${res.exitCode}, ${res.error.message}`,
    ),
  },
  {
    name: 'segv',
    weight: 5,
    expected: 'KILLED',
    files: { bootstrap: sh(`ulimit -c 0; kill -SEGV $$`) },
    check: expectCode('KILLED', (res) => (res.signal === 'SIGSEGV' && res.exitCode === null ? null : `signal ${res.signal}, exitCode ${res.exitCode}`)),
  },
  {
    name: 'sigkill_self',
    weight: 2,
    expected: 'KILLED',
    files: { bootstrap: sh(`kill -KILL $$`) },
    check: expectCode('KILLED', (res) => (res.signal === 'SIGKILL' ? null : `signal ${res.signal}`)),
  },
  {
    name: 'abort_py',
    weight: 2,
    expected: 'KILLED',
    files: { 'main.py': py(`import resource\nresource.setrlimit(resource.RLIMIT_CORE, (0, 0))\nos.abort()`) },
    check: expectCode('KILLED', (res) => (res.signal === 'SIGABRT' ? null : `signal ${res.signal}`)),
  },
  {
    name: 'hang',
    weight: 6,
    expected: 'TIMEOUT',
    timeoutMs: HANG_TIMEOUT_MS,
    files: { bootstrap: sh(`sleep 300`) },
    check: expectCode('TIMEOUT', (res) => (res.signal === 'SIGTERM' ? null : `signal ${res.signal}`)),
  },
  {
    name: 'hang_ignore_term',
    weight: 2,
    expected: 'TIMEOUT',
    timeoutMs: 500,
    // Ignores SIGTERM (and so does its child, which inherits the ignore): the
    // runtime must escalate to SIGKILL after killGraceMs. It records its pid
    // only once the trap is set, so a recorded pid means SIGKILL was needed.
    files: { bootstrap: { text: `#!/bin/sh\ntrap '' TERM\n${PIDS}\nsleep 300\n`, exec: true } },
    check: expectCode('TIMEOUT', (res, ctx) =>
      ctx.pids().length === 0 || res.signal === 'SIGKILL' ? null : `signal ${res.signal} though SIGTERM was ignored`,
    ),
  },
  {
    name: 'garbage',
    weight: 6,
    expected: 'INVALID_OUTPUT',
    files: { bootstrap: sh(`cat >/dev/null; echo "this is not json"; echo '{"success":'`) },
    check: expectCode('INVALID_OUTPUT', (res) => (/not json/.test(res.error.details?.stdout ?? '') ? null : `details ${JSON.stringify(res.error.details)}`)),
  },
  {
    name: 'silent',
    weight: 2,
    expected: 'INVALID_OUTPUT',
    files: { bootstrap: sh(`cat >/dev/null; exit 0`) },
    check: expectCode('INVALID_OUTPUT'),
  },
  {
    name: 'flood_stdout',
    weight: 5,
    expected: 'OUTPUT_TOO_LARGE',
    files: { bootstrap: sh(`exec yes 0123456789abcdef0123456789abcdef`) },
    check: expectCode('OUTPUT_TOO_LARGE'),
  },
  {
    name: 'flood_stderr',
    weight: 4,
    expected: 'success',
    // ~1.5 MB of stderr: over the 1 MiB retention cap, so the oldest lines
    // are dropped and a marker says so; the invocation still succeeds.
    files: {
      bootstrap: sh(
        `cat >/dev/null; yes "stderr flood 0123456789012345678901234567890123456789012345678901234567890123456789012345678" | head -n 15000 >&2; echo '{"success":true,"output":"flooded"}'`,
      ),
    },
    check: expectSuccess((res) => {
      const first = res.logs[0]
      if (first?.level !== 'warn' || !/dropped/.test(first.message)) return `no dropped marker: ${JSON.stringify(first)}`
      const bytes = res.logs.reduce((n, l) => n + l.message.length + 1, 0)
      if (bytes > 1024 * 1024 + 4096) return `retained ${bytes} bytes of stderr`
      return res.output === 'flooded' ? null : `output ${JSON.stringify(res.output)}`
    }),
  },
  {
    name: 'grandchild_hang',
    weight: 5,
    expected: 'TIMEOUT',
    timeoutMs: HANG_TIMEOUT_MS,
    files: { bootstrap: sh(`sleep 300 & echo $! >> "$P"; sleep 300`) },
    check: expectCode('TIMEOUT'),
  },
  {
    name: 'grandchild_exit',
    weight: 6,
    expected: 'success',
    timeoutMs: LONG_TIMEOUT_MS,
    // The grandchild keeps stdout and stderr open after the function exits:
    // the invocation must not wait for it, and it must die with the group.
    files: { bootstrap: sh(`cat >/dev/null; sleep 300 & echo $! >> "$P"; echo '{"success":true,"output":"left a grandchild"}'`) },
    check: expectSuccess((res) => {
      const ran = res.durationMs - res.queuedMs
      return ran < 5000 ? null : `ran ${ran} ms: waited on the grandchild's pipe`
    }),
  },
  {
    name: 'grandchild_detached',
    weight: 2,
    expected: 'success',
    timeoutMs: LONG_TIMEOUT_MS,
    files: { bootstrap: sh(`cat >/dev/null; sleep 300 </dev/null >/dev/null 2>&1 & echo $! >> "$P"; echo '{"success":true,"output":"detached"}'`) },
    check: expectSuccess(),
  },
  {
    name: 'noread',
    weight: 5,
    expected: 'success',
    timeoutMs: LONG_TIMEOUT_MS,
    input: bigInput,
    files: { bootstrap: sh(`echo '{"success":true,"output":"did not read"}'`) },
    check: expectSuccess((res) => (res.output === 'did not read' ? null : `output ${JSON.stringify(res.output)}`)),
  },
  {
    name: 'leader_escape',
    weight: 2,
    expected: 'TIMEOUT',
    // Long enough for python (behind a pyenv shim) to have escaped.
    timeoutMs: 2500,
    // Ignores SIGTERM and moves itself out of its process group into the
    // host's: only signalling the leader by pid ends it (CONTRACT §14).
    files: {
      'main.py': py(
        `import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\nos.setpgid(0, os.getpgid(os.getppid()))\nsys.stdin.read()\ntime.sleep(300)`,
      ),
    },
    check: expectCode('TIMEOUT', (res) => {
      const ran = res.durationMs - res.queuedMs
      return ran < 2500 + 200 + 1000 + 1000 ? null : `ran ${ran} ms`
    }),
  },
  {
    name: 'log_flood',
    weight: 3,
    expected: 'success',
    timeoutMs: LONG_TIMEOUT_MS,
    onLog: true,
    // 50,000 stdout lines before the response and 14,000 stderr lines
    // streamed to onLog: over the one 1 MiB cap together.
    files: {
      bootstrap: sh(
        `cat >/dev/null; yes out | head -n 50000; yes "err 0123456789012345678901234567890123456789012345678901234567" | head -n 14000 >&2; echo '{"success":true,"output":"flooded","logs":["from the response"]}'`,
      ),
    },
    check: expectSuccess((res, ctx) => {
      const markers = res.logs.filter((l) => l.message.startsWith('[alyx]')).length
      if (markers !== 1) return `${markers} markers`
      const bytes = res.logs.reduce((n, l) => n + l.message.length + 1, 0)
      if (bytes > 1024 * 1024 + 4096) return `retained ${bytes} bytes of logs`
      if (ctx.onLogCalls() !== 14_000) return `onLog called ${ctx.onLogCalls()} times before resolve`
      return null
    }),
  },
  {
    name: 'limited',
    weight: 6,
    expected: 'success',
    timeoutMs: LONG_TIMEOUT_MS,
    // Manifest concurrency 1 under the soak's maxConcurrency: the mix that
    // deadlocked when a global slot was taken before the function's.
    files: {
      bootstrap: sh(`cat >/dev/null; sleep 0.02; echo '{"success":true,"output":"limited"}'`),
      'manifest.yaml': 'name: limited\nconcurrency: 1\n',
    },
    check: expectSuccess(),
  },
  warmKind('warm_ok', 'ok', 6, 'success', (res, ctx) => {
    if (res.success !== true) return `expected success, got ${res.error?.code}: ${res.error?.message}`
    if (res.exitCode !== null) return `a warm worker's call has exitCode null, got ${res.exitCode}`
    if (!same(res.output?.echo, ctx.input)) return `echo mismatch ${JSON.stringify(res.output)}`
    const mine = res.logs.filter((l) => l.message.startsWith('serving '))
    return mine.length === 1 && mine[0].message === `serving ${ctx.requestId}` ? null : `logs of another call: ${JSON.stringify(mine)}`
  }),
  warmKind(
    'warm_exit',
    'exit',
    2,
    'EXIT_ERROR',
    expectCode('EXIT_ERROR', (res) => (res.exitCode === 3 ? null : `exitCode ${res.exitCode}`)),
  ),
  warmKind(
    'warm_kill',
    'kill',
    1,
    'KILLED',
    expectCode('KILLED', (res) => (res.signal === 'SIGKILL' ? null : `signal ${res.signal}`)),
  ),
  warmKind('warm_hang', 'hang', 2, 'TIMEOUT', expectCode('TIMEOUT'), HANG_TIMEOUT_MS),
  warmKind('warm_foreign', 'foreign', 1, 'INVALID_OUTPUT', expectCode('INVALID_OUTPUT')),
  {
    name: 'warm_standby',
    weight: 3,
    expected: 'success',
    files: {
      // A plain one-shot function; its pid is recorded once it has the request.
      'index.js': `const fs = require('fs'), path = require('path')\nlet s = ''\nprocess.stdin.on('data', (d) => (s += d)).on('end', () => { const req = JSON.parse(s); fs.appendFileSync(path.join(process.env.ALYX_FUNCTION_DIR, '..', '_pids', req.request_id), process.pid + '\\n'); console.log(JSON.stringify({ success: true, output: { echo: req.input, standby: process.env.ALYX_STANDBY ?? null } })) })\n`,
      'manifest.yaml': warmManifest('warm_standby', '  mode: standby\n  min: 2\n  max: 2'),
    },
    input: smallInput,
    check: expectSuccess((res, ctx) => (same(res.output?.echo, ctx.input) ? null : `echo mismatch ${JSON.stringify(res.output)}`)),
  },
  {
    name: 'aborted',
    weight: 7,
    expected: 'CANCELLED',
    timeoutMs: LONG_TIMEOUT_MS,
    abortAfterMs: [10, 200],
    files: { bootstrap: sh(`sleep 300 & echo $! >> "$P"; sleep 300`) },
    check: expectCode('CANCELLED'),
  },
]

export const HANG_TIMEOUT = HANG_TIMEOUT_MS
