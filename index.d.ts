// Type definitions for @alyx/runtime — hand-written to match the API contract
// (the generated binding.d.ts only describes the JSON-text native layer).
// Function input and output are `unknown`: the runtime moves any JSON value.

// ---------------------------------------------------------------------------
// Outcome codes
// ---------------------------------------------------------------------------

/**
 * The codes the runtime itself produces in `InvokeResult.error.code`
 * (a function's own `error.code` is passed through unchanged).
 */
export declare const CODES: {
  /** No such function in `functionsDir`. */
  readonly FUNCTION_NOT_FOUND: 'FUNCTION_NOT_FOUND'
  /** Name not `^[A-Za-z0-9][A-Za-z0-9_-]*$`; nothing outside `functionsDir` is touched. */
  readonly INVALID_FUNCTION_NAME: 'INVALID_FUNCTION_NAME'
  /** The function's `manifest.yaml` is invalid; the message names file and field. */
  readonly INVALID_MANIFEST: 'INVALID_MANIFEST'
  /** The input cannot be serialised to JSON (a cycle, a BigInt). */
  readonly INVALID_INPUT: 'INVALID_INPUT'
  /** The runtime's command is not on PATH; the message says how to install it. */
  readonly RUNTIME_NOT_FOUND: 'RUNTIME_NOT_FOUND'
  /** The OS refused to start the process (permissions, bad interpreter). */
  readonly SPAWN_FAILED: 'SPAWN_FAILED'
  /** The manifest's build step failed; `details` carry its output. */
  readonly BUILD_FAILED: 'BUILD_FAILED'
  /**
   * Ran past its timeout (counted from process start, or from the call while
   * it waited on a build); the whole process group was killed. If it had
   * already written a complete response, the message says so.
   */
  readonly TIMEOUT: 'TIMEOUT'
  /** `maxQueue` calls were already waiting; nothing ran. */
  readonly QUEUE_FULL: 'QUEUE_FULL'
  /** The AbortSignal fired or the runtime was closed; the process group was killed. */
  readonly CANCELLED: 'CANCELLED'
  /** stdout passed `maxOutputBytes`; the process group was killed. */
  readonly OUTPUT_TOO_LARGE: 'OUTPUT_TOO_LARGE'
  /** Passed the manifest's `memory` limit; killed. */
  readonly MEMORY_LIMIT_EXCEEDED: 'MEMORY_LIMIT_EXCEEDED'
  /** stdout held no response; `details` carry stdout/stderr excerpts. */
  readonly INVALID_OUTPUT: 'INVALID_OUTPUT'
  /** Non-zero exit and no structured error; `details`: `exitCode`, stderr tail. */
  readonly EXIT_ERROR: 'EXIT_ERROR'
  /** Died of a signal the runtime did not send; `InvokeResult.signal` is set. */
  readonly KILLED: 'KILLED'
  /** A warm worker exited or was not ready in time; `details` carry its stderr tail. */
  readonly WORKER_START_FAILED: 'WORKER_START_FAILED'
  /** The function asks for a sandbox this OS cannot enforce (not Linux, Landlock off or too old); it did not run. */
  readonly SANDBOX_UNAVAILABLE: 'SANDBOX_UNAVAILABLE'
}

/** One of the runtime's own outcome codes (see {@link CODES}). */
export type OutcomeCode = (typeof CODES)[keyof typeof CODES]

// ---------------------------------------------------------------------------
// Options
// ---------------------------------------------------------------------------

/** A runtime definition: how to start a function written for it. */
export interface RuntimeSpec {
  /**
   * The program and, as an array, its leading arguments (`["python3", "-S"]`;
   * `args` come after those).
   * A bare name is looked for on PATH, then in the `node_modules/.bin` folders
   * from `functionsDir` up to `/` and from the host's cwd up; an absolute path
   * is used as is; a relative path (`./.venv/bin/python`) is resolved in each
   * function's directory and must exist there.
   */
  command: string | string[]
  /**
   * Arguments placed before the entry file. Absent: an override of a default
   * runtime keeps the default's (`deno` keeps `run -A`, `bun` keeps `run`);
   * given (even `[]`): exactly these. Default for a new runtime: none.
   */
  args?: string[]
  /** Entry-file extensions that select this runtime, with the dot (e.g. `[".rb"]`). Default: none. */
  extensions?: string[]
}

