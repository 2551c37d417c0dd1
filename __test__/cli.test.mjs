// bin/alyx-runtime.js as a real process: help, doctor, list, invoke (exit
// codes, human and --json output), watch until SIGINT.
import test from 'node:test'
import assert from 'node:assert/strict'
import path from 'node:path'
import { execFile, spawn } from 'node:child_process'
import { once } from 'node:events'
import { functionsDir, root, sh, waitFor, writeFiles } from './helpers.mjs'

const cli = path.join(root, 'bin', 'alyx-runtime.js')
const examples = path.join(root, 'examples', 'functions')

/** Runs the CLI to completion: { code, stdout, stderr }. NO_COLOR keeps output plain. */
function run(...args) {
  return runWithEnv({ ...process.env, NO_COLOR: '1' }, ...args)
}

function runWithEnv(env, ...args) {
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, ...args], { env }, (error, stdout, stderr) => {
      resolve({ code: error ? error.code : 0, stdout, stderr })
    })
  })
}

test('--help on the CLI and on every command; no command is a usage error', async () => {
  const top = await run('--help')
  assert.equal(top.code, 0)
  for (const command of ['doctor', 'list', 'invoke', 'watch']) {
    assert.match(top.stdout, new RegExp(`^  ${command} `, 'm'))
    const help = await run(command, '--help')
    assert.equal(help.code, 0, help.stderr)
    assert.match(help.stdout, new RegExp(`^Usage: alyx-runtime ${command}`))
  }
  const bare = await run()
  assert.equal(bare.code, 2)
  const unknown = await run('frobnicate')
  assert.equal(unknown.code, 2)
  assert.match(unknown.stderr, /unknown command "frobnicate"/)
  const badOption = await run('list', '--bogus')
  assert.equal(badOption.code, 2)
  assert.match(badOption.stderr, /--bogus/)
})

test('doctor lists node as found, with path and version; --json parses', async () => {
  const human = await run('doctor')
  assert.equal(human.code, 0, human.stderr)
  assert.match(human.stdout, /^node\s+found\s+\d+\.\d+\.\d+\s+\//m)
  assert.match(human.stdout, /^sandbox: (available|unavailable) \(/m, 'doctor prints sandboxSupport()')
  // Not a TTY: plain text even without NO_COLOR.
  const { NO_COLOR, ...envWithoutNoColor } = process.env
  assert.doesNotMatch((await runWithEnv(envWithoutNoColor, 'doctor')).stdout, /\x1b\[/)
  const machine = await run('doctor', '--json')
  const node = JSON.parse(machine.stdout).find((r) => r.name === 'node')
  assert.equal(node.available, true)
  assert.ok(path.isAbsolute(node.path))
  assert.ok(node.installHint)
})

test('list shows every example; --json carries functions and diagnostics; a missing dir fails', async () => {
  const human = await run('list', '--dir', examples)
  assert.equal(human.code, 0, human.stderr)
  assert.match(human.stdout, /^hello-python\s+python\s+10s\s+Says hello from Python/m)
  const machine = JSON.parse((await run('list', '--dir', examples, '--json')).stdout)
  assert.ok(machine.functions.some((f) => f.name === 'todos' && f.routes.length === 2))
  assert.deepEqual(machine.diagnostics, [])
  const missing = await run('list', '--dir', path.join(examples, 'no-such-dir'))
  assert.equal(missing.code, 1)
  assert.match(missing.stderr, /does not exist/)
})

test('invoke: output on stdout, logs on stderr, exit 0', async () => {
  const res = await run('invoke', 'hello-node', '{"name":"Ada"}', '--dir', examples)
  assert.equal(res.code, 0, res.stderr)
  assert.equal(JSON.parse(res.stdout).message, 'Hello, Ada!')
  assert.match(res.stderr, /info\s+greeting \{"name":"Ada"\}/)
  assert.match(res.stderr, /✓ hello-node ok/)
})

test('invoke: a failing function exits 1 and names its code; --json prints the whole result', async () => {
  const human = await run('invoke', 'validate-signup', '{"email":"nope"}', '--dir', examples)
  assert.equal(human.code, 1)
  assert.equal(human.stdout, '')
  assert.match(human.stderr, /✗ validate-signup failed: VALIDATION_ERROR email is not a valid address, exit code 1/)

  const machine = await run('invoke', 'validate-signup', '{"email":"nope"}', '--dir', examples, '--json')
  assert.equal(machine.code, 1)
  const result = JSON.parse(machine.stdout)
  assert.equal(result.error.code, 'VALIDATION_ERROR')
  assert.equal(result.exitCode, 1)

  const missing = await run('invoke', 'no-such-function', '--dir', examples, '--json')
  assert.equal(missing.code, 1)
  assert.equal(JSON.parse(missing.stdout).error.code, 'FUNCTION_NOT_FOUND')
})

test('invoke --timeout kills a slow function: TIMEOUT, exit 1; bad input JSON is a usage error', async () => {
  const dir = functionsDir({ 'slow/bootstrap': sh('sleep 5') })
  const slow = await run('invoke', 'slow', '--dir', dir, '--timeout', '200', '--json')
  assert.equal(slow.code, 1)
  assert.equal(JSON.parse(slow.stdout).error.code, 'TIMEOUT')
  const bad = await run('invoke', 'slow', '{not json', '--dir', dir)
  assert.equal(bad.code, 2)
  assert.match(bad.stderr, /input is not JSON/)
})

test('watch --json prints one event per line until SIGINT', async () => {
  const dir = functionsDir({ 'first/bootstrap': sh('echo "{\\"success\\":true}"') })
  const child = spawn(process.execPath, [cli, 'watch', '--dir', dir, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d))
  child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d))
  try {
    await waitFor(() => stderr.includes('watching'))
    writeFiles(dir, { 'second/bootstrap': sh('echo "{\\"success\\":true}"') })
    await waitFor(() => stdout.includes('"second"'))
    const events = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
    assert.ok(
      events.some((e) => e.type === 'added' && e.name === 'second'),
      stdout,
    )
  } finally {
    const exited = once(child, 'exit')
    child.kill('SIGINT')
    const [code] = await exited
    assert.equal(code, 0, stderr)
  }
})
