// The functions directory: manifests, discovery, list/get/diagnostics/reload,
// runtimes(), build steps and the Go build cache (CONTRACT §2, §5).
import test from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { FunctionRuntime, alyx, functionsDir, needs, sh, sleep, writeFiles } from './helpers.mjs'

const { parseManifest, loadManifest } = alyx
const echoEnv = sh(`cat > /dev/null; printf '{"success":true,"output":{"greeting":"%s","ctx":"%s"}}' "$GREETING" "$ALYX_FUNCTION_NAME"`)

test('list, get, diagnostics and reload follow the directory', async () => {
  process.env.ALYX_FD_TEST_NAME = 'from-host'
  const dir = functionsDir({
    'ts-wins/index.ts': 'console.log("ts")',
    'ts-wins/index.js': 'console.log("js")',
    'py/main.py': '',
    'rb/main.rb': '',
    'withman/bootstrap': echoEnv,
    'withman/manifest.yaml':
      'name: withman\ndescription: greets\ntimeout: 2s\nmemory: 64MB\nconcurrency: 3\nenv:\n  GREETING: hi ${ALYX_FD_TEST_NAME}\nroutes:\n  - path: /greet\n    methods: [get, POST]\n',
    'built/manifest.yaml': 'name: built\nruntime: node\nbuild:\n  command: sh\n  args: [build.sh]\n  output: dist/index.js\n',
    'built/build.sh': 'mkdir -p dist && cp src.js dist/index.js',
    'built/src.js': '',
    'broken/index.js': '',
    'broken/manifest.yaml': 'name: broken\nroutes:\n  - path: /x\n    methods: [FETCH]\n',
    'alien/index.js': '',
    'alien/manifest.yaml': 'name: alien\nruntime: cobol\n',
    'noentry/README.md': '',
    '.hidden/index.js': '',
    '_private/index.js': '',
    'node_modules/index.js': '',
  })
  const rt = new FunctionRuntime({ functionsDir: dir })
  try {
    assert.deepEqual(
      rt.list().map((f) => f.name),
      ['built', 'py', 'rb', 'ts-wins', 'withman'],
    )
    const ts = rt.get('ts-wins')
    assert.equal(ts.runtime, 'deno')
    assert.equal(ts.entry, path.join(dir, 'ts-wins', 'index.ts'))
    assert.equal(ts.dir, path.join(dir, 'ts-wins'))
    assert.equal(ts.hasManifest, false)
    assert.equal(ts.timeoutMs, 30000)
    assert.equal(ts.memoryMb, null)
    assert.equal(ts.description, null)
    assert.equal(ts.build, null)
    assert.equal(ts.concurrency, null)
    assert.equal(rt.get('py').runtime, 'python')
    assert.equal(rt.get('rb').runtime, 'ruby')
    const w = rt.get('withman')
    assert.equal(w.runtime, 'binary')
    assert.equal(w.timeoutMs, 2000)
    assert.equal(w.memoryMb, 64)
    assert.equal(w.concurrency, 3)
    assert.equal(w.description, 'greets')
    assert.deepEqual(w.env, { GREETING: 'hi ${ALYX_FD_TEST_NAME}' }, 'as written: list() never reveals host values (CONTRACT §9)')
    assert.deepEqual(w.routes, [{ path: '/greet', methods: ['GET', 'POST'] }])
    assert.equal(rt.get('built').entry, path.join(dir, 'built', 'dist', 'index.js'), 'listed with its output before any build')
    assert.equal(rt.get('nope'), null)

    const diags = Object.fromEntries(rt.diagnostics().map((d) => [d.name, d]))
    assert.deepEqual(Object.keys(diags).sort(), ['alien', 'broken', 'noentry'])
    assert.match(diags.broken.message, /manifest\.yaml: routes\[0\]\.methods: invalid method "FETCH"/)
    assert.equal(diags.broken.path, path.join(dir, 'broken'))
    assert.match(diags.alien.message, /unknown runtime "cobol"/)
    assert.match(diags.noentry.message, /no entry file/)

    const bad = await rt.invoke('broken')
    assert.equal(bad.error.code, 'INVALID_MANIFEST')
    assert.match(bad.error.message, /broken\/manifest\.yaml: routes\[0\]\.methods/)
    const alien = await rt.invoke('alien')
    assert.ok(['INVALID_MANIFEST', 'RUNTIME_NOT_FOUND'].includes(alien.error.code))

    writeFiles(dir, { 'fresh/main.py': '' })
    assert.equal(rt.get('fresh'), null, 'list() is the last scan')
    assert.ok(rt.reload().some((f) => f.name === 'fresh'))
    assert.equal(rt.get('fresh').runtime, 'python')
  } finally {
    await rt.close()
  }
})