export interface RuntimeOptions {
  /** Directory scanned (non-recursively) for functions: one sub-directory per function. */
  functionsDir: string
  /** Default per-invocation timeout in ms (a manifest `timeout` or `InvokeOptions.timeoutMs` overrides it). Default: `30000`. */
  timeoutMs?: number
  /** Function processes alive at once, across all functions; further calls wait in FIFO order. `0` = unlimited. Default: `0`. */
  maxConcurrency?: number
  /** Cap on a function's stdout, in bytes; past it the call ends with `OUTPUT_TOO_LARGE`. Default: `67108864` (64 MiB). */
  maxOutputBytes?: number
  /** Grace between SIGTERM and SIGKILL on timeout or cancel, in ms. Default: `500`. */
  killGraceMs?: number
  /** Sent as `context.alyx_url` and `ALYX_URL`. Default: `"http://localhost:8090"`. */
  alyxUrl?: string
  /** Added to every function's process environment (not to `context.env`). Default: `{}`. */
  env?: Record<string, string>
  /**
   * Host environment variables passed through to functions. Default: a safe
   * allowlist (`PATH HOME USER LANG LC_ALL TZ TMPDIR`, plus on Windows
   * `SystemRoot PATHEXT ComSpec TEMP TMP USERPROFILE APPDATA LOCALAPPDATA`,
   * plus the runtimes' own variables such as `DENO_DIR`, `GOCACHE`, `GOPATH`).
   * `true` = the whole host environment; `false` = none; an array = these names.
   */
  inheritEnv?: boolean | string[]
  /** Adds runtimes or overrides the defaults (deno, node, bun, python, go, ruby, binary), by name. Default: `{}`. */
  runtimes?: Record<string, RuntimeSpec>
  /** Upper bound on an internal token's life, in ms (it also ends with its invocation). Default: `300000`. */
  tokenTtlMs?: number
  /**
   * Append the SDKs bundled in this package to `PYTHONPATH` (Python) and
   * `RUBYLIB` (Ruby), so `import alyx` / `require "alyx"` work in every
   * function without copying a file; a function's own copy still wins.
   * Default: `true`.
   */
  sdkPaths?: boolean
  /**
   * Signs internal tokens (HMAC-SHA256; at least 32 bytes, else the constructor throws): they become
   * self-contained URL-safe strings carrying function name, request id and expiry, which `verifyToken`
   * accepts on any runtime holding the same secret until they expire (another replica behind a load
   * balancer). Default: none (tokens are 64 hex chars known only to this runtime).
   */
  tokenSecret?: string
  /**
   * Per-call `env` names the host allows although they make a runtime load code (`NODE_OPTIONS`,
   * `PYTHON*`, `LD_*`, …; see SECURITY.md). `ALYX_*` and names that are not identifiers are always
   * refused. Default: `[]`.
   */
  allowCallEnv?: string[]
  /**
   * Sandboxes every function (Linux, Landlock): `true` for the default policy, or a policy. A
   * manifest's own `sandbox` can only tighten it. A call whose sandbox the OS cannot enforce fails
   * with `SANDBOX_UNAVAILABLE` and does not run. Default: none.
   */
  sandbox?: boolean | SandboxPolicy
  /** Calls allowed to wait for a slot; one more resolves `QUEUE_FULL` at once. Default: unlimited. */
  maxQueue?: number
  /** Where compiled artifacts (Go binaries) are written. Default: `<function dir>/.alyx`. */
  cacheDir?: string
  /**
   * On SIGINT/SIGTERM/SIGHUP, stop running functions (SIGTERM, then SIGKILL
   * after `killGraceMs`; they resolve `CANCELLED`), then re-raise the signal
   * if no other handler is installed. `false` for hosts that drain and
   * `close()` themselves. Default: `true`.
   */
  handleSignals?: boolean
  /**
   * Keep functions warm, by name (overrides their manifest `warm`): `true` =
   * worker mode with defaults, `false` = one-shot, or a `WarmSpec`. Invalid
   * values throw a TypeError naming the field (`options.warm.hello.max`).
   */
  warm?: Record<string, WarmSpec | boolean>
}

