// Compiled with `tsc --strict --noEmit` (scripts/test.d/30-types.sh), never
// run: every export of index.d.ts used the way the contract says, plus
// `@ts-expect-error` lines proving the types reject misuse.

import {
  CODES,
  FunctionRuntime,
  createFetchHandler,
  createNodeHandler,
  type HttpInput,
  type HttpOutput,
  Watcher,
  loadManifest,
  parseManifest,
  type AuthContext,
  type BuildConfig,
  type Diagnostic,
  type FunctionInfo,
  type PoolInfo,
  type Hook,
  type InvokeError,
  type InvokeOptions,
  type InvokeResult,
  type LogEntry,
  type Manifest,
  type OutcomeCode,
  type Route,
  type RuntimeInfo,
  type RuntimeOptions,
  type RuntimeSpec,
  type Schedule,
  type WatchEvent,
} from '../../index.js'

// ---- options ----

const python: RuntimeSpec = { command: ['python3', 'python'], args: ['-u'], extensions: ['.py'] }
const options: RuntimeOptions = {
  functionsDir: './functions',
  timeoutMs: 30_000,
  maxConcurrency: 0,
  maxOutputBytes: 64 * 1024 * 1024,
  killGraceMs: 500,
  alyxUrl: 'http://localhost:8090',
  env: { API_KEY: 'k' },
  inheritEnv: ['PATH', 'HOME'],
  runtimes: { python, lua: { command: 'lua' } },
  tokenTtlMs: 300_000,
}
const minimal: RuntimeOptions = { functionsDir: 'f' }
const inheritAll: RuntimeOptions = { functionsDir: 'f', inheritEnv: true }
// @ts-expect-error functionsDir is required
const noDir: RuntimeOptions = { timeoutMs: 1 }
// @ts-expect-error env values are strings
const badEnv: RuntimeOptions = { functionsDir: 'f', env: { PORT: 8080 } }
void [minimal, inheritAll, noDir, badEnv]

