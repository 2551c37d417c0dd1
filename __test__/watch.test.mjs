// watch(): real files, real edits, generous timing (CONTRACT §8).
import test from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { spawn } from 'node:child_process'
import { FunctionRuntime, functionsDir, root, sh, sleep, waitFor, writeFiles } from './helpers.mjs'

const ok = (word) => sh(`cat >/dev/null; echo '{"success":true,"output":"${word}"}'`)

/** A runtime watching a fresh directory, collecting every event. */
async function watching(files, options = {}) {
  const dir = functionsDir(files)
  const rt = new FunctionRuntime({ functionsDir: dir })
  const events = []
  const watcher = rt.watch((e) => events.push(e), { debounceMs: 100, ...options })
  await sleep(300) // let the OS watches settle
  const of = (type, name) => events.filter((e) => e.type === type && (!name || e.name === name))
  return { dir, rt, events, watcher, of }
}

test('editing a source gives one changed event and new code runs', async () => {
  const w = await watching({ 'fn/bootstrap': ok('old') })
  try {
    assert.equal((await w.rt.invoke('fn')).output, 'old')
    writeFiles(w.dir, { 'fn/bootstrap': ok('new') })
    await waitFor(() => w.of('changed', 'fn').length >= 1)
    await sleep(500)
    assert.equal(w.of('changed', 'fn').length, 1, JSON.stringify(w.events))
    assert.ok(w.of('changed', 'fn')[0].paths.some((p) => p.endsWith('bootstrap')))
    assert.equal((await w.rt.invoke('fn')).output, 'new')
  } finally {
    await w.rt.close()
  }
})

test('twenty quick writes give at most a few events', async () => {
  const w = await watching({ 'fn/bootstrap': ok('0') })
  try {
    for (let i = 0; i < 20; i++) {
      writeFiles(w.dir, { 'fn/bootstrap': ok(String(i)) })
      await sleep(5)
    }
    await waitFor(() => w.of('changed', 'fn').length >= 1)
    await sleep(800)
    assert.ok(w.events.length <= 3, `${w.events.length} events: ${JSON.stringify(w.events)}`)
  } finally {
    await w.rt.close()
  }
})

test('save-by-rename (vim style) is a changed event; temp files are ignored', async () => {
  const w = await watching({ 'fn/main.py': 'print(1)\n' })
  try {
    const f = path.join(w.dir, 'fn', 'main.py')
    fs.writeFileSync(path.join(w.dir, 'fn', '4913'), '')
    fs.rmSync(path.join(w.dir, 'fn', '4913'))
    fs.writeFileSync(path.join(w.dir, 'fn', '.main.py.swp'), 'x')
    fs.renameSync(f, f + '~')
    fs.writeFileSync(f + '.new', 'print(2)\n')
    fs.renameSync(f + '.new', f)
    fs.rmSync(f + '~')
    await waitFor(() => w.of('changed', 'fn').length >= 1)
    await sleep(500)
    assert.equal(w.of('changed', 'fn').length, 1, JSON.stringify(w.events))
    assert.equal(w.of('removed').length, 0)
    assert.equal(w.rt.get('fn').runtime, 'python')
  } finally {
    await w.rt.close()
  }
})

test('new directory → added and in list(); deleted → removed; renamed → removed + added', async () => {
  const w = await watching({ 'keep/bootstrap': ok('k') })
  try {
    writeFiles(w.dir, { 'fresh/bootstrap': ok('f') })
    await waitFor(() => w.of('added', 'fresh').length === 1)
    assert.ok(w.rt.list().some((f) => f.name === 'fresh'))
    fs.renameSync(path.join(w.dir, 'fresh'), path.join(w.dir, 'renamed'))
    await waitFor(() => w.of('removed', 'fresh').length === 1 && w.of('added', 'renamed').length === 1)
    assert.deepEqual(
      w.rt.list().map((f) => f.name),
      ['keep', 'renamed'],
    )
    fs.rmSync(path.join(w.dir, 'renamed'), { recursive: true })
    await waitFor(() => w.of('removed', 'renamed').length === 1)
    assert.deepEqual(
      w.rt.list().map((f) => f.name),
      ['keep'],
    )
    assert.equal(w.of('changed', 'keep').length, 0)
  } finally {
    await w.rt.close()
  }
})

