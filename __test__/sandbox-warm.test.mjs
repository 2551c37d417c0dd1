// Warm processes run sandboxed the same way (CONTRACT §10, §11): a worker
// and a standby process of a sandboxed function start inside its policy,
// through the same spawner (vfork, no fork), each with a private temp dir
// of its own that is gone once the process is. A standby process serves one
// call, so its temp dir is the call's; a worker's TMPDIR is a `call`
// directory inside its own, made for each call and removed before the call
// resolves (CONTRACT §11: one per call; the worker's Landlock rule holds the
// outer directory, which stays and is emptied).
// Linux with Landlock ABI ≥ 6 only; under CI=true its absence is a failure.
import test from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { spawnSync } from 'node:child_process'
import { FunctionRuntime, isAlive, needs, root, writeFiles, needsSandbox } from './helpers.mjs'

const required = needsSandbox

const outer = fs.mkdtempSync(path.join(os.tmpdir(), 'alyx-sandbox-warm-'))
const outside = path.join(outer, 'outside')
// The host's TMPDIR, where private temp dirs are made: only ours in it.
const temps = path.join(outer, 'tmp')
fs.mkdirSync(outside)
fs.mkdirSync(temps)
process.env.TMPDIR = temps
test.after(() => fs.rmSync(outer, { recursive: true, force: true }))
const leftovers = () => fs.readdirSync(temps).filter((n) => n.startsWith('alyx-call-'))

// What a process may do, seen from inside; the same probes for both modes.
const probes = `
const fs = require('node:fs')
const path = require('node:path')
const attempt = (f) => { try { f(); return 'ok' } catch (e) { return e.code } }
function observe() {
  const tmp = process.env.TMPDIR
  return {
    pid: process.pid,
    tmpdir: tmp,
    leftFromBefore: fs.readdirSync(tmp),
    tmpMode: fs.statSync(tmp).mode & 0o777,
    tmpWrite: attempt(() => fs.writeFileSync(path.join(tmp, 'f' + Date.now()), 'x')),
    outside: attempt(() => fs.writeFileSync(path.join(process.env.OUTSIDE, 'w' + process.pid), 'x')),
    own: attempt(() => fs.writeFileSync(path.join(__dirname, 'own'), 'x')),
    kill: attempt(() => process.kill(Number(process.env.HOST_PID), 0)),
    nnp: fs.readFileSync('/proc/self/status', 'utf8').match(/NoNewPrivs:\\s*(\\d)/)[1],
    mode: process.env.ALYX_WORKER ? 'worker' : process.env.ALYX_STANDBY ? 'standby' : 'one-shot',
  }
}`
const worker = `${probes}
const readline = require('node:readline')
process.stdout.write('{"alyx":"ready"}\\n')
readline.createInterface({ input: process.stdin }).on('line', (line) => {
  const req = JSON.parse(line)
  process.stdout.write(JSON.stringify({ success: true, output: observe(), request_id: req.request_id }) + '\\n')
  process.stderr.write(JSON.stringify({ alyx: 'end', request_id: req.request_id }) + '\\n')
})`
const oneShot = `${probes}
let s = ''
process.stdin.on('data', (d) => (s += d)).on('end', () => console.log(JSON.stringify({ success: true, output: observe() })))`

// Apart, so that each test sees only its own warm processes' temp dirs
// (a runtime starts every warm function's `min` in the background).
const workers = path.join(outer, 'workers')
const standbys = path.join(outer, 'standbys')
writeFiles(workers, {
  'wk/index.js': worker,
  'wk/manifest.yaml': 'name: wk\nwarm: { min: 1, max: 1 }\nsandbox: true\n',
  'wkfree/index.js': worker,
  'wkfree/manifest.yaml': 'name: wkfree\nwarm: { min: 1, max: 1 }\n',
})
writeFiles(standbys, {
  'sb/index.js': oneShot,
  'sb/manifest.yaml': 'name: sb\nwarm: { mode: standby, min: 1, max: 1 }\nsandbox: true\n',
})

const runtime = (dir) => new FunctionRuntime({ functionsDir: dir, env: { HOST_PID: String(process.pid), OUTSIDE: outside } })

async function call(rt, name) {
  const res = await rt.invoke(name)
  assert.equal(res.success, true, JSON.stringify(res))
  return res.output
}

function assertConfined(out, mode) {
  assert.equal(out.mode, mode, JSON.stringify(out))
  assert.equal(out.outside, 'EACCES', 'a write outside its allowed paths is refused')
  assert.equal(out.own, 'EACCES', 'its own directory is read-only')
  assert.equal(out.tmpWrite, 'ok', 'its private temp dir is writable')
  assert.equal(out.kill, 'EPERM', 'it cannot signal the host')
  assert.equal(out.nnp, '1')
  assert.equal(out.tmpMode, 0o700, 'its temp dir is its owner’s only')
  const own = mode === 'worker' ? path.dirname(out.tmpdir) : out.tmpdir
  if (mode === 'worker') assert.equal(path.basename(out.tmpdir), 'call', 'a worker’s TMPDIR is its call dir')
  assert.equal(path.dirname(own), temps)
  assert.match(path.basename(own), /^alyx-call-/)
}