test('manifest timeout, env and concurrency apply to invoke; per-call options win', async () => {
  const dir = functionsDir({
    'greet/bootstrap': echoEnv,
    'greet/manifest.yaml': 'name: greet\nenv:\n  GREETING: manifest\n',
    'slow/bootstrap': sh('sleep 5'),
    'slow/manifest.yaml': 'name: slow\ntimeout: 300ms\n',
    'solo/bootstrap': sh(
      `cat >/dev/null; echo start >> "$ALYX_FUNCTION_DIR/../log"; sleep 0.2; echo end >> "$ALYX_FUNCTION_DIR/../log"; echo '{"success":true}'`,
    ),
    'solo/manifest.yaml': 'name: solo\nconcurrency: 1\n',
  })
  const rt = new FunctionRuntime({ functionsDir: dir })
  try {
    assert.deepEqual((await rt.invoke('greet')).output, { greeting: 'manifest', ctx: 'greet' })
    assert.equal((await rt.invoke('greet', null, { env: { GREETING: 'call' } })).output.greeting, 'call')
    const started = Date.now()
    assert.equal((await rt.invoke('slow')).error.code, 'TIMEOUT')
    assert.ok(Date.now() - started < 3000)
    const res = await rt.invoke('slow', null, { timeoutMs: 100 })
    assert.equal(res.error.code, 'TIMEOUT')
    assert.match(res.error.message, /100 ms/)
    await Promise.all([1, 2, 3].map(() => rt.invoke('solo')))
    assert.equal(fs.readFileSync(path.join(dir, 'log'), 'utf8'), 'start\nend\n'.repeat(3))
  } finally {
    await rt.close()
  }
})

test('a missing functionsDir is an empty list plus a diagnostic', async () => {
  const rt = new FunctionRuntime({ functionsDir: '/definitely/not/here' })
  assert.deepEqual(rt.list(), [])
  assert.equal(rt.diagnostics().length, 1)
  assert.match(rt.diagnostics()[0].message, /cannot read functions directory/)
  assert.equal((await rt.invoke('x')).error.code, 'FUNCTION_NOT_FOUND')
  await rt.close()
})

test('parseManifest and loadManifest return YAML names and throw naming the field', () => {
  const m = parseManifest(
    'name: x\nruntime: python\nentrypoint: app.py\ntimeout: 30\nmemory: 256\nunknown_key: 1\nschedules:\n  - name: nightly\n    type: cron\n    expression: "0 3 * * *"\n    timezone: Europe/Paris\n',
  )
  assert.equal(m.name, 'x')
  assert.equal(m.entry, 'app.py')
  assert.equal(m.timeout, '30')
  assert.equal(m.memory, '256')
  assert.equal(m.schedules[0].type, 'cron')
  assert.equal('unknown_key' in m, false)
  for (const [yaml, msg] of [
    ['runtime: node', /name/],
    ['name: x\ntimeout: abc', /manifest\.yaml: timeout: invalid duration "abc"/],
    ['name: x\ntimeout: 0', /timeout/],
    ['name: x\nmemory: lots', /memory/],
    ['name: x\nroutes:\n  - path: nope\n    methods: [GET]', /routes\[0\]\.path/],
    ['name: x\nhooks:\n  - type: webhook', /hooks\[0\]\.verification/],
    ['name: x\nschedules:\n  - name: s\n    type: interval\n    expression: often', /schedules\[0\]\.expression/],
    ['name: x\nschedules:\n  - name: s\n    type: cron\n    expression: "* * * * *"\n    timezone: Mars/Olympus', /timezone/],
    ['name: x\nbuild:\n  command: make', /build\.output/],
    ['name: [unclosed', /yaml/i],
  ]) {
    assert.throws(() => parseManifest(yaml), msg, yaml)
  }
  const dir = functionsDir({ 'f/manifest.yaml': 'name: f\ntimeout: nope\n' })
  const file = path.join(dir, 'f', 'manifest.yaml')
  assert.throws(
    () => loadManifest(file),
    (e) => e.message.includes(file) && e.message.includes('timeout'),
  )
  assert.throws(() => loadManifest(path.join(dir, 'missing.yaml')), /cannot read/)
  assert.throws(() => parseManifest(42), TypeError)
})

