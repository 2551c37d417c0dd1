// rt.startSchedules() with short real intervals: runs on the epoch-aligned
// times, input, one_time, skip-if-running, lock, reload()/watch() changes,
// and stop()/close() leaving no run behind. Next-run arithmetic across DST
// changes is unit-tested in crates/core/src/schedule/tests.rs.
import test from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { FunctionRuntime, functionsDir, sh, sleep, waitFor, writeFiles } from './helpers.mjs'

// Appends one line per run to $RUNS (the file the test reads), echoes its input.
const RECORDER = `
import fs from 'node:fs'
let text = ''
for await (const chunk of process.stdin) text += chunk
fs.appendFileSync(process.env.RUNS, 'run\\n')
console.log(JSON.stringify({ success: true, output: JSON.parse(text).input }))
`

function fixture(schedules, extra = {}) {
  const dir = functionsDir({ ...extra })
  const runs = path.join(dir, 'runs.log')
  writeFiles(dir, {
    'tick/index.mjs': RECORDER,
    'tick/manifest.yaml': `name: tick\nenv:\n  RUNS: "${runs}"\nschedules:\n${schedules}`,
  })
  return { dir, runs, count: () => (fs.existsSync(runs) ? fs.readFileSync(runs, 'utf8').split('\n').filter(Boolean).length : 0) }
}

test('an interval fires on each multiple of it since the epoch, once each, with its input', async (t) => {
  const { dir, count } = fixture('  - name: every-500ms\n    type: interval\n    expression: 500ms\n    input: { hello: 1 }\n')
  const rt = new FunctionRuntime({ functionsDir: dir })
  t.after(() => rt.close())
  const runs = []
  const started = Date.now()
  const handle = rt.startSchedules({ onRun: (run) => runs.push(run) })
  const [row] = rt.schedules()
  assert.deepEqual(Object.keys(row).sort(), ['expression', 'function', 'name', 'nextRun', 'timezone', 'type'])
  assert.equal(row.nextRun % 500, 0)
  assert.ok(row.nextRun > started && row.nextRun <= started + 500 + 50, `${row.nextRun - started}`)
  assert.equal(row.timezone, 'UTC')
  await sleep(3_000)
  await handle.stop()
  const stopped = Date.now()
  const expected = Math.floor(stopped / 500) - Math.floor(started / 500)
  assert.ok(Math.abs(runs.length - expected) <= 1, `${runs.length} runs in ${stopped - started} ms, expected ${expected} ±1`)
  const times = runs.map((r) => r.scheduledAt)
  for (let i = 0; i < times.length; i++) {
    assert.equal(times[i] % 500, 0, 'aligned to the epoch')
    if (i > 0) assert.equal(times[i] - times[i - 1], 500, 'consecutive: none missed, none twice')
  }
  for (const r of runs) {
    assert.equal(r.function, 'tick')
    assert.equal(r.schedule, 'every-500ms')
    assert.equal(r.result.success, true, JSON.stringify(r.result))
    assert.deepEqual(r.result.output, { hello: 1 })
  }
  assert.equal(count(), runs.length)
})

test('one_time: a past instant never fires, a near one fires once; config.input is the input', async (t) => {
  const soon = new Date(Date.now() + 700).toISOString()
  const { dir, count } = fixture(`  - name: past
    type: one_time
    expression: 2020-01-01T00:00:00Z
  - name: soon
    type: one_time
    expression: ${soon}
    config: { input: { from: config } }
`)
  const rt = new FunctionRuntime({ functionsDir: dir })
  t.after(() => rt.close())
  const runs = []
  const handle = rt.startSchedules({ onRun: (run) => runs.push(run) })
  const rows = Object.fromEntries(rt.schedules().map((r) => [r.name, r]))
  assert.equal(rows.past.nextRun, null)
  assert.equal(rows.soon.nextRun, Date.parse(soon))
  await waitFor(() => runs.length === 1)
  await sleep(1_000)
  await handle.stop()
  assert.equal(runs.length, 1)
  assert.equal(runs[0].schedule, 'soon')
  assert.equal(runs[0].scheduledAt, Date.parse(soon))
  assert.deepEqual(runs[0].result.output, { from: 'config' })
  assert.equal(count(), 1)
})

test('skip-if-running: an overlapping run is skipped and reported; with skip_if_running false it overlaps', async (t) => {
  const dir = functionsDir()
  const overlaps = path.join(dir, 'overlaps')
  const body = (name) =>
    sh(
      `mkdir "${dir}/${name}.lock" 2>/dev/null || echo overlap >> "${overlaps}-${name}"; sleep 0.7; rmdir "${dir}/${name}.lock" 2>/dev/null; echo '{"success":true}'`,
    )
  writeFiles(dir, {
    'careful/bootstrap': body('careful'),
    'careful/manifest.yaml': 'name: careful\nschedules:\n  - { name: fast, type: interval, expression: 200ms }\n',
    'eager/bootstrap': body('eager'),
    'eager/manifest.yaml': 'name: eager\nschedules:\n  - { name: fast, type: interval, expression: 200ms, config: { skip_if_running: false } }\n',
  })
  const rt = new FunctionRuntime({ functionsDir: dir })
  t.after(() => rt.close())
  const runs = []
  const handle = rt.startSchedules({ onRun: (run) => runs.push(run) })
  await sleep(2_000)
  await handle.stop()
  const careful = runs.filter((r) => r.function === 'careful')
  assert.ok(
    careful.some((r) => r.skipped === true && !('result' in r)),
    'skipped runs are reported',
  )
  assert.ok(
    careful.some((r) => r.result?.success),
    'and some ran',
  )
  assert.equal(fs.existsSync(`${overlaps}-careful`), false, 'never two at once')
  assert.equal(
    runs.some((r) => r.function === 'eager' && r.skipped),
    false,
  )
  assert.equal(fs.existsSync(`${overlaps}-eager`), true, 'skip_if_running: false lets runs overlap')
})