/**
 * How a function is kept warm (manifest `warm`, or `RuntimeOptions.warm`).
 * `worker`: long-lived processes speaking the worker protocol
 * (docs/PROTOCOL.md), one call at a time each. `standby`: one-shot
 * processes started ahead, each taking one call.
 */
export interface WarmSpec {
  /** Default: `"worker"`. */
  mode?: 'worker' | 'standby'
  /** Processes kept ready even when idle; `0` = start on the first call. Default: `1`. */
  min?: number
  /** Processes of this function at once; more calls wait FIFO. Default: the CPU count. */
  max?: number
  /** A ready process above `min` idle this long is stopped: ms, or a duration such as `"60s"`. Default: 60 s. */
  idle?: number | string
  /** Worker: replaced after this many calls; `0` = never. Default: `0`. */
  maxRequests?: number
}

/** `pools()`: one warm function's processes. */
export interface PoolInfo {
  name: string
  mode: 'worker' | 'standby'
  /** Processes ready for a call. */
  ready: number
  /** Processes serving a call. */
  busy: number
  /** Processes started but not ready yet. */
  starting: number
  /** Calls served. */
  served: number
  /** Processes stopped after a fault (and replaced). */
  replaced: number
  /** The last start failure or fault, or null. */
  lastError: string | null
  /** Pids of the ready and busy processes. */
  pids: number[]
}

/** What a valid internal token says (`tokenClaims`). */
export interface TokenClaims {
  functionName: string
  requestId: string
  /** Epoch milliseconds. */
  expiresAt: number
}

/** The caller's identity, passed to the function as `context.auth` (and `ALYX_AUTH`). */
export interface AuthContext {
  id: string
  email?: string
  role?: string
  verified?: boolean
  metadata?: Record<string, unknown>
}

export interface InvokeOptions {
  /** Becomes `context.auth`. Default: `null`. */
  auth?: AuthContext | null
  /**
   * Per-call environment, on top of the manifest `env` (also in `context.env`). Keys must match
   * `^[A-Za-z_][A-Za-z0-9_]*$`, must not start with `ALYX_` nor make a runtime load code (unless listed
   * in `RuntimeOptions.allowCallEnv`); values must not hold NUL. Otherwise the result is `INVALID_INPUT`
   * naming the key, and nothing runs. Default: `{}`.
   */
  env?: Record<string, string>
  /** Timeout for this call in ms; overrides the manifest and `RuntimeOptions.timeoutMs`. Default: the manifest's, else `RuntimeOptions.timeoutMs`. */
  timeoutMs?: number
  /** The request id (`request_id`, `ALYX_REQUEST_ID`). Default: a new UUID v4. */
  requestId?: string
  /** Aborting kills the process group; the result's code is `CANCELLED`. An already aborted signal spawns nothing. */
  signal?: AbortSignal
  /** Called with each log line as it arrives (stderr is streamed live). Default: none. */
  onLog?: (entry: LogEntry) => void
}

// ---------------------------------------------------------------------------
// Results
// ---------------------------------------------------------------------------

export interface LogEntry {
  level: 'debug' | 'info' | 'warn' | 'error'
  message: string
  data?: Record<string, unknown>
  /** RFC 3339. */
  timestamp?: string
  /** `response`: the response's `logs`; `stdout`: lines before the response; `stderr`: each stderr line. */
  source: 'response' | 'stderr' | 'stdout'
}

export interface InvokeError {
  /** A runtime {@link OutcomeCode}, or the function's own code, passed through. */
  code: OutcomeCode | (string & {})
  message: string
  details?: Record<string, unknown>
}

