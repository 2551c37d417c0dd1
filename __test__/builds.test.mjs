// Builds (CONTRACT §6, issue 12 fault 8): one build per function at a time,
// bounded by build.timeout, outliving an impatient caller; a caller waiting
// on a build ends at its own deadline or abort; close() kills builds;
// build(name?) and `alyx-runtime build` build ahead; cacheDir for Go.
import test from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { execFileSync } from 'node:child_process'
import { FunctionRuntime, functionsDir, isAlive, needs, root, waitFor } from './helpers.mjs'

const echo = `let s='';process.stdin.on('data',(d)=>(s+=d)).on('end',()=>console.log(JSON.stringify({success:true,output:'built'})))`

/** A node function whose build step takes `seconds`, logging each run. */
function slowBuild(seconds, extra = '') {
  return {
    'fn/src.js': echo,
    'fn/manifest.yaml': `name: fn
runtime: node
build:
  command: sh
  args: ["-c", "echo $$ > ../build.pid; echo run >> ../builds.log; sleep ${seconds}; cp src.js out.js"]
  output: out.js
${extra}`,
  }
}

const runs = (dir) => fs.readFileSync(path.join(dir, 'builds.log'), 'utf8').trim().split('\n').length

test('an abort while waiting on a build resolves CANCELLED at once; the build goes on and is shared', needs('node'), async () => {
  const dir = functionsDir(slowBuild(2))
  const rt = new FunctionRuntime({ functionsDir: dir })
  try {
    const ac = new AbortController()
    const first = rt.invoke('fn', null, { signal: ac.signal })
    const second = rt.invoke('fn', null, { timeoutMs: 20_000 })
    await waitFor(() => fs.existsSync(path.join(dir, 'build.pid')))
    const started = Date.now()
    ac.abort()
    const res = await first
    assert.equal(res.error.code, 'CANCELLED')
    assert.ok(Date.now() - started < 700, `abort took ${Date.now() - started} ms`)
    const ok = await second
    assert.equal(ok.output, 'built', JSON.stringify(ok.error))
    assert.ok(ok.queuedMs >= 1000, `queuedMs ${ok.queuedMs} includes the build wait`)
    assert.equal(runs(dir), 1, 'one build for both calls')
  } finally {
    await rt.close()
  }
})

test('a call waiting on a build ends at its own deadline (TIMEOUT naming the build); the build outlives it', needs('node'), async () => {
  const dir = functionsDir(slowBuild(2.5))
  const rt = new FunctionRuntime({ functionsDir: dir })
  try {
    const started = Date.now()
    const res = await rt.invoke('fn', null, { timeoutMs: 800 })
    const took = Date.now() - started
    assert.equal(res.error.code, 'TIMEOUT')
    assert.match(res.error.message, /build/)
    assert.ok(took < 1800, `took ${took} ms with an 800 ms timeout`)
    await waitFor(() => fs.existsSync(path.join(dir, 'fn/out.js')), { timeoutMs: 10_000 })
    assert.equal((await rt.invoke('fn')).output, 'built')
    assert.equal(runs(dir), 1)
  } finally {
    await rt.close()
  }
})

test('close() kills a running build and the calls waiting on it resolve CANCELLED', needs('node'), async () => {
  const dir = functionsDir(slowBuild(30))
  const rt = new FunctionRuntime({ functionsDir: dir, killGraceMs: 200 })
  const pending = rt.invoke('fn', null, { timeoutMs: 60_000 })
  await waitFor(() => fs.existsSync(path.join(dir, 'build.pid')))
  const pid = Number(fs.readFileSync(path.join(dir, 'build.pid'), 'utf8'))
  const started = Date.now()
  await rt.close()
  const res = await pending
  assert.ok(Date.now() - started < 2000, `close took ${Date.now() - started} ms`)
  assert.equal(res.error.code, 'CANCELLED')
  assert.equal(isAlive(pid), false, 'the build survived close()')
})

test('build.timeout bounds a build: BUILD_FAILED saying it timed out', needs('node'), async () => {
  const dir = functionsDir(slowBuild(30, '  timeout: 500ms\n'))
  const rt = new FunctionRuntime({ functionsDir: dir, killGraceMs: 100 })
  try {
    const started = Date.now()
    const res = await rt.invoke('fn', null, { timeoutMs: 20_000 })
    assert.equal(res.error.code, 'BUILD_FAILED')
    assert.match(res.error.details.output, /timed out/)
    assert.ok(Date.now() - started < 3000)
  } finally {
    await rt.close()
  }
})

test('build(name?) builds ahead; a second build() has nothing to do; the CLI builds too', needs('node'), async () => {
  const dir = functionsDir({ ...slowBuild(0), 'plain/index.js': echo })
  const rt = new FunctionRuntime({ functionsDir: dir })
  try {
    const [one] = await rt.build('fn')
    assert.deepEqual({ name: one.name, built: one.built, success: one.success }, { name: 'fn', built: true, success: true })
    assert.equal(fs.existsSync(path.join(dir, 'fn/out.js')), true)
    const all = await rt.build()
    assert.deepEqual(
      all.map((r) => [r.name, r.built]),
      [['fn', false]],
    )
    await assert.rejects(rt.build('nope'), /nope/)
  } finally {
    await rt.close()
  }
  fs.rmSync(path.join(dir, 'fn/out.js'))
  const out = execFileSync(process.execPath, [path.join(root, 'bin/alyx-runtime.js'), 'build', '--dir', dir, '--json'], { encoding: 'utf8' })
  const reports = JSON.parse(out)
  assert.deepEqual(
    reports.map((r) => [r.name, r.built, r.success]),
    [['fn', true, true]],
  )
})

test('cacheDir: a Go binary is written there, never into the function directory', needs('go'), async () => {
  const dir = functionsDir({
    'gofn/main.go': `package main
import ("fmt"; "io"; "os")
func main() { io.ReadAll(os.Stdin); fmt.Println(\`{"success":true,"output":"go"}\`) }
`,
  })
  const cacheDir = fs.mkdtempSync(path.join(path.dirname(dir), 'alyx-cache-'))
  fs.chmodSync(path.join(dir, 'gofn'), 0o555) // a read-only function directory
  const rt = new FunctionRuntime({ functionsDir: dir, cacheDir })
  try {
    const res = await rt.invoke('gofn', null, { timeoutMs: 120_000 })
    assert.equal(res.output, 'go', JSON.stringify(res.error))
    assert.equal(fs.existsSync(path.join(dir, 'gofn/.alyx')), false)
    assert.equal(fs.readdirSync(path.join(cacheDir, 'go', 'gofn')).length, 1)
  } finally {
    fs.chmodSync(path.join(dir, 'gofn'), 0o755)
    await rt.close()
  }
})
