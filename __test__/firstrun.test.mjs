// First run and setup, with real processes: runtimes found without a global
// install (node_modules/.bin above functionsDir or the cwd), a runtime
// override keeping its args, Python shims / virtualenvs / relative commands,
// the bundled SDKs on PYTHONPATH / RUBYLIB, and mistakes that are said out
// loud (unknown options, unknown manifest keys, missing or loose files).
import test from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { execFileSync, spawnSync } from 'node:child_process'
import { FunctionRuntime, functionsDir, needs, root, sh, writeFiles } from './helpers.mjs'

const HELLO_TS = `const text = await new Response(Deno.stdin.readable).text()
const { input } = JSON.parse(text)
console.log(JSON.stringify({ success: true, output: { hello: input.name, deno: Deno.version.deno } }))
`
const repoBin = path.join(root, 'node_modules', '.bin')
// PATH as a user without a global Deno has it: the repository's
// node_modules/.bin (which helpers.mjs adds for other tests) taken out.
const pathWithoutRepoBin = process.env.PATH.split(path.delimiter)
  .filter((d) => d !== repoBin)
  .join(path.delimiter)

/** Runs a Node script in its own process; returns { status, stdout, stderr }. */
function node(script, { cwd = root, env = {} } = {}) {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd,
    env: { ...process.env, ...env },
    encoding: 'utf8',
  })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

const requireRuntime = `import { createRequire } from 'node:module'
const { FunctionRuntime } = createRequire(import.meta.url)(${JSON.stringify(root)})`

function invokeHello(functionsDir, cwd) {
  return node(
    `${requireRuntime}
const rt = new FunctionRuntime({ functionsDir: ${JSON.stringify(functionsDir)} })
const res = await rt.invoke('hello', { name: 'npm' })
const deno = (await rt.runtimes()).find((r) => r.name === 'deno')
await rt.close()
console.log(JSON.stringify({ res, deno }))`,
    { cwd, env: { PATH: pathWithoutRepoBin } },
  )
}

test('deno from `npm i deno` is found in node_modules/.bin above functionsDir, and above the cwd', needs('deno'), () => {
  const denoBin = fs.realpathSync(path.join(repoBin, 'deno'))
  // A project that ran `npm i deno`: functions/ below it, the host's cwd elsewhere.
  const project = fs.mkdtempSync(path.join(os.tmpdir(), 'alyx-proj-'))
  writeFiles(project, { 'app/functions/hello/index.ts': HELLO_TS })
  fs.mkdirSync(path.join(project, 'node_modules', '.bin'), { recursive: true })
  fs.symlinkSync(denoBin, path.join(project, 'node_modules', '.bin', 'deno'))
  const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), 'alyx-cwd-'))

  const above = invokeHello(path.join(project, 'app', 'functions'), elsewhere)
  assert.equal(above.status, 0, above.stderr)
  const { res, deno } = JSON.parse(above.stdout)
  assert.equal(res.success, true, JSON.stringify(res))
  assert.equal(res.output.hello, 'npm')
  assert.equal(deno.foundIn, path.join(project, 'node_modules', '.bin'))
  assert.deepEqual(deno.args, ['run', '-A'])

  // Functions outside any project, host started from the project: its cwd's node_modules/.bin.
  const loose = functionsDir({ 'hello/index.ts': HELLO_TS })
  const fromCwd = invokeHello(loose, path.join(project, 'app'))
  assert.equal(fromCwd.status, 0, fromCwd.stderr)
  assert.equal(JSON.parse(fromCwd.stdout).res.success, true, fromCwd.stdout)

  // Neither: RUNTIME_NOT_FOUND says where it looked and how to install.
  const nowhere = invokeHello(loose, elsewhere)
  const missing = JSON.parse(nowhere.stdout)
  assert.equal(missing.res.error.code, 'RUNTIME_NOT_FOUND')
  assert.match(missing.res.error.message, /searched: PATH, node_modules\/\.bin from .* up to \/, node_modules\/\.bin from the cwd .* up/)
  assert.match(missing.res.error.message, /npm install deno/)
  assert.equal(missing.deno.available, false)
  assert.equal(missing.deno.lookedIn[0], 'PATH')
})