export interface InvokeResultBase {
  /** Response logs first, then stdout lines, then stderr lines, in arrival order. */
  logs: LogEntry[]
  requestId: string
  durationMs: number
  /** `null` when killed by a signal or never spawned. */
  exitCode: number | null
  /** The signal the process died of (e.g. `"SIGKILL"`), when it did. */
  signal?: string
  /** Time spent waiting for a slot (or a build) before the process started, in ms. */
  queuedMs: number
}

/** The function answered `success: true`. */
export interface InvokeSuccess extends InvokeResultBase {
  success: true
  /** The function's output (any JSON value). */
  output?: unknown
  error?: undefined
}

/** The function, or running it, failed. */
export interface InvokeFailure extends InvokeResultBase {
  success: false
  output?: undefined
  error: InvokeError
}

/**
 * What `invoke` resolves with. A failed *function* resolves with
 * `success: false` (it never rejects); narrow on `success`.
 */
export type InvokeResult = InvokeSuccess | InvokeFailure

// ---------------------------------------------------------------------------
// Manifest (manifest.yaml, with its YAML field names)
// ---------------------------------------------------------------------------

export interface Route {
  /** Starts with `/`. */
  path: string
  /** Upper-cased: GET POST PUT PATCH DELETE HEAD OPTIONS; at least one. */
  methods: string[]
}

export interface HookVerification {
  type: 'hmac-sha256' | 'hmac-sha1'
  /** The request header carrying the signature. */
  header: string
  /** As written (often `${SECRET}`), unexpanded. */
  secret: string
}

export interface HookConfig {
  /** A duration (`"30s"`). */
  timeout?: string
  /** Every other key, as written. */
  [key: string]: unknown
}

export interface Hook {
  type: 'database' | 'auth' | 'webhook'
  /** Required for `database` and `auth` hooks. */
  source?: string
  /** Required for `database` and `auth` hooks. */
  action?: string
  mode?: 'sync' | 'async'
  /** Required for `webhook` hooks. */
  verification?: HookVerification
  config?: HookConfig
}

export interface Schedule {
  name: string
  type: 'cron' | 'interval' | 'one_time'
  /** A cron expression, a duration (interval), or an RFC 3339 time (one_time). */
  expression: string
  /** An IANA zone. */
  timezone?: string
  config?: Record<string, unknown>
  /** Input for the scheduled invocation. */
  input?: unknown
}

export interface BuildConfig {
  /** Run with the function's directory as cwd. */
  command: string
  args: string[]
  /** The built entry, relative to the function directory. */
  output: string
  /** Globs (relative to the function directory) whose changes make the output stale. */
  watch: string[]
  /** A duration; the build is killed past it. Default: `"10m"`. */
  timeout?: string
}

/** A parsed, validated `manifest.yaml`. Unknown keys are ignored. */
export interface Manifest {
  name: string
  runtime?: string
  /** `entry`, or its alias `entrypoint`. */
  entry?: string
  description?: string
  /** As written: `"30s"`, `"5m"`, `"1500ms"`, `"30"` (seconds). */
  timeout?: string
  /** As written: `"128mb"`, `"1gb"`, `"256"` (MB). */
  memory?: string
  /** As written or expanded (`${VAR}` from the host env). */
  env: Record<string, string>
  dependencies: string[]
  /** Max parallel instances of this function. */
  concurrency?: number
  routes: Route[]
  hooks: Hook[]
  schedules: Schedule[]
  build?: BuildConfig
  /** `sandbox: true` or a policy (absent when `false` or not given). */
  sandbox?: SandboxPolicy
  /** `warm` with its defaults filled in; absent = one-shot. */
  warm?: ResolvedWarmSpec
}

/**
 * What a sandboxed function may do besides reading and writing its own
 * private temp dir (`TMPDIR`) and `/dev/null` (Linux, Landlock; SECURITY.md).
 */