test('invalid manifest → error event and diagnostic; fixed manifest → changed', async () => {
  const w = await watching({ 'fn/bootstrap': ok('x'), 'fn/manifest.yaml': 'name: fn\n' })
  try {
    writeFiles(w.dir, { 'fn/manifest.yaml': 'name: fn\ntimeout: soon\n' })
    await waitFor(() => w.of('error', 'fn').length === 1)
    assert.match(w.of('error', 'fn')[0].message, /timeout: invalid duration "soon"/)
    assert.equal(w.rt.get('fn'), null)
    assert.match(w.rt.diagnostics().find((d) => d.name === 'fn').message, /timeout/)
    writeFiles(w.dir, { 'fn/manifest.yaml': 'name: fn\ntimeout: 5s\n' })
    await waitFor(() => w.of('changed', 'fn').length === 1)
    assert.equal(w.rt.get('fn').timeoutMs, 5000)
    assert.equal(w.rt.diagnostics().length, 0)
  } finally {
    await w.rt.close()
  }
})

test('build step re-runs on edit, reporting success and failure, never triggering itself', async () => {
  const w = await watching({
    'b/manifest.yaml': 'name: b\nruntime: node\nbuild:\n  command: sh\n  args: [build.sh]\n  output: dist/index.js\n',
    'b/build.sh':
      'grep -q FAIL src.txt && { echo "syntax error in src.txt" >&2; exit 1; }; mkdir -p dist; echo "process.stdin.resume();process.stdin.on(\'end\',()=>console.log(JSON.stringify({success:true,output:\'$(cat src.txt)\'})))" > dist/index.js',
    'b/src.txt': 'one',
  })
  try {
    writeFiles(w.dir, { 'b/src.txt': 'two' })
    await waitFor(() => w.of('build', 'b').length === 1, { timeoutMs: 15_000 })
    const built = w.of('build', 'b')[0].build
    assert.equal(built.success, true, JSON.stringify(built))
    assert.equal(typeof built.durationMs, 'number')
    assert.equal((await w.rt.invoke('b')).output, 'two')
    await sleep(600)
    assert.equal(w.of('build', 'b').length, 1, `the build's own output must not trigger another: ${JSON.stringify(w.events)}`)

    writeFiles(w.dir, { 'b/src.txt': 'FAIL' })
    await waitFor(() => w.of('build', 'b').length === 2, { timeoutMs: 15_000 })
    const failed = w.of('build', 'b')[1].build
    assert.equal(failed.success, false)
    assert.match(failed.output, /syntax error in src\.txt/)
  } finally {
    await w.rt.close()
  }
})

test('a throwing callback does not kill the watcher; several watchers; no events after close', async () => {
  const dir = functionsDir({ 'fn/bootstrap': ok('a') })
  const rt = new FunctionRuntime({ functionsDir: dir })
  let calls = 0
  const second = []
  const w1 = rt.watch(() => {
    calls++
    throw new Error('callback bug')
  })
  const w2 = rt.watch((e) => second.push(e))
  await sleep(300)
  writeFiles(dir, { 'fn/bootstrap': ok('b') })
  await waitFor(() => calls >= 1 && second.length >= 1)
  writeFiles(dir, { 'fn/bootstrap': ok('c') })
  await waitFor(() => calls >= 2, { timeoutMs: 5000 })
  await w1.close()
  await w1.close()
  // Counted once close() resolved: an event of the last write may still be
  // on its way to w2 while it closes (a CI run saw one land there).
  await w2.close()
  const seen = second.length
  writeFiles(dir, { 'fn/bootstrap': ok('d') })
  await sleep(600)
  assert.equal(second.length, seen, 'no events after close()')
  await rt.close()
})

test('watching a missing directory fails with a clear error', async () => {
  const rt = new FunctionRuntime({ functionsDir: '/definitely/not/here' })
  assert.throws(() => rt.watch(() => {}), /not a directory/)
  assert.throws(() => rt.watch('nope'), TypeError)
  await rt.close()
})

test('a Node process that watched and closed exits on its own within 5 s', async () => {
  const dir = functionsDir({ 'fn/bootstrap': ok('a') })
  const script = `
    const { FunctionRuntime } = require(${JSON.stringify(root)})
    const rt = new FunctionRuntime({ functionsDir: ${JSON.stringify(dir)} })
    const w = rt.watch(() => {})
    setTimeout(async () => { await w.close(); await rt.close(); console.log('closed') }, 300)
  `
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  child.stdout.on('data', (d) => (out += d))
  const started = Date.now()
  const code = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error('the process did not exit within 5 s of close()'))
    }, 5300)
    child.on('exit', (c) => {
      clearTimeout(timer)
      resolve(c)
    })
  })
  assert.equal(code, 0)
  assert.equal(out.trim(), 'closed')
  assert.ok(Date.now() - started < 5300)
})