test('overriding runtimes.X.command keeps the default args unless args is given', async () => {
  // A stand-in interpreter that answers with the arguments it was given.
  const bin = functionsDir({ 'echo-args': sh(`cat >/dev/null; printf '{"success":true,"output":"%s"}' "$*"`) })
  const dir = functionsDir({ 'hello/index.ts': '' })
  const entry = path.join(dir, 'hello', 'index.ts')
  const command = path.join(bin, 'echo-args')
  const run = async (spec) => {
    const rt = new FunctionRuntime({ functionsDir: dir, runtimes: { deno: spec } })
    const res = await rt.invoke('hello')
    const info = (await rt.runtimes()).find((r) => r.name === 'deno')
    await rt.close()
    return { output: res.output, args: info.args }
  }
  assert.deepEqual(await run({ command }), { output: `run -A ${entry}`, args: ['run', '-A'] })
  assert.deepEqual(await run({ command: [command, '-q'] }), { output: `-q run -A ${entry}`, args: ['-q', 'run', '-A'] })
  assert.deepEqual(await run({ command, args: ['run'] }), { output: `run ${entry}`, args: ['run'] })
  assert.deepEqual(await run({ command, args: [] }), { output: entry, args: [] })
})

const PRINT_EXECUTABLE = `import json, sys
sys.stdin.read()
print(json.dumps({"success": True, "output": {"executable": sys.executable, "prefix": sys.prefix}}))
`

test('a python version-manager shim is resolved to the real interpreter once', needs('python3'), async () => {
  const real = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim()
  // A shim like pyenv's: a script that logs each use and execs the interpreter.
  const shims = fs.mkdtempSync(path.join(os.tmpdir(), 'alyx-shims-'))
  const log = path.join(shims, 'uses.log')
  writeFiles(shims, { python3: sh(`echo used >> ${log}\nexec ${real} "$@"`) })
  const dir = functionsDir({ 'py/main.py': PRINT_EXECUTABLE })
  const savedPath = process.env.PATH
  process.env.PATH = `${shims}${path.delimiter}${savedPath}`
  try {
    const rt = new FunctionRuntime({ functionsDir: dir })
    for (let i = 0; i < 3; i++) {
      const res = await rt.invoke('py')
      assert.equal(res.success, true, JSON.stringify(res))
      assert.equal(res.output.executable, real)
    }
    assert.equal(fs.readFileSync(log, 'utf8').trim().split('\n').length, 1, 'the shim ran once (asked for sys.executable), not per call')
    const python = (await rt.runtimes()).find((r) => r.name === 'python')
    assert.equal(python.shim, path.join(shims, 'python3'))
    assert.equal(python.path, real)
    await rt.close()
  } finally {
    process.env.PATH = savedPath
  }
})

test('a function with .venv/ or venv/ runs with that interpreter; a relative command is checked', needs('python3'), async () => {
  const dir = functionsDir({
    'dotvenv/main.py': PRINT_EXECUTABLE,
    'plainvenv/main.py': PRINT_EXECUTABLE,
    'relative/main.py': PRINT_EXECUTABLE,
    'relative/manifest.yaml': 'name: relative\nruntime: venvpy\n',
    'novenv/main.py': PRINT_EXECUTABLE,
    'novenv/manifest.yaml': 'name: novenv\nruntime: venvpy\n',
  })
  for (const [fn, venv] of [
    ['dotvenv', '.venv'],
    ['plainvenv', 'venv'],
    ['relative', '.venv'],
  ]) {
    execFileSync('python3', ['-m', 'venv', '--without-pip', path.join(dir, fn, venv)])
  }
  const rt = new FunctionRuntime({ functionsDir: dir, runtimes: { venvpy: { command: './.venv/bin/python' } } })
  for (const [fn, venv] of [
    ['dotvenv', '.venv'],
    ['plainvenv', 'venv'],
    ['relative', '.venv'],
  ]) {
    const res = await rt.invoke(fn)
    assert.equal(res.success, true, JSON.stringify(res))
    assert.equal(res.output.prefix, path.join(dir, fn, venv), fn)
  }
  const res = await rt.invoke('novenv')
  assert.equal(res.error.code, 'RUNTIME_NOT_FOUND')
  assert.ok(res.error.message.includes(path.join(dir, 'novenv', '.venv', 'bin', 'python')), res.error.message)
  await rt.close()
})

