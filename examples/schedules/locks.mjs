// `lock(key, ttlMs)` adapters for rt.startSchedules() on several replicas
// (docs/SCHEDULES.md): each due run fires on exactly one replica — the one
// whose lock call returns true. Copy the one you need.

/**
 * Redis (ioredis): `SET key 1 NX PX ttl` succeeds for exactly one caller.
 * With node-redis: `(await client.set(key, "1", { NX: true, PX: ttlMs })) === "OK"`.
 */
export function redisLock(redis) {
  return async (key, ttlMs) => (await redis.set(key, '1', 'PX', ttlMs, 'NX')) === 'OK'
}

/** The table postgresLock records claimed runs in; run once. */
export const POSTGRES_SCHEMA = `CREATE TABLE IF NOT EXISTS alyx_schedule_runs (
  key text PRIMARY KEY,
  expires_at timestamptz NOT NULL
)`

/**
 * Postgres (pg's Pool). `pg_try_advisory_xact_lock` alone is not enough: it is
 * released at commit, so a replica that asks a moment later would get it too.
 * The advisory lock serialises the claim; the row (kept for ttlMs) is the claim.
 */
export function postgresLock(pool) {
  return async (key, ttlMs) => {
    const client = await pool.connect()
    try {
      await client.query('BEGIN')
      const { rows } = await client.query('SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0)) AS locked', [key])
      if (!rows[0].locked) {
        await client.query('ROLLBACK')
        return false
      }
      await client.query('DELETE FROM alyx_schedule_runs WHERE expires_at < now()')
      const claimed = await client.query(
        "INSERT INTO alyx_schedule_runs (key, expires_at) VALUES ($1, now() + $2 * interval '1 millisecond') ON CONFLICT (key) DO NOTHING",
        [key, ttlMs],
      )
      await client.query('COMMIT')
      return claimed.rowCount === 1
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {})
      throw err
    } finally {
      client.release()
    }
  }
}