test('lock: asked before each run with a per-run key; false or a throw means no run here', async (t) => {
  const { dir, count } = fixture('  - { name: beat, type: interval, expression: 200ms }\n')
  const rt = new FunctionRuntime({ functionsDir: dir })
  t.after(() => rt.close())
  const asked = []
  const warnings = []
  const onWarning = (w) => warnings.push(w.message)
  process.on('warning', onWarning)
  t.after(() => process.off('warning', onWarning))
  let handle = rt.startSchedules({ lock: async (key, ttlMs) => (asked.push([key, ttlMs]), false) })
  assert.throws(() => rt.startSchedules(), /already started/)
  await waitFor(() => asked.length >= 3)
  await handle.stop()
  assert.equal(count(), 0, 'no replica got the lock: nothing ran')
  const [key, ttl] = asked[0]
  assert.match(key, /^alyx:schedule:tick:beat:\d+$/)
  assert.equal(Number(key.split(':').pop()) % 200, 0)
  assert.equal(ttl, 30_000 + 60_000, "the function's timeout plus a minute")
  handle = rt.startSchedules({
    lock: () => {
      throw new Error('redis down')
    },
  })
  await waitFor(() => warnings.some((w) => w.includes('redis down')))
  await handle.stop()
  assert.equal(count(), 0)
})

test('reload() and watch() pick up added, changed and removed schedules', async (t) => {
  const { dir, runs } = fixture('  - { name: beat, type: interval, expression: 200ms }\n')
  const rt = new FunctionRuntime({ functionsDir: dir })
  t.after(() => rt.close())
  const seen = []
  const handle = rt.startSchedules({ onRun: (run) => seen.push(`${run.function}/${run.schedule}`) })
  t.after(() => handle.stop())
  await waitFor(() => seen.includes('tick/beat'))
  // Removed by an edit + reload(): tick stops; added by reload(): other starts.
  writeFiles(dir, {
    'tick/manifest.yaml': `name: tick\nenv:\n  RUNS: "${runs}"\n`,
    'other/bootstrap': sh('echo \'{"success":true}\''),
    'other/manifest.yaml': 'name: other\nschedules:\n  - { name: b, type: interval, expression: 200ms }\n',
  })
  rt.reload()
  seen.length = 0
  await waitFor(() => seen.includes('other/b'))
  await sleep(600)
  assert.equal(seen.filter((s) => s === 'tick/beat').length <= 1, true, `tick/beat kept firing: ${seen}`)
  const afterReload = seen.filter((s) => s === 'tick/beat').length
  await sleep(400)
  assert.equal(seen.filter((s) => s === 'tick/beat').length, afterReload)
  // Added under watch(): picked up without reload().
  const watcher = rt.watch(() => {}, { debounceMs: 50 })
  t.after(() => watcher.close())
  writeFiles(dir, {
    'late/bootstrap': sh('echo \'{"success":true}\''),
    'late/manifest.yaml': 'name: late\nschedules:\n  - { name: c, type: interval, expression: 200ms }\n',
  })
  await waitFor(() => seen.includes('late/c'))
  assert.ok(rt.schedules().some((s) => s.function === 'late' && s.name === 'c'))
})

test('stop() and close(): no run starts after them, and none is left running', async (t) => {
  const { dir, count } = fixture('  - { name: beat, type: interval, expression: 100ms }\n')
  let rt = new FunctionRuntime({ functionsDir: dir })
  const handle = rt.startSchedules()
  await waitFor(() => count() >= 2)
  await handle.stop()
  const atStop = count()
  await sleep(700)
  assert.equal(count(), atStop, 'no run after stop()')
  await rt.close()

  // close() while a run is in progress: it ends CANCELLED, and nothing follows.
  const slow = functionsDir({
    'slow/bootstrap': sh('echo start >> "$RUNS"; sleep 30'),
    'slow/manifest.yaml': `name: slow\nenv:\n  RUNS: "${path.join(dir, 'slow.log')}"\nschedules:\n  - { name: s, type: interval, expression: 200ms }\n`,
  })
  rt = new FunctionRuntime({ functionsDir: slow })
  t.after(() => rt.close())
  const runs = []
  rt.startSchedules({ onRun: (run) => runs.push(run) })
  const slowLog = path.join(dir, 'slow.log')
  await waitFor(() => fs.existsSync(slowLog))
  await rt.close()
  await waitFor(() => runs.some((r) => r.result))
  assert.equal(runs.find((r) => r.result).result.error.code, 'CANCELLED')
  const lines = fs.readFileSync(slowLog, 'utf8')
  await sleep(600)
  assert.equal(fs.readFileSync(slowLog, 'utf8'), lines, 'no run after close()')
  assert.throws(() => rt.startSchedules(), /closed/)
})