test('a sandboxed warm worker is confined; each call gets a temp dir, removed before it resolves; all gone after close()', required(), async () => {
  const rt = runtime(workers)
  let first
  try {
    await rt.warmup('wk')
    first = await call(rt, 'wk')
    const second = await call(rt, 'wk')
    assertConfined(first, 'worker')
    assertConfined(second, 'worker')
    assert.equal(second.pid, first.pid, 'one worker served both calls')
    assert.equal(second.tmpdir, first.tmpdir, 'the same path each call (runtimes cache it), a new directory')
    assert.deepEqual(second.leftFromBefore, [], 'the second call finds nothing of the first (CONTRACT §11: one per call)')
    assert.equal(fs.existsSync(first.tmpdir), false, 'the call’s temp dir is removed before invoke resolved')
    assert.deepEqual(fs.readdirSync(path.dirname(first.tmpdir)), [], 'nothing else is left in the worker’s own')
    assert.equal(fs.existsSync(path.join(outside, `w${first.pid}`)), false, 'nothing was written outside')
    // The same worker unsandboxed can do all of it: the sandbox stopped it.
    const free = await call(rt, 'wkfree')
    assert.equal(free.kill, 'ok')
    assert.equal(free.outside, 'ok')
    assert.equal(free.nnp, '0')
  } finally {
    await rt.close()
  }
  assert.equal(isAlive(first.pid), false, 'the worker is gone after close()')
  assert.equal(fs.existsSync(path.dirname(first.tmpdir)), false, 'its temp dir is gone after close()')
  assert.deepEqual(leftovers(), [])
})

test('a sandboxed standby process is confined and its temp dir is per call, gone when the call resolves', required(), async () => {
  const rt = runtime(standbys)
  try {
    await rt.warmup('sb')
    const a = await call(rt, 'sb')
    assert.equal(fs.existsSync(a.tmpdir), false, 'removed before invoke resolved')
    await rt.warmup('sb')
    const b = await call(rt, 'sb')
    assertConfined(a, 'standby')
    assertConfined(b, 'standby')
    assert.notEqual(b.pid, a.pid, 'a fresh process per call')
    assert.notEqual(b.tmpdir, a.tmpdir, 'a fresh temp dir per call')
    assert.equal(fs.existsSync(b.tmpdir), false)
    for (const { pid } of [a, b]) assert.equal(fs.existsSync(path.join(outside, `w${pid}`)), false)
    await rt.warmup('sb')
    // The next standby process's, and at most one made ahead for the spawn
    // after it (SECURITY.md "The built-in sandbox").
    const left = leftovers().length
    assert.ok(left >= 1 && left <= 2, `only the next standby process’s temp dir, and one made ahead: ${leftovers()}`)
  } finally {
    await rt.close()
  }
  assert.deepEqual(leftovers(), [], 'the unused standby process’s temp dir is gone after close()')
})

test('sandboxed warm processes are started on the vfork path (strace)', { ...needs('strace'), ...required() }, () => {
  const script = `
    const { FunctionRuntime } = require(${JSON.stringify(root)})
    const env = { HOST_PID: '1', OUTSIDE: ${JSON.stringify(outside)} }
    const w = new FunctionRuntime({ functionsDir: ${JSON.stringify(workers)}, env })
    const s = new FunctionRuntime({ functionsDir: ${JSON.stringify(standbys)}, env })
    Promise.all([w.warmup('wk'), s.warmup('sb')])
      .then(() => Promise.all([w.invoke('wk'), s.invoke('sb')]))
      .then((rs) => { if (!rs.every((r) => r.success && r.output.nnp === '1')) process.exit(3); return Promise.all([w.close(), s.close()]) })`
  const r = spawnSync('strace', ['-f', '-e', 'trace=clone,clone3,fork,vfork', process.execPath, '-e', script], { encoding: 'utf8' })
  assert.equal(r.status, 0, r.stderr.slice(-2000))
  const calls = r.stderr.split('\n').filter((l) => /\b(clone3?|v?fork)\(/.test(l))
  assert.ok(calls.filter((l) => l.includes('CLONE_VFORK')).length >= 2, 'no vfork-style spawn of the warm processes')
  const copies = calls.filter((l) => /\bfork\(/.test(l) || (/clone3?\(/.test(l) && !l.includes('CLONE_VM') && !l.includes('resumed')))
  assert.deepEqual(copies, [], 'a spawn copied the host (fork)')
})

// Python's tempfile caches the temp dir's path at first use: the call dir
// keeps one path, so every call of a worker finds its own, fresh one there.
test('a sandboxed Python SDK worker uses tempfile in call after call, each time in a fresh call dir', { ...needs('python3'), ...required() }, async () => {
  const dir = path.join(outer, 'pyworkers')
  writeFiles(dir, {
    'py/main.py': `import os, sys, tempfile
sys.path.insert(0, ${JSON.stringify(path.join(root, 'sdk', 'python'))})
import alyx

def main(input, ctx):
    before = os.listdir(tempfile.gettempdir())
    with tempfile.NamedTemporaryFile(delete=False) as f:
        f.write(b"x")
    return {"tmpdir": tempfile.gettempdir(), "file": f.name, "before": before, "pid": os.getpid()}

alyx.handler(main)
`,
    'py/manifest.yaml': 'name: py\nwarm: { min: 1, max: 1 }\nsandbox: true\n',
  })
  const rt = runtime(dir)
  try {
    await rt.warmup('py')
    const outs = []
    for (let i = 0; i < 3; i++) {
      const out = await call(rt, 'py')
      assert.equal(path.basename(out.tmpdir), 'call', JSON.stringify(out))
      assert.equal(path.dirname(out.file), out.tmpdir)
      assert.deepEqual(out.before, [], 'nothing of an earlier call')
      assert.equal(fs.existsSync(out.file), false, 'removed with the call dir before invoke resolved')
      outs.push(out)
    }
    assert.equal(new Set(outs.map((o) => o.pid)).size, 1, 'one worker served every call')
  } finally {
    await rt.close()
  }
})