async function main(): Promise<void> {
  const rt = new FunctionRuntime(options)

  // ---- invoke ----
  const auth: AuthContext = { id: 'user123', email: 'a@b.c', role: 'admin', verified: true, metadata: { plan: 'pro' } }
  const controller = new AbortController()
  const logs: LogEntry[] = []
  const invokeOptions: InvokeOptions = {
    auth,
    env: { FEATURE: 'on' },
    timeoutMs: 5_000,
    requestId: 'req-1',
    signal: controller.signal,
    onLog: (entry) => {
      const level: 'debug' | 'info' | 'warn' | 'error' = entry.level
      const source: 'response' | 'stderr' | 'stdout' = entry.source
      const ts: string | undefined = entry.timestamp
      const data: Record<string, unknown> | undefined = entry.data
      logs.push(entry)
      void [level, source, ts, data]
    },
  }
  const res: InvokeResult = await rt.invoke('hello', { name: 'World' }, invokeOptions)
  await rt.invoke('hello')
  await rt.invoke('hello', null, { auth: null })
  await rt.invoke('hello', [1, 'two', { three: 3 }])

  const requestId: string = res.requestId
  const durationMs: number = res.durationMs
  const exitCode: number | null = res.exitCode
  const signal: string | undefined = res.signal
  const allLogs: LogEntry[] = res.logs
  void [requestId, durationMs, exitCode, signal, allLogs]

  if (res.success) {
    const output: unknown = res.output
    // @ts-expect-error output is unknown: narrow it before use
    output.message.toUpperCase()
    if (typeof output === 'object' && output !== null && 'message' in output) console.log(output.message)
  } else {
    const err: InvokeError = res.error
    const code: string = err.code
    const message: string = err.message
    const details: Record<string, unknown> | undefined = err.details
    void [code, message, details]
    switch (err.code) {
      case CODES.TIMEOUT:
      case CODES.CANCELLED:
      case 'VALIDATION_ERROR': // a function's own code
        break
    }
  }
  // @ts-expect-error error may be absent until success is narrowed
  res.error.code

  // @ts-expect-error the name is a string
  rt.invoke(42)
  // @ts-expect-error timeoutMs is a number
  rt.invoke('hello', {}, { timeoutMs: '5s' })
  // @ts-expect-error unknown log level
  const badLog: LogEntry = { level: 'trace', message: 'x', source: 'stderr' }
  void badLog

  // ---- outcome codes ----
  const codes: OutcomeCode[] = Object.values(CODES)
  const timeout: 'TIMEOUT' = CODES.TIMEOUT
  const all: OutcomeCode[] = [
    CODES.FUNCTION_NOT_FOUND,
    CODES.INVALID_FUNCTION_NAME,
    CODES.INVALID_MANIFEST,
    CODES.INVALID_INPUT,
    CODES.RUNTIME_NOT_FOUND,
    CODES.SPAWN_FAILED,
    CODES.BUILD_FAILED,
    CODES.TIMEOUT,
    CODES.CANCELLED,
    CODES.OUTPUT_TOO_LARGE,
    CODES.MEMORY_LIMIT_EXCEEDED,
    CODES.INVALID_OUTPUT,
    CODES.EXIT_ERROR,
    CODES.KILLED,
  ]
  // @ts-expect-error CODES is read-only
  CODES.TIMEOUT = 'X'
  // @ts-expect-error not an outcome code
  const notACode: OutcomeCode = 'VALIDATION_ERROR'
  void [codes, timeout, all, notACode]

  // ---- introspection ----
  const list: FunctionInfo[] = rt.list()
  const one: FunctionInfo | null = rt.get('hello')
  if (one) {
    const { name, runtime, dir, entry, timeoutMs, hasManifest, env, routes, hooks, schedules } = one
    const memoryMb: number | null | undefined = one.memoryMb
    const description: string | null | undefined = one.description
    const build: BuildConfig | null | undefined = one.build
    const concurrency: number | null | undefined = one.concurrency
    const warmMode: 'worker' | 'standby' | undefined = one.warm?.mode
    void [name, runtime, dir, entry, timeoutMs, hasManifest, env, routes, hooks, schedules, memoryMb, description, build, concurrency, warmMode]
  }

  // ---- warm processes ----
  const warmRt = new FunctionRuntime({ functionsDir: './functions', warm: { hello: true, other: { mode: 'standby', min: 0, idle: '30s' } } })
  const warming: Promise<void> = warmRt.warmup('hello')
  const pools: PoolInfo[] = warmRt.pools()
  for (const p of pools) {
    const counts: number[] = [p.ready, p.busy, p.starting, p.served, p.replaced, ...p.pids]
    const lastError: string | null = p.lastError
    void [counts, lastError, p.mode satisfies 'worker' | 'standby']
  }
  // @ts-expect-error mode is worker or standby
  new FunctionRuntime({ functionsDir: '.', warm: { hello: { mode: 'hot' } } })
  void [warming]
  // @ts-expect-error get() may return null
  rt.get('hello').name
  const diagnostics: Diagnostic[] = rt.diagnostics()
  for (const d of diagnostics) console.log(d.name, d.path, d.message)
  const reloaded: FunctionInfo[] = rt.reload()
  const runtimes: RuntimeInfo[] = await rt.runtimes()
  for (const r of runtimes) {
    const parts: [string, string, string[], string[], boolean, string] = [r.name, r.command, r.args, r.extensions, r.available, r.installHint]
    const where: string | null | undefined = r.path
    const version: string | null | undefined = r.version
    void [parts, where, version]
  }
  void [list, reloaded]

  // ---- watch ----
  const events: WatchEvent[] = []
  const watcher: Watcher = rt.watch(
    (event) => {
      events.push(event)
      switch (event.type) {
        case 'added':
        case 'changed':
        case 'removed':
          console.log(event.name, event.paths?.join(','))
          break
        case 'build':
          if (event.build) console.log(event.build.success, event.build.durationMs, event.build.output)
          break
        case 'error':
          console.log(event.message)
          break
      }
    },
    { debounceMs: 50 },
  )
  rt.watch(() => {})
  await watcher.close()
  // @ts-expect-error Watcher is created by watch(), not constructed
  new Watcher()

  // ---- tokens, close ----
  const valid: boolean = rt.verifyToken('0'.repeat(64))
  void valid
  const closed: Promise<void> = rt.close()
  await closed
}

