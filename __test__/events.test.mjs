// rt.emit(): database/auth hooks matched by type, source and action; sync
// hooks one after another in name order (their results returned), async
// ones to onResult; config.timeout; the input shape.
import test from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { FunctionRuntime, functionsDir, sh, waitFor, writeFiles } from './helpers.mjs'

// Logs "start <name>" / "end <name>" around a pause, then echoes its input.
const hookFn = (name, log, pause = '0.2') =>
  sh(
    `input=$(cat); echo "start ${name}" >> "${log}"; sleep ${pause}; echo "end ${name}" >> "${log}"; printf '{"success":true,"output":{"fn":"${name}","input":%s}}' "$(printf '%s' "$input" | node -e 'let t="";process.stdin.on("data",d=>t+=d).on("end",()=>process.stdout.write(JSON.stringify(JSON.parse(t).input)))')"`,
  )

const hook = (yaml) => `hooks:\n  - ${yaml}\n`

test('emit: sync hooks in name order, async hooks to onResult, config.timeout, only matching hooks', async (t) => {
  const dir = functionsDir()
  const log = path.join(dir, 'order.log')
  writeFiles(dir, {
    'b-sync/bootstrap': hookFn('b-sync', log),
    'b-sync/manifest.yaml': `name: b-sync\n${hook('{ type: database, source: users, action: insert, mode: sync }')}`,
    'a-sync/bootstrap': hookFn('a-sync', log),
    'a-sync/manifest.yaml': `name: a-sync\n${hook('{ type: database, source: users, action: insert, mode: sync }')}`,
    'c-async/bootstrap': hookFn('c-async', log, '1'),
    'c-async/manifest.yaml': `name: c-async\n${hook('{ type: database, source: users, action: insert }')}`,
    'd-slow/bootstrap': hookFn('d-slow', log, '5'),
    'd-slow/manifest.yaml': `name: d-slow\n${hook('{ type: database, source: users, action: insert, mode: sync, config: { timeout: 300ms } }')}`,
    'other/bootstrap': hookFn('other', log),
    'other/manifest.yaml': `name: other\nhooks:\n  - { type: database, source: users, action: delete, mode: sync }\n  - { type: auth, source: users, action: insert, mode: sync }\n`,
  })
  const rt = new FunctionRuntime({ functionsDir: dir })
  t.after(() => rt.close())
  const asyncResults = []
  const event = { type: 'database', source: 'users', action: 'insert', payload: { id: 7 } }
  const results = await rt.emit(event, { onResult: (result, meta) => asyncResults.push([meta.function, result]) })

  assert.deepEqual(
    results.map((r) => r.output?.fn ?? r.error.code),
    ['a-sync', 'b-sync', 'TIMEOUT'],
  )
  assert.deepEqual(results[0].output.input, { type: 'database', source: 'users', action: 'insert', payload: { id: 7 } })
  const lines = fs
    .readFileSync(log, 'utf8')
    .trim()
    .split('\n')
    .filter((l) => !l.includes('c-async'))
  assert.deepEqual(lines.slice(0, 4), ['start a-sync', 'end a-sync', 'start b-sync', 'end b-sync'], 'one after another, by name')
  assert.ok(!lines.some((l) => l.includes('other')), 'other actions and types do not match')

  await waitFor(() => asyncResults.length === 1)
  const [fn, result] = asyncResults[0]
  assert.equal(fn, 'c-async')
  assert.equal(result.output.fn, 'c-async')
  assert.ok(fs.readFileSync(log, 'utf8').indexOf('start c-async') < fs.readFileSync(log, 'utf8').indexOf('start b-sync'), 'async hooks start at once')

  assert.deepEqual(await rt.emit({ type: 'auth', source: 'nobody', action: 'login' }), [])
  const auth = await rt.emit({ type: 'auth', source: 'users', action: 'insert' })
  assert.deepEqual(
    auth.map((r) => r.output.fn),
    ['other'],
  )
  assert.equal(auth[0].output.input.payload, null)
  await assert.rejects(rt.emit({ type: 'webhook', source: 'x', action: 'y' }), TypeError)
  await assert.rejects(rt.emit({ type: 'database', source: '', action: 'y' }), TypeError)
})
