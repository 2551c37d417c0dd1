// Host shutdown (CONTRACT §6, §14): on SIGTERM the runtime's functions get
// SIGTERM first (then SIGKILL after killGraceMs) and resolve CANCELLED, never
// KILLED; handleSignals:false leaves it to the host; a runtime in a
// worker_threads Worker cleans up when the worker ends. Real host processes.
import test from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { Worker } from 'node:worker_threads'
import { functionsDir, sh, isAlive, root, spawnHost, waitFor } from './helpers.mjs'

const dir = functionsDir({
  // Handles SIGTERM as docs/PROTOCOL.md asks: notes it, then exits.
  'trapper/bootstrap': sh(
    `trap 'echo term > "$ALYX_FUNCTION_DIR/../term-$ALYX_REQUEST_ID"; exit 0' TERM
echo $$ > "$ALYX_FUNCTION_DIR/../pid-$ALYX_REQUEST_ID.tmp" && mv "$ALYX_FUNCTION_DIR/../pid-$ALYX_REQUEST_ID.tmp" "$ALYX_FUNCTION_DIR/../pid-$ALYX_REQUEST_ID"
sleep 300 & wait $!`,
  ),
})

const file = (name) => path.join(dir, name)

/** A Node host that invokes `trapper` and prints READY once it runs. */
function host(rid, { prelude = '', options = '' } = {}) {
  const src = `
    const fs = require('fs'), path = require('path')
    const { FunctionRuntime } = require(process.env.ALYX_ROOT)
    const dir = process.env.ALYX_DIR
    ${prelude}
    const rt = new FunctionRuntime({ functionsDir: dir, killGraceMs: 3000, ${options} })
    rt.invoke('trapper', null, { requestId: '${rid}', timeoutMs: 60000 }).then((r) => console.log('RESULT ' + JSON.stringify(r)))
    const poll = setInterval(() => {
      if (fs.existsSync(path.join(dir, 'pid-${rid}'))) { clearInterval(poll); console.log('READY') }
    }, 10)
    globalThis.rt = rt
  `
  return spawnHost(src, dir)
}

const result = (out) => JSON.parse(/RESULT (.*)/.exec(out)?.[1] ?? 'null')

test('host SIGTERM with its own handler, 20 times: the function gets SIGTERM and the call resolves CANCELLED', async () => {
  for (let i = 0; i < 20; i++) {
    const rid = `own-${i}`
    const h = host(rid, { prelude: `process.on('SIGTERM', () => console.log('HOST-HANDLER'))` })
    await h.ready()
    const pid = Number(fs.readFileSync(file(`pid-${rid}`), 'utf8'))
    h.child.kill('SIGTERM')
    const { code, signal } = await h.exited
    const out = h.output()
    assert.deepEqual({ code, signal }, { code: 0, signal: null }, out)
    assert.match(out, /HOST-HANDLER/)
    const res = result(out)
    assert.equal(res?.error?.code, 'CANCELLED', `run ${i}: ${out}`)
    assert.equal(fs.existsSync(file(`term-${rid}`)), true, `run ${i}: the function never got SIGTERM`)
    assert.equal(isAlive(pid), false)
  }
})

test('host SIGTERM without a handler of its own: the function gets SIGTERM first, then the host dies of SIGTERM', async () => {
  const rid = 'alone'
  const h = host(rid)
  await h.ready()
  h.child.kill('SIGTERM')
  const { code, signal } = await h.exited
  assert.deepEqual({ code, signal }, { code: null, signal: 'SIGTERM' }, h.output())
  assert.equal(fs.existsSync(file(`term-${rid}`)), true, 'the function never got SIGTERM')
})

test('handleSignals: false leaves the running function to the host, which drains and closes', async () => {
  const rid = 'manual'
  const h = host(rid, {
    options: 'handleSignals: false',
    prelude: `process.on('SIGTERM', () => setTimeout(() => {
      const pid = Number(fs.readFileSync(path.join(dir, 'pid-${rid}'), 'utf8'))
      try { process.kill(pid, 0); console.log('STILL-RUNNING') } catch {}
      globalThis.rt.close()
    }, 300))`,
  })
  await h.ready()
  h.child.kill('SIGTERM')
  const { code } = await h.exited
  const out = h.output()
  assert.equal(code, 0, out)
  assert.match(out, /STILL-RUNNING/)
  assert.equal(result(out)?.error?.code, 'CANCELLED', out)
})

for (const end of ['terminate', 'process.exit']) {
  test(`a runtime in a worker_threads Worker: ${end} leaves no function alive`, async () => {
    const rid = `worker-${end}`
    const worker = new Worker(
      `
      const { parentPort } = require('worker_threads')
      const fs = require('fs'), path = require('path')
      const { FunctionRuntime } = require(${JSON.stringify(root)})
      const dir = ${JSON.stringify(dir)}
      const rt = new FunctionRuntime({ functionsDir: dir, killGraceMs: 300 })
      rt.invoke('trapper', null, { requestId: '${rid}', timeoutMs: 60000 })
      const poll = setInterval(() => {
        if (fs.existsSync(path.join(dir, 'pid-${rid}'))) {
          clearInterval(poll)
          ${end === 'terminate' ? "parentPort.postMessage('ready')" : 'process.exit(0)'}
        }
      }, 10)
      `,
      { eval: true },
    )
    const exited = new Promise((resolve) => worker.on('exit', resolve))
    if (end === 'terminate') {
      await new Promise((resolve) => worker.once('message', resolve))
      await worker.terminate()
    } else {
      await exited
    }
    const pid = Number(fs.readFileSync(file(`pid-${rid}`), 'utf8'))
    await waitFor(() => !isAlive(pid), { timeoutMs: 2500 })
  })
}