export interface SandboxPolicy {
  /** Readable (and executable) paths; relative = inside the function's directory. Default: `["/"]`. */
  read?: string[]
  /** Writable paths besides the call's temp dir. Default: `[]` (the function's own directory is read-only). */
  write?: string[]
  /** TCP: `false` no connect or bind (default); `true` all; `[443, 5432]` connect to these ports only. */
  network?: boolean | number[]
}

/** `FunctionRuntime.sandboxSupport()`. */
export interface SandboxSupport {
  /** Sandboxed calls can run here (Linux with Landlock ABI ≥ 6). */
  available: boolean
  /** The kernel's Landlock ABI version; 0 without Landlock. */
  abi: number
  /** TCP rules can be enforced (ABI ≥ 4). */
  network: boolean
  /** Signals and abstract Unix sockets can be scoped (ABI ≥ 6). */
  scoping: boolean
}

/** A validated `warm` setting: every field present. */
export interface ResolvedWarmSpec {
  mode: 'worker' | 'standby'
  min: number
  max: number
  idleMs: number
  maxRequests: number
}

// ---------------------------------------------------------------------------
// Introspection
// ---------------------------------------------------------------------------

/** A runnable function found in `functionsDir` (paths absolute). */
export interface FunctionInfo {
  name: string
  runtime: string
  dir: string
  /** The entry file; for a function with `build`, the absolute `output` path. */
  entry: string
  /** The effective timeout. */
  timeoutMs: number
  memoryMb?: number | null
  /** The manifest `env` as written (`${DB_URL}` stays so): listing functions never reveals a host secret. */
  env: Record<string, string>
  hasManifest: boolean
  description?: string | null
  build?: BuildConfig | null
  routes: Route[]
  hooks: Hook[]
  schedules: Schedule[]
  concurrency?: number | null
  /** How it is kept warm (manifest `warm` or `RuntimeOptions.warm`); null = one-shot. */
  warm: ResolvedWarmSpec | null
}

/** A directory of `functionsDir` that was skipped, and why. */
export interface Diagnostic {
  name: string
  path: string
  message: string
}

export interface RuntimeInfo {
  name: string
  /** The program (a `command` array's first element); its leading arguments and the runtime's `args` are in `args`. */
  command: string
  args: string[]
  extensions: string[]
  /** Whether its command was found. */
  available: boolean
  /** Absolute path of the command, when found. */
  path?: string | null
  /** Its `--version`, when it could be read. */
  version?: string | null
  /** How to install it. */
  installHint: string
  /** Where it was found: `"PATH"`, a `node_modules/.bin` folder, …; null when missing. */
  foundIn?: string | null
  /** The version-manager shim (pyenv, asdf) `path` was resolved from: functions run `path` directly. */
  shim?: string | null
  /** Where it was looked for, when missing (`"PATH"`, `"node_modules/.bin from /app/functions up to /"`, …). */
  lookedIn: string[]
}

export interface BuildReport {
  success: boolean
  durationMs: number
  output: string
}

/** What `build()` did for one function. */
export interface FunctionBuildReport extends BuildReport {
  name: string
  /** `false` when the artifact was up to date and nothing ran. */
  built: boolean
}

/** Calls running and waiting. */
export interface Counts {
  running: number
  queued: number
}

/** `stats()`: totals, and per function with calls. */
export interface Stats extends Counts {
  functions: Record<string, Counts>
}

export interface WatchEvent {
  type: 'added' | 'changed' | 'removed' | 'build' | 'error'
  /** The function concerned. */
  name?: string
  /** The changed paths. */
  paths?: string[]
  /** For `build` events. */
  build?: BuildReport
  /** For `error` events. */
  message?: string
}

export interface WatchOptions {
  /** Quiet period per function before an event, in ms. Default: `100`. */
  debounceMs?: number
}

/** A running watch; close it to free its OS watches and let the host exit. */
export declare class Watcher {
  private constructor()
  /** Stops watching; resolves once no further event can arrive. Idempotent. */
  close(): Promise<void>
}