test("the bundled Python SDK is importable everywhere; a function's own copy wins; sdkPaths: false turns it off", needs('python3'), async () => {
  const dir = functionsDir({
    'uses-sdk/main.py': 'import alyx\nalyx.handler(lambda input, ctx: {"sdk": alyx.__file__})\n',
    'own-copy/main.py': 'import alyx\nalyx.handler(lambda input, ctx: {"sdk": alyx.__file__})\n',
    'own-copy/alyx.py': fs.readFileSync(path.join(root, 'sdk', 'python', 'alyx.py'), 'utf8'),
  })
  const rt = new FunctionRuntime({ functionsDir: dir })
  const bundled = await rt.invoke('uses-sdk')
  assert.equal(bundled.success, true, JSON.stringify(bundled))
  assert.equal(bundled.output.sdk, path.join(root, 'sdk', 'python', 'alyx.py'))
  const own = await rt.invoke('own-copy')
  assert.equal(own.output.sdk, path.join(dir, 'own-copy', 'alyx.py'))
  await rt.close()

  const off = new FunctionRuntime({ functionsDir: dir, sdkPaths: false })
  const res = await off.invoke('uses-sdk')
  assert.equal(res.error.code, 'EXIT_ERROR')
  assert.match(res.error.message, /No module named 'alyx'/)
  await off.close()
})

test('the bundled Ruby SDK is on RUBYLIB; require_relative of an own copy wins', needs('ruby'), async () => {
  const dir = functionsDir({
    'uses-sdk/main.rb': 'require "alyx"\nAlyx.handler { |input, ctx| { sdk: $LOADED_FEATURES.grep(/alyx\\.rb$/).first } }\n',
    'own-copy/main.rb': 'require_relative "alyx"\nAlyx.handler { |input, ctx| { sdk: $LOADED_FEATURES.grep(/alyx\\.rb$/) } }\n',
    'own-copy/alyx.rb': fs.readFileSync(path.join(root, 'sdk', 'ruby', 'alyx.rb'), 'utf8'),
  })
  const rt = new FunctionRuntime({ functionsDir: dir })
  const bundled = await rt.invoke('uses-sdk')
  assert.equal(bundled.success, true, JSON.stringify(bundled))
  assert.equal(bundled.output.sdk, path.join(root, 'sdk', 'ruby', 'alyx.rb'))
  const own = await rt.invoke('own-copy')
  assert.deepEqual(own.output.sdk, [path.join(dir, 'own-copy', 'alyx.rb')])
  await rt.close()
  const off = new FunctionRuntime({ functionsDir: dir, sdkPaths: false })
  assert.equal((await off.invoke('uses-sdk')).error.code, 'EXIT_ERROR')
  await off.close()
})