test('runtimes() reports availability, absolute paths, versions and install hints', async () => {
  const rt = new FunctionRuntime({ functionsDir: '.', runtimes: { ghost: { command: 'ghost-runtime-xyz', extensions: ['.gh'] } } })
  const infos = await rt.runtimes()
  await rt.close()
  const by = Object.fromEntries(infos.map((r) => [r.name, r]))
  for (const name of ['deno', 'node', 'bun', 'python', 'go', 'ruby', 'binary', 'ghost']) assert.ok(by[name], name)
  assert.equal(by.node.available, true)
  assert.ok(path.isAbsolute(by.node.path))
  assert.equal(by.node.version, process.versions.node)
  assert.deepEqual(by.deno.args, ['run', '-A'])
  assert.equal(by.ghost.available, false)
  assert.equal(by.ghost.path, null)
  assert.match(by.ghost.installHint, /ghost-runtime-xyz/)
  for (const r of infos) assert.equal(typeof r.installHint, 'string')
})

test('build step: runs when output is missing or stale, BUILD_FAILED with output on failure', async () => {
  const dir = functionsDir({
    'b/manifest.yaml': 'name: b\nruntime: node\nbuild:\n  command: sh\n  args: [build.sh]\n  output: dist/index.js\n',
    'b/build.sh': 'echo building >&2; echo run >> ../builds.log; mkdir -p dist; sed "s/VALUE/$(cat value.txt)/" src.js > dist/index.js',
    'b/src.js': "process.stdin.resume();process.stdin.on('end',()=>console.log(JSON.stringify({success:true,output:'VALUE'})))",
    'b/value.txt': 'one',
    'fail/manifest.yaml':
      'name: fail\nruntime: node\nbuild:\n  command: sh\n  args: [-c, "echo compile error: missing semicolon >&2; exit 2"]\n  output: out.js\n',
  })
  const rt = new FunctionRuntime({ functionsDir: dir })
  const builds = () => fs.readFileSync(path.join(dir, 'builds.log'), 'utf8').trim().split('\n').length
  try {
    const results = await Promise.all([1, 2, 3].map(() => rt.invoke('b')))
    for (const r of results) assert.equal(r.output, 'one', JSON.stringify(r.error))
    assert.equal(builds(), 1, 'concurrent invocations share one build')
    assert.equal((await rt.invoke('b')).output, 'one')
    assert.equal(builds(), 1, 'fresh output is not rebuilt')
    await sleep(20)
    fs.writeFileSync(path.join(dir, 'b', 'value.txt'), 'two')
    const t = new Date(Date.now() + 2000)
    fs.utimesSync(path.join(dir, 'b', 'value.txt'), t, t)
    assert.equal((await rt.invoke('b')).output, 'two')
    assert.equal(builds(), 2, 'a newer source triggers a rebuild')

    const failed = await rt.invoke('fail')
    assert.equal(failed.error.code, 'BUILD_FAILED')
    assert.match(failed.error.details.output, /compile error: missing semicolon/)
    assert.equal(failed.exitCode, null)
  } finally {
    await rt.close()
  }
})

test('Go: compiled once into .alyx/, second call far faster, an edit invalidates', needs('go'), async () => {
  const src = (word) => `package main
import ("encoding/json";"os")
func main(){var r map[string]any;json.NewDecoder(os.Stdin).Decode(&r);json.NewEncoder(os.Stdout).Encode(map[string]any{"success":true,"output":"${word}"})}
`
  const dir = functionsDir({ 'g/main.go': src('first'), 'bad/main.go': 'package main\nfunc main() { undefined_thing() }\n' })
  const rt = new FunctionRuntime({ functionsDir: dir, timeoutMs: 120_000 })
  try {
    let t = Date.now()
    assert.equal((await rt.invoke('g')).output, 'first')
    const cold = Date.now() - t
    const cached = fs.readdirSync(path.join(dir, 'g', '.alyx', 'go'))
    assert.equal(cached.length, 1)
    t = Date.now()
    assert.equal((await rt.invoke('g')).output, 'first')
    const warm = Date.now() - t
    console.log(`# go cold ${cold} ms, cached ${warm} ms`)
    assert.ok(warm * 3 < cold, `cached call (${warm} ms) should be far faster than the compile (${cold} ms)`)
    fs.writeFileSync(path.join(dir, 'g', 'main.go'), src('second'))
    assert.equal((await rt.invoke('g')).output, 'second')
    const after = fs.readdirSync(path.join(dir, 'g', '.alyx', 'go'))
    assert.equal(after.length, 1)
    assert.notEqual(after[0], cached[0])
    assert.deepEqual(
      rt.list().map((f) => f.name),
      ['bad', 'g'],
      '.alyx is not a function',
    )
    const bad = await rt.invoke('bad')
    assert.equal(bad.error.code, 'BUILD_FAILED')
    assert.match(bad.error.details.output, /undefined/)
  } finally {
    await rt.close()
  }
})
