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

test(
  'python SDK worker: a coroutine handler runs inside one task for the worker; awaiting works, and so do loop-bound objects and current_task',
  needs('python3'),
  async () => {
    const py = `import asyncio, os, sys
sys.path.insert(0, ${JSON.stringify(sdk('python'))})
import alyx

state = {}

async def main(input, ctx):
    if input.get("fail"):
        raise ValueError("bad " + ctx.request_id)
    if input.get("sync"):
        return {"slept": 0, "rid": os.environ.get("ALYX_REQUEST_ID")}
    loop = asyncio.get_running_loop()
    state.setdefault("queue", asyncio.Queue())  # bound to the worker's loop
    state.setdefault("loop", id(loop))
    before = loop.time()
    await asyncio.wait_for(asyncio.sleep(input["ms"] / 1000), timeout=5)
    await state["queue"].put(1)
    return {
        "slept": loop.time() - before,
        "sameLoop": state["loop"] == id(loop),
        "queued": state["queue"].qsize(),
        "task": asyncio.current_task() is not None,
        "pid": os.getpid(),
        "rid": os.environ.get("ALYX_REQUEST_ID"),
    }

alyx.handler(main)
`
    const dir = functionsDir({ 'a/main.py': py })
    const rt = new FunctionRuntime({ functionsDir: dir, warm: { a: { min: 1, max: 1 } } })
    try {
      const one = await rt.invoke('a', { ms: 50 })
      assert.equal(one.success, true, JSON.stringify(one))
      assert.ok(one.output.slept >= 0.045, `awaited asyncio.sleep (${one.output.slept})`)
      assert.equal(one.output.task, true, 'runs in a task: asyncio.timeout and TaskGroup work')
      assert.equal(one.output.rid, one.requestId)
      const quick = await rt.invoke('a', { sync: true })
      assert.deepEqual(quick.output, { slept: 0, rid: quick.requestId }, 'a call that never suspends')
      const failed = await rt.invoke('a', { fail: true })
      assert.equal(failed.error.code, 'FUNCTION_ERROR')
      assert.equal(failed.error.message, `bad ${failed.requestId}`)
      const two = await rt.invoke('a', { ms: 20 })
      assert.equal(two.success, true, JSON.stringify(two))
      assert.equal(two.output.pid, one.output.pid)
      assert.equal(two.output.sameLoop, true, 'one event loop for the worker')
      assert.equal(two.output.queued, 2, 'a loop-bound object survives between calls')
    } finally {
      await rt.close()
    }
  },
)