test('unknown options: one process warning per key, naming the nearest valid one', () => {
  const dir = functionsDir({})
  const r = node(
    `${requireRuntime}
for (let i = 0; i < 2; i++) {
  const rt = new FunctionRuntime({ functionsDir: ${JSON.stringify(dir)}, maxConcurency: 2, timeout: 5, colour: 'red' })
  await rt.close()
}`,
  )
  assert.equal(r.status, 0, r.stderr)
  const warnings = r.stderr.split('\n').filter((l) => l.includes('AlyxRuntimeWarning'))
  assert.equal(warnings.length, 3, r.stderr)
  assert.match(warnings[0], /unknown FunctionRuntime option "maxConcurency" is ignored \(did you mean "maxConcurrency"\?\)/)
  assert.match(warnings[1], /"timeout" is ignored \(did you mean "timeoutMs"\?\)/)
  assert.match(warnings[2], /"colour" is ignored \(valid options: functionsDir, timeoutMs/)
})

test('a missing functionsDir is a process warning at construction and a diagnostic', () => {
  const missing = path.join(os.tmpdir(), `alyx-missing-${process.pid}`)
  const r = node(
    `${requireRuntime}
const rt = new FunctionRuntime({ functionsDir: ${JSON.stringify(missing)} })
console.log(JSON.stringify({ diagnostics: rt.diagnostics(), res: await rt.invoke('hello') }))
await rt.close()`,
  )
  assert.equal(r.status, 0, r.stderr)
  assert.match(r.stderr, new RegExp(`AlyxRuntimeWarning: functionsDir ${missing} does not exist`))
  const { diagnostics, res } = JSON.parse(r.stdout)
  assert.match(diagnostics[0].message, /cannot read functions directory/)
  assert.equal(res.error.code, 'FUNCTION_NOT_FOUND')
  assert.match(res.error.message, /the functions directory .* does not exist/)
})

test('loose files and unknown manifest keys are listed in diagnostics(); the function still runs', async () => {
  const dir = functionsDir({
    'send.js': '',
    'report.ts': '',
    'README.md': '',
    'package.json': '{}',
    'typo/index.mjs': 'console.log(JSON.stringify({ success: true, output: 1 }))\n',
    'typo/manifest.yaml': 'name: typo\ntimeot: 5s\nx-alyx-owner: ops\n',
  })
  const rt = new FunctionRuntime({ functionsDir: dir })
  assert.deepEqual(
    rt.list().map((f) => f.name),
    ['typo'],
  )
  assert.equal(rt.get('typo').timeoutMs, 30_000, 'the misspelt key is not read')
  assert.equal((await rt.invoke('typo')).success, true)
  const manifest = path.join(dir, 'typo', 'manifest.yaml')
  assert.deepEqual(rt.diagnostics(), [
    { name: 'typo', path: manifest, message: `${manifest}: unknown key \`timeot\` (ignored; did you mean \`timeout\`?)` },
    { name: 'typo', path: manifest, message: `${manifest}: unknown key \`x-alyx-owner\` (ignored)` },
    { name: 'report.ts', path: path.join(dir, 'report.ts'), message: 'not a function: functions are directories — move report.ts to report/index.ts' },
    { name: 'send.js', path: path.join(dir, 'send.js'), message: 'not a function: functions are directories — move send.js to send/index.js' },
  ])
  await rt.close()
})

test('doctor says where each runtime was found, and what a shim resolved to', needs('deno', 'python3'), () => {
  const shims = fs.mkdtempSync(path.join(os.tmpdir(), 'alyx-shims-'))
  const real = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim()
  writeFiles(shims, { python3: sh(`exec ${real} "$@"`) })
  const r = spawnSync(process.execPath, [path.join(root, 'bin', 'alyx-runtime.js'), 'doctor'], {
    cwd: root,
    env: { ...process.env, PATH: `${shims}${path.delimiter}${pathWithoutRepoBin}`, NO_COLOR: '1' },
    encoding: 'utf8',
  })
  assert.equal(r.status, 0, r.stderr)
  assert.match(r.stdout, new RegExp(`^deno +found +\\S+ +${repoBin}/deno +${repoBin}$`, 'm'))
  assert.match(r.stdout, /^node +found +\S+ +\S+ +PATH$/m)
  assert.ok(r.stdout.includes(`python: ${shims}/python3 is a version-manager shim; functions run ${real} directly`), r.stdout)
})

test('prepare and the demo rebuild an addon that is older than the Rust sources, not a current one', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alyx-stale-'))
  const check = () => execFileSync(process.execPath, [path.join(root, 'scripts', 'ensure-addon.js'), '--check', dir], { encoding: 'utf8' }).trim()
  const at = (file, date) => fs.utimesSync(path.join(dir, file), date, date)
  try {
    writeFiles(dir, { 'Cargo.toml': '[workspace]\n', 'crates/core/src/lib.rs': '// core\n', 'target/release/build.rs': '// output\n' })
    assert.equal(check(), 'up to date', 'no local addon: an installed platform package is used')
    fs.writeFileSync(path.join(dir, 'alyx-runtime.linux-x64-gnu.node'), '')
    at('Cargo.toml', new Date('2026-01-01'))
    at('crates/core/src/lib.rs', new Date('2026-01-02'))
    at('alyx-runtime.linux-x64-gnu.node', new Date('2026-01-03'))
    at('target/release/build.rs', new Date('2026-01-04'))
    assert.equal(check(), 'up to date', 'built after every source; target/ is not a source')
    at('crates/core/src/lib.rs', new Date('2026-01-05'))
    assert.equal(check(), `${path.join('crates', 'core', 'src', 'lib.rs')} changed after the addon was built`)
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})