// ---------------------------------------------------------------------------
// The runtime
// ---------------------------------------------------------------------------

export declare class FunctionRuntime {
  /** Whether this OS can enforce the sandbox, and which parts. */
  static sandboxSupport(): SandboxSupport
  /**
   * Scans `functionsDir` synchronously.
   * @throws TypeError on bad options.
   */
  constructor(options: RuntimeOptions)
  /**
   * Runs the function `name` once with `input` (default `null`). Never
   * rejects because the function failed (see {@link InvokeFailure}); rejects
   * after `close()`, and with a TypeError on bad argument types. A function
   * added after construction is found without `reload()`.
   */
  invoke(name: string, input?: unknown, options?: InvokeOptions): Promise<InvokeResult>
  /** Valid functions, sorted by name. */
  list(): FunctionInfo[]
  /** The function called `name`, or `null`. */
  get(name: string): FunctionInfo | null
  /** Directories skipped by the last scan, and why. */
  diagnostics(): Diagnostic[]
  /** Rescans `functionsDir`; returns the new `list()`. */
  reload(): FunctionInfo[]
  /** The runtime registry with availability and versions. */
  runtimes(): Promise<RuntimeInfo[]>
  /**
   * Watches `functionsDir` recursively, keeps `list()` current, reruns build
   * steps, and calls `callback` with each event (debounced per function).
   * @throws Error when `functionsDir` does not exist or the runtime is closed.
   */
  watch(callback: (event: WatchEvent) => void, options?: WatchOptions): Watcher
  /**
   * True only for an internal token of a running invocation, within `tokenTtlMs`, byte for byte
   * (constant-time). With `tokenSecret`: any token signed with the same secret until its expiry,
   * except one this runtime issued to a call that has ended.
   */
  verifyToken(token: string): boolean
  /** The claims of a token `verifyToken` accepts; `null` otherwise. */
  tokenClaims(token: string): TokenClaims | null
  /**
   * Fires the manifests' `schedules` (cron with time zone, interval, one_time) until
   * `stop()` or `close()`; `reload()` and `watch()` changes are followed. One at a time
   * per runtime. See docs/SCHEDULES.md.
   * @throws Error when schedules are already started or the runtime is closed.
   */
  startSchedules(options?: ScheduleOptions): ScheduleHandle
  /** Every function's schedules with their next run. */
  schedules(): ScheduleInfo[]
  /**
   * Invokes every function with a `database`/`auth` hook matching the event: `async`
   * hooks start at once (results to `onResult`), then `sync` hooks run one after another
   * in function-name order; resolves with their results in that order.
   * @throws TypeError (rejects) on a malformed event.
   */
  emit(event: HookEvent, options?: EmitOptions): Promise<InvokeResult[]>
  /**
   * Runs build steps and Go compiles now, for `name` or every function that
   * has one; a build already under way is shared. Never rejects for a failed
   * build (see `success`).
   */
  build(name?: string): Promise<FunctionBuildReport[]>
  /** Calls running and waiting, in total and per function. */
  stats(): Stats
  /**
   * Resolves once `min` processes of the warm function `name` (or of every
   * warm function) are ready. Rejects with an Error whose `code` is
   * `WORKER_START_FAILED` and whose `details.stderr` holds the stderr tail.
   */
  warmup(name?: string): Promise<void>
  /** Every warm function's processes. */
  pools(): PoolInfo[]
  /**
   * Stops schedules, watchers and builds, and ends running and queued calls (they
   * resolve `CANCELLED`; running ones get SIGTERM, then SIGKILL after
   * `killGraceMs`). Idempotent.
   */
  close(): Promise<void>
}

