// Every SDK in worker mode through the runtime (CONTRACT §10): the same
// handler(fn) code as one-shot (the probes of worker-probes.mjs), kept warm.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { FunctionRuntime, functionsDir, needs, root } from './helpers.mjs'
import { probes } from './worker-probes.mjs'

const sdk = (rel) => path.join(root, 'sdk', rel)
const files = probes({ jsSdkUrl: pathToFileURL(sdk('js/alyx.mjs')).href, pythonSdk: sdk('python'), rubySdk: sdk('ruby/alyx'), goSdk: sdk('go/alyx') })
const commands = { node: 'node', deno: 'deno', bun: 'bun', python: 'python3', ruby: 'ruby', go: 'go' }

for (const [lang, command] of Object.entries(commands)) {
  test(`${lang} SDK: one warm process serves successive calls; per-call env; an exception fails only its call`, needs(command), async () => {
    const name = `worker-${lang}`
    const dir = functionsDir(files[lang])
    const rt = new FunctionRuntime({ functionsDir: dir, timeoutMs: 180_000, warm: { [name]: { min: 1, max: 1 } } })
    try {
      const a = await rt.invoke(name, { mode: 'probe' }, { env: { CALL_ENV: 'one' } })
      assert.equal(a.success, true, JSON.stringify(a).slice(0, 3000))
      assert.equal(a.exitCode, null)
      const messages = (r) => r.logs.map((l) => l.message)
      assert.ok(messages(a).includes('startup stderr'), 'start-up logs go to the first call')
      assert.ok(messages(a).includes(`stderr ${a.requestId}`))
      assert.equal(a.output.env.ALYX_REQUEST_ID, a.requestId)
      assert.equal(a.output.env.CALL_ENV, 'one')
      const b = await rt.invoke(name, { mode: 'probe' })
      assert.equal(b.output.pid, a.output.pid)
      assert.equal(b.output.calls, 2, 'globals persist between calls')
      assert.equal(b.output.env.ALYX_REQUEST_ID, b.requestId)
      assert.equal(b.output.env.CALL_ENV, null, 'per-call env is restored after the call')
      assert.ok(!messages(b).some((m) => m.includes(a.requestId)), 'no line of the first call in the second')
      const crash = await rt.invoke(name, { mode: 'crash' })
      assert.equal(crash.success, false)
      const typed = await rt.invoke(name, { mode: 'typed' })
      assert.equal(typed.error.code, 'VALIDATION_ERROR')
      const c = await rt.invoke(name, { mode: 'echo', n: 3 })
      assert.deepEqual(c.output, { mode: 'echo', n: 3 })
      assert.equal(rt.pools()[0].pids[0], a.output.pid, 'the same process after an exception')
    } finally {
      await rt.close()
    }
  })
}
