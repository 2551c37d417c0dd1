// Each default runtime says hello through the real interpreter/compiler.
import test from 'node:test'
import assert from 'node:assert/strict'
import path from 'node:path'
import { FunctionRuntime, needs, root } from './helpers.mjs'

const functionsDir = path.join(root, '__test__', 'fixtures', 'hello')
const cases = [
  ['node', ['node']],
  ['python', ['python3']],
  ['deno', ['deno']],
  ['bun', ['bun']],
  ['go', ['go']],
  ['ruby', ['ruby']],
  ['binary', ['sh', 'python3']],
]

const rt = new FunctionRuntime({ functionsDir, timeoutMs: 120_000 })
test.after(() => rt.close())

for (const [name, commands] of cases) {
  test(`${name} function says hello`, needs(...commands), async () => {
    const res = await rt.invoke(name, { name: 'World' })
    assert.equal(res.success, true, JSON.stringify(res.error))
    assert.deepEqual(res.output, { message: 'Hello, World!', runtime: name })
    assert.equal(res.exitCode, 0)
    assert.ok(
      res.logs.some((l) => l.source === 'stderr' && l.message.startsWith(`hello from ${name === 'binary' ? 'sh' : name}`)),
      JSON.stringify(res.logs),
    )
  })
}
