// Exactly once across replicas: two host processes run the same interval
// schedule with the Redis lock (examples/schedules/locks.mjs) against a real
// redis-server started here on a free port. Every due run in the time both
// were up fires once in total. The Postgres adapter runs the same check when
// ALYX_TEST_POSTGRES_URL names a server (skipped loudly otherwise).
import test from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { functionsDir, needs, root, sh, waitFor } from './helpers.mjs'

const replicaScript = path.join(root, '__test__', 'fixtures', 'schedule-replica.mjs')
const INTERVAL_MS = 500

async function freePort() {
  const server = net.createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address()
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** redis-server on a free port, no persistence; stop() by pid. */
async function startRedis() {
  const port = await freePort()
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  child.stdout.setEncoding('utf8').on('data', (d) => (out += d))
  await waitFor(() => /Ready to accept connections/.test(out) || child.exitCode !== null, { timeoutMs: 15_000 })
  assert.equal(child.exitCode, null, `redis-server did not start: ${out}`)
  return {
    port,
    async stop() {
      const exited = once(child, 'exit')
      process.kill(child.pid, 'SIGTERM')
      await exited
    },
  }
}

function runReplica(dir, port, durationMs) {
  const child = spawn(process.execPath, [replicaScript, dir, String(port), String(durationMs)], { stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  child.stdout.setEncoding('utf8').on('data', (d) => (out += d))
  return once(child, 'exit').then(([code]) => {
    assert.equal(code, 0, `replica exited ${code}: ${out}`)
    return out.trim().split('\n').map((line) => JSON.parse(line))
  })
}

test('two replicas with the Redis lock: every due run fires exactly once', needs('redis-server'), async (t) => {
  const redis = await startRedis()
  t.after(() => redis.stop())
  const dir = functionsDir()
  const runsFile = path.join(dir, 'runs.log')
  fs.mkdirSync(path.join(dir, 'tick'))
  fs.writeFileSync(path.join(dir, 'tick', 'bootstrap'), sh(`echo run >> "${runsFile}"; echo '{"success":true}'`).text, { mode: 0o755 })
  fs.writeFileSync(path.join(dir, 'tick', 'manifest.yaml'), `name: tick\nschedules:\n  - { name: beat, type: interval, expression: ${INTERVAL_MS}ms }\n`)

  const [a, b] = await Promise.all([runReplica(dir, redis.port, 6_000), runReplica(dir, redis.port, 6_000)])
  const runs = [...a, ...b].filter((e) => e.event === 'run')
  const times = runs.map((r) => r.scheduledAt)
  assert.equal(new Set(times).size, times.length, `a run fired twice: ${times.sort()}`)
  assert.ok(runs.every((r) => r.success === true), JSON.stringify(runs))
  assert.equal(fs.readFileSync(runsFile, 'utf8').trim().split('\n').length, runs.length, 'one process per run')

  // Every multiple of the interval while both replicas were up ran, on one of them.
  const bothUp = Math.max(a[0].at, b[0].at)
  const oneStopping = Math.min(a.find((e) => e.event === 'stopping').at, b.find((e) => e.event === 'stopping').at)
  const due = []
  for (let at = (Math.floor(bothUp / INTERVAL_MS) + 1) * INTERVAL_MS; at < oneStopping - INTERVAL_MS; at += INTERVAL_MS) due.push(at)
  assert.ok(due.length >= 8, `only ${due.length} due runs overlapped`)
  for (const at of due) assert.ok(times.includes(at), `the run due at ${at} never fired`)
  const fromA = a.filter((e) => e.event === 'run').length
  const fromB = b.filter((e) => e.event === 'run').length
  console.log(`# ${runs.length} runs: ${fromA} on replica A, ${fromB} on replica B, ${due.length} due while both ran`)
})

test('two replicas with the Postgres lock: every due run fires exactly once', { skip: process.env.ALYX_TEST_POSTGRES_URL ? false : loudSkip() }, async () => {
  // Same check as above with postgresLock; runs only against a server you name.
  const { default: pg } = await import('pg')
  const { postgresLock, POSTGRES_SCHEMA } = await import('../examples/schedules/locks.mjs')
  const pool = new pg.Pool({ connectionString: process.env.ALYX_TEST_POSTGRES_URL })
  try {
    await pool.query(POSTGRES_SCHEMA)
    const lock = postgresLock(pool)
    const key = `alyx:schedule:test:pg:${Date.now()}`
    const answers = await Promise.all(Array.from({ length: 8 }, () => lock(key, 60_000)))
    assert.equal(answers.filter(Boolean).length, 1, `${answers}`)
    assert.equal(await lock(key, 60_000), false, 'asked again later: still taken')
  } finally {
    await pool.end()
  }
})

function loudSkip() {
  const msg = 'ALYX_TEST_POSTGRES_URL is not set: the Postgres lock adapter is not tested (set it to a server URL to run it)'
  console.error(`\n!!!!! SKIPPING: ${msg} !!!!!\n`)
  return msg
}