export interface ScheduleOptions {
  /** After each run, or for a run skipped because the previous one still runs. */
  onRun?: (run: ScheduleRun) => void | Promise<void>
  /**
   * Asked before each run on several replicas; only the replica that gets `true` runs it.
   * `key` names the run (`alyx:schedule:<function>:<schedule>:<scheduledAt>`); `ttlMs`
   * is the function's timeout plus a minute. Redis: `SET key 1 NX PX ttlMs`.
   */
  lock?: (key: string, ttlMs: number) => boolean | Promise<boolean>
}
export interface ScheduleRun {
  /** The function's name. */
  function: string
  /** The schedule's name. */
  schedule: string
  /** When the run was due, epoch ms. */
  scheduledAt: number
  result?: InvokeResult
  skipped?: true
}
export interface ScheduleHandle {
  /** No run starts after this; resolves once the runs in progress have ended. Idempotent. */
  stop(): Promise<void>
}
export interface ScheduleInfo {
  function: string
  name: string
  type: 'cron' | 'interval' | 'one_time'
  expression: string
  /** The schedule's IANA zone; `"UTC"` when it names none. */
  timezone: string
  /** The next run, epoch ms; `null` when it never runs again (a past one_time) or cannot run. */
  nextRun: number | null
  /** Why it cannot run, when the expression or zone is rejected. */
  error?: string
}
export interface HookEvent {
  type: 'database' | 'auth'
  source: string
  action: string
  /** Passed to the functions as `payload`; default `null`. */
  payload?: unknown
}
export interface EmitOptions {
  /** Each `async` hook's result, with the function's name. */
  onResult?: (result: InvokeResult, meta: { function: string }) => void
}

/**
 * Parses and validates `manifest.yaml` text.
 * @throws Error naming the field, e.g. `manifest.yaml: timeout: invalid duration "abc"`.
 */
export declare function parseManifest(yamlText: string): Manifest

/**
 * Reads, parses and validates a manifest file.
 * @throws Error naming the file and the field.
 */
export declare function loadManifest(path: string): Manifest

// ---------------------------------------------------------------------------
// HTTP: the manifest's routes and webhooks (docs/HTTP.md)
// ---------------------------------------------------------------------------

export interface HttpHandlerOptions<Req = unknown> {
  /** Served under this path (`"/api"`: leading slash, no trailing one); `path` in the input excludes it. Default `""`. */
  prefix?: string
  /** Larger request bodies get 413 `PAYLOAD_TOO_LARGE` before anything runs. Default 1 MiB. */
  maxBodyBytes?: number
  /** Who is calling: becomes `context.auth`. Throwing gives 500 `INTERNAL_ERROR` (and `onError`). */
  auth?: (request: Req) => AuthContext | null | undefined | Promise<AuthContext | null | undefined>
  /** Errors of the handler itself (never sent to the client). Default: `process.emitWarning`. */
  onError?: (error: unknown) => void
}

/** What a routed function receives as `input` (Alyx-compatible). */
export interface HttpInput {
  method: string
  /** The request path without `prefix` and query, as sent (percent-encoded). */
  path: string
  /** `:name` segments (decoded) and `*` for the rest of a trailing wildcard. */
  params: Record<string, string>
  /** First value of each query parameter. */
  query: Record<string, string>
  /** Lower-cased names; repeated headers joined with ", ". */
  headers: Record<string, string>
  /** The raw body as text. */
  body: string
  /** Present (true) only for webhooks, whose signature was checked before the call. */
  verified?: true
}

/** A function output of this shape is the HTTP response; any other output is sent as 200 JSON. */
export interface HttpOutput {
  /** 200–599. */
  status: number
  headers?: Record<string, string | number | string[]>
  /** A string is sent as is (text/plain unless set); anything else as JSON. */
  body?: unknown
}

/** `(request: Request) => Promise<Response>` for Deno.serve, Bun.serve, Hono and other fetch-style servers. */
export declare function createFetchHandler(runtime: FunctionRuntime, options?: HttpHandlerOptions<Request>): (request: Request) => Promise<Response>

/** `(req, res, next?)` for node:http, Express and Connect; `next()` is called when no route matches (else 404). */
export declare function createNodeHandler(
  runtime: FunctionRuntime,
  options?: HttpHandlerOptions<import('node:http').IncomingMessage>,
): (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse, next?: (err?: unknown) => void) => void
