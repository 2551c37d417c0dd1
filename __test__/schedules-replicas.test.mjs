// Exactly once across replicas: two host processes run the same interval
// schedule with a lock adapter of examples/schedules/locks.mjs against a real
// server started here on a free port. Every due run in the time both were up
// fires once in total. Redis (redis-server) is required under CI=true;
// Postgres runs when its server binaries (initdb, postgres) are installed and
// is skipped loudly otherwise.
import test from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { execFileSync, spawn } from 'node:child_process'
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

/** Spawns a server and waits for `ready` in its output; stop() signals `pid()` and waits for the exit. */
async function startServer(command, args, ready, pid = (child) => child.pid) {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  for (const s of [child.stdout, child.stderr]) s.setEncoding('utf8').on('data', (d) => (out += d))
  await waitFor(() => ready.test(out) || child.exitCode !== null, { timeoutMs: 30_000 })
  assert.equal(child.exitCode, null, `${command} did not start: ${out}`)
  return {
    async stop() {
      const exited = once(child, 'exit')
      process.kill(pid(child), 'SIGTERM')
      await exited
    },
  }
}

async function startRedis() {
  const port = await freePort()
  const server = await startServer(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    /Ready to accept connections/,
  )
  return { ...server, lockSpec: `redis:${port}` }
}

// Debian keeps the Postgres server binaries off PATH, in /usr/lib/postgresql/<v>/bin.
const pgBinDirs = () => {
  try {
    return fs.readdirSync('/usr/lib/postgresql').map((v) => path.join('/usr/lib/postgresql', v, 'bin'))
  } catch {
    return []
  }
}
const which = (cmd) => [...process.env.PATH.split(path.delimiter), ...pgBinDirs()].map((d) => path.join(d, cmd)).find((p) => fs.existsSync(p)) ?? null

/** A throwaway cluster (trust auth, loopback, no fsync); as root, run as the postgres user. */
async function startPostgres() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alyx-pg-'))
  const data = path.join(dir, 'data')
  const asUser = process.getuid() === 0 ? ['runuser', '-u', 'postgres', '--'] : []
  if (asUser.length) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']))
    const gid = Number(execFileSync('id', ['-g', 'postgres']))
    fs.chownSync(dir, uid, gid)
  }
  const run = (cmd, args) => (asUser.length ? [asUser[0], [...asUser.slice(1), cmd, ...args]] : [cmd, args])
  execFileSync(...run(which('initdb'), ['-D', data, '-A', 'trust', '-U', 'alyx', '--no-sync']), { stdio: 'ignore' })
  const port = await freePort()
  const settings = ['-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-k', dir, '-p', String(port)]
  // Signal the postmaster itself (its pid file), not runuser.
  const postmasterPid = () => Number(fs.readFileSync(path.join(data, 'postmaster.pid'), 'utf8').split('\n')[0])
  const server = await startServer(...run(which('postgres'), ['-D', data, ...settings]), /ready to accept connections/, postmasterPid)
  const url = `postgres://alyx@127.0.0.1:${port}/postgres`
  // The claims table, made once before the replicas start.
  const { default: pg } = await import('pg')
  const { POSTGRES_SCHEMA } = await import('../examples/schedules/locks.mjs')
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  await client.query(POSTGRES_SCHEMA)
  await client.end()
  return {
    lockSpec: `postgres:${url}`,
    async stop() {
      await server.stop()
      fs.rmSync(dir, { recursive: true, force: true })
    },
  }
}

function runReplica(dir, lockSpec, durationMs) {
  const child = spawn(process.execPath, [replicaScript, dir, lockSpec, String(durationMs)], { stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  child.stdout.setEncoding('utf8').on('data', (d) => (out += d))
  return once(child, 'exit').then(([code]) => {
    assert.equal(code, 0, `replica exited ${code}: ${out}`)
    return out
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
  })
}

async function exactlyOnce(lockSpec) {
  const dir = functionsDir()
  const runsFile = path.join(dir, 'runs.log')
  fs.mkdirSync(path.join(dir, 'tick'))
  fs.writeFileSync(path.join(dir, 'tick', 'bootstrap'), sh(`echo run >> "${runsFile}"; echo '{"success":true}'`).text, { mode: 0o755 })
  fs.writeFileSync(path.join(dir, 'tick', 'manifest.yaml'), `name: tick\nschedules:\n  - { name: beat, type: interval, expression: ${INTERVAL_MS}ms }\n`)

  const [a, b] = await Promise.all([runReplica(dir, lockSpec, 8_000), runReplica(dir, lockSpec, 8_000)])
  const runs = [...a, ...b].filter((e) => e.event === 'run')
  const times = runs.map((r) => r.scheduledAt)
  assert.equal(new Set(times).size, times.length, `a run fired twice: ${times.sort()}`)
  assert.ok(
    runs.every((r) => r.success === true),
    JSON.stringify(runs),
  )
  assert.equal(fs.readFileSync(runsFile, 'utf8').trim().split('\n').length, runs.length, 'one process per run')

  // Every multiple of the interval while both replicas were up ran, on one of them
  // (the last second before a replica stopped is left out: a timer there may be late under load).
  const bothUp = Math.max(a[0].at, b[0].at)
  const oneStopping = Math.min(a.find((e) => e.event === 'stopping').at, b.find((e) => e.event === 'stopping').at)
  const due = []
  for (let at = (Math.floor(bothUp / INTERVAL_MS) + 1) * INTERVAL_MS; at < oneStopping - 1_000; at += INTERVAL_MS) due.push(at)
  assert.ok(due.length >= 8, `only ${due.length} due runs overlapped`)
  for (const at of due) assert.ok(times.includes(at), `the run due at ${at} never fired`)
  const count = (list) => list.filter((e) => e.event === 'run').length
  console.log(`# ${lockSpec.split(':')[0]}: ${runs.length} runs, ${count(a)} on replica A and ${count(b)} on replica B; ${due.length} due while both ran`)
}

test('two replicas with the Redis lock: every due run fires exactly once', needs('redis-server'), async (t) => {
  const redis = await startRedis()
  t.after(() => redis.stop())
  await exactlyOnce(redis.lockSpec)
})

function userExists(name) {
  try {
    execFileSync('id', ['-u', name], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}
// PostgreSQL refuses to run as root: as root, the test needs a postgres user to run it as.
const pgMissing = ['initdb', 'postgres'].filter((c) => !which(c))
if (process.getuid() === 0 && !userExists('postgres')) pgMissing.push('a "postgres" user')
if (pgMissing.length) console.error(`\n!!!!! SKIPPING the Postgres lock test: missing ${pgMissing.join(', ')} (install postgresql) !!!!!\n`)

test('two replicas with the Postgres lock: every due run fires exactly once', {
  skip: pgMissing.length ? `missing ${pgMissing.join(', ')}` : false,
}, async (t) => {
  const pg = await startPostgres()
  t.after(() => pg.stop())
  await exactlyOnce(pg.lockSpec)
})