// ---- manifests ----

const manifest: Manifest = parseManifest('name: hello\nruntime: node\n')
const loaded: Manifest = loadManifest('./functions/hello/manifest.yaml')
const fields: [string, string | undefined, string | undefined, string | undefined, string | undefined, string | undefined] = [
  manifest.name,
  manifest.runtime,
  manifest.entry,
  manifest.description,
  manifest.timeout,
  manifest.memory,
]
const env: Record<string, string> = manifest.env
const deps: string[] = manifest.dependencies
const concurrency: number | undefined = manifest.concurrency
const routes: Route[] = manifest.routes
const hooks: Hook[] = manifest.hooks
const schedules: Schedule[] = manifest.schedules
const build: BuildConfig | undefined = loaded.build
for (const route of routes) console.log(route.path, route.methods.join(' '))
for (const hook of hooks) {
  const kind: 'database' | 'auth' | 'webhook' = hook.type
  const mode: 'sync' | 'async' | undefined = hook.mode
  if (hook.verification) {
    const v: 'hmac-sha256' | 'hmac-sha1' = hook.verification.type
    console.log(v, hook.verification.header, hook.verification.secret)
  }
  const hookTimeout: string | undefined = hook.config?.timeout
  const extra: unknown = hook.config?.['on_failure']
  void [kind, mode, hook.source, hook.action, hookTimeout, extra]
}
for (const s of schedules) {
  const kind: 'cron' | 'interval' | 'one_time' = s.type
  const input: unknown = s.input
  const config: Record<string, unknown> | undefined = s.config
  void [kind, s.name, s.expression, s.timezone, input, config]
}
if (build) console.log(build.command, build.args, build.output, build.watch)
void [fields, env, deps, concurrency]

// HTTP handlers (docs/HTTP.md).
{
  const rt = new FunctionRuntime({ functionsDir: './functions' })
  const fetchHandler: (request: Request) => Promise<Response> = createFetchHandler(rt, {
    prefix: '/api',
    maxBodyBytes: 1024,
    auth: (req) => (req.headers.get('x-user') ? { id: 'u1' } : null),
  })
  const nodeHandler = createNodeHandler(rt, { auth: async (req) => ({ id: String(req.headers['x-user']) }), onError: console.error })
  const input: HttpInput = { method: 'GET', path: '/', params: {}, query: {}, headers: {}, body: '' }
  const output: HttpOutput = { status: 201, headers: { 'x-a': 'b', 'set-cookie': ['a=1'] }, body: { ok: true } }
  // @ts-expect-error prefix is a string
  createFetchHandler(rt, { prefix: 1 })
  void [fetchHandler, nodeHandler, input, output]
  const handle = rt.startSchedules({
    onRun: (run) => console.log(run.function, run.schedule, run.scheduledAt, run.skipped ?? run.result?.success),
    lock: async (key: string, ttlMs: number) => key.length > ttlMs,
  })
  const stopped: Promise<void> = handle.stop()
  const next: (number | null)[] = rt.schedules().map((s) => s.nextRun)
  const results: Promise<InvokeResult[]> = rt.emit(
    { type: 'database', source: 'users', action: 'insert', payload: { id: 1 } },
    { onResult: (r, meta) => console.log(meta.function, r.success) },
  )
  // @ts-expect-error only database and auth events
  void rt.emit({ type: 'webhook', source: 'x', action: 'y' })
  void [stopped, next, results]
}

main().catch((e: unknown) => {
  console.error(e)
  process.exitCode = 1
})
