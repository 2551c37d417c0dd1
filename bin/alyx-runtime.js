#!/usr/bin/env node
'use strict'
// alyx-runtime: the command line for @alyx/runtime. Human output (colour on a
// TTY, unless NO_COLOR is set) or --json for machines. Exit codes: 0 ok,
// 1 the function (or check) failed, 2 bad usage.

const fs = require('node:fs')
const path = require('node:path')
const { parseArgs } = require('node:util')
const { FunctionRuntime } = require('..')

const DEFAULT_DIR = './functions'
const USAGE_ERROR = 2

const COMMANDS = {
  doctor: {
    usage: 'doctor [--json]',
    summary: 'which runtimes are installed: path, version, how to install the missing ones',
    options: {},
    run: doctor,
  },
  list: {
    usage: 'list [--dir D] [--json]',
    summary: 'the functions in the functions directory, and the directories skipped',
    options: { dir: { type: 'string', default: DEFAULT_DIR } },
    run: list,
  },
  invoke: {
    usage: 'invoke <name> [json | -] [--dir D] [--timeout ms] [--json]',
    summary: 'run a function once: output on stdout, logs on stderr (json "-" reads the input from stdin)',
    options: { dir: { type: 'string', default: DEFAULT_DIR }, timeout: { type: 'string' } },
    run: invoke,
  },
  build: {
    usage: 'build [name] [--dir D] [--json]',
    summary: 'run build steps and Go compiles now (all functions that have one, or <name>)',
    options: { dir: { type: 'string', default: DEFAULT_DIR } },
    run: build,
  },
  watch: {
    usage: 'watch [--dir D] [--json]',
    summary: 'print added/changed/removed/build events until Ctrl-C (--json: one JSON object per line)',
    options: { dir: { type: 'string', default: DEFAULT_DIR } },
    run: watch,
  },
}
const COMMON_OPTIONS = { json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } }

// ---- output ----

function painter(stream) {
  const on = Boolean(stream.isTTY) && !process.env.NO_COLOR
  const paint = (code) => (text) => (on ? `\x1b[${code}m${text}\x1b[0m` : String(text))
  return { bold: paint(1), dim: paint(2), red: paint(31), green: paint(32), yellow: paint(33), cyan: paint(36) }
}
const out = painter(process.stdout)
const err = painter(process.stderr)

const printJson = (value) => console.log(JSON.stringify(value, null, 2))

function table(rows) {
  const visible = (s) => String(s).replace(/\x1b\[\d+m/g, '').length
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => visible(r[i]))))
  return rows
    .map((r) =>
      r
        .map((c, i) => String(c) + ' '.repeat(widths[i] - visible(c)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')
}

function usageText(name) {
  if (name) {
    const c = COMMANDS[name]
    return `Usage: alyx-runtime ${c.usage}\n\n${c.summary}\n\nOptions:\n${optionHelp(name)}`
  }
  const lines = Object.entries(COMMANDS).map(([n, c]) => `  ${n.padEnd(8)}${c.summary}`)
  return `Usage: alyx-runtime <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nRun \`alyx-runtime <command> --help\` for a command's options.\n  -v, --version  print the version\n  -h, --help     print this help`
}

function optionHelp(name) {
  const help = {
    dir: `functions directory (default ${DEFAULT_DIR})`,
    timeout: 'timeout in milliseconds for this invocation (default: the manifest, else 30000)',
    json: 'machine-readable JSON output',
    help: 'print this help',
  }
  const names = [...Object.keys(COMMANDS[name].options), ...Object.keys(COMMON_OPTIONS)]
  return names.map((o) => `  --${o.padEnd(9)}${help[o]}`).join('\n')
}

/** Ends the command with a message and an exit code (2 = bad usage). */
class CliError extends Error {
  constructor(message, exitCode = USAGE_ERROR) {
    super(message)
    this.exitCode = exitCode
  }
}

// ---- commands ----

function runtimeFor(dir, extra = {}) {
  return new FunctionRuntime({ functionsDir: path.resolve(dir), ...extra })
}

function requireDir(dir) {
  if (!fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory()) {
    throw new CliError(`functions directory ${dir} does not exist (use --dir to point at yours)`, 1)
  }
}

async function doctor(opts) {
  const rt = runtimeFor(process.cwd())
  const runtimes = await rt.runtimes()
  // Warm functions here: start their processes and say how that went.
  let warmError = null
  if (rt.list().some((f) => f.warm)) await rt.warmup().catch((e) => (warmError = e))
  const pools = rt.pools()
  await rt.close()
  if (opts.json) return printJson(pools.length ? { runtimes, pools } : runtimes)
  const sb = FunctionRuntime.sandboxSupport()
  const parts = sb.abi
    ? `Landlock ABI ${sb.abi}; files yes, TCP ${sb.network ? 'yes' : 'no'}, signal/socket scoping ${sb.scoping ? 'yes' : 'no'}`
    : 'no Landlock in this kernel'
  console.log(`sandbox: ${sb.available ? out.green('available') : out.yellow('unavailable')} (${parts})\n`)
  const rows = [['runtime', 'status', 'version', 'path', 'found in'].map(out.bold)]
  for (const r of runtimes) {
    const status = r.available ? out.green('found') : out.red('missing')
    rows.push([r.name, status, r.version ?? '-', r.path ?? (r.command || '-'), r.foundIn ?? '-'])
  }
  console.log(table(rows))
  for (const r of runtimes.filter((r) => r.shim)) {
    console.log(`\n${out.cyan(r.name)}: ${r.shim} is a version-manager shim; functions run ${r.path} directly (the interpreter it selects)`)
  }
  for (const r of runtimes.filter((r) => !r.available && r.lookedIn.length)) {
    console.log(`\n${out.yellow(r.name)}: looked on ${r.lookedIn.join(', ')}.\n  ${r.installHint}`)
  }
  if (pools.length === 0) return
  const poolRows = [['warm function', 'mode', 'ready', 'status'].map(out.bold)]
  for (const p of pools) {
    const status = p.lastError ? out.red(p.lastError) : out.green('ok')
    poolRows.push([p.name, p.mode, String(p.ready), status])
  }
  console.log(`\n${table(poolRows)}`)
  if (warmError?.details?.stderr) console.log(`\n${out.yellow('stderr')}: ${warmError.details.stderr.trim()}`)
}

async function list(opts) {
  requireDir(opts.dir)
  const rt = runtimeFor(opts.dir)
  const functions = rt.list()
  const diagnostics = rt.diagnostics()
  await rt.close()
  if (opts.json) return printJson({ functions, diagnostics })
  if (functions.length === 0) console.log(`no functions in ${opts.dir}`)
  else {
    const rows = [['name', 'runtime', 'timeout', 'description', 'mode'].map(out.bold)]
    for (const f of functions) {
      rows.push([f.name, f.runtime, `${f.timeoutMs / 1000}s`, f.description ?? '', f.warm?.mode ?? 'one-shot'])
    }
    console.log(table(rows))
  }
  for (const d of diagnostics) console.error(err.yellow(`skipped ${d.name || d.path}: ${d.message}`))
}

async function invoke(opts, [name, inputText, ...extra]) {
  if (!name) throw new CliError('invoke needs a function name')
  if (extra.length) throw new CliError(`unexpected arguments: ${extra.join(' ')}`)
  requireDir(opts.dir)
  const input = parseInput(inputText === '-' ? fs.readFileSync(0, 'utf8') : inputText)
  const timeoutMs = opts.timeout === undefined ? undefined : Number(opts.timeout)
  if (timeoutMs !== undefined && !(Number.isInteger(timeoutMs) && timeoutMs > 0)) {
    throw new CliError(`--timeout must be a positive number of milliseconds, got ${opts.timeout}`)
  }
  const rt = runtimeFor(opts.dir)
  // Ctrl-C cancels the function (its process group is killed) and reports it.
  const cancel = new AbortController()
  process.once('SIGINT', () => cancel.abort())
  const res = await rt.invoke(name, input, {
    timeoutMs,
    signal: cancel.signal,
    onLog: opts.json ? undefined : (entry) => console.error(formatLog(entry)),
  })
  await rt.close()
  if (opts.json) printJson(res)
  else if (res.success) {
    if (res.output !== null && res.output !== undefined) console.log(typeof res.output === 'string' ? res.output : JSON.stringify(res.output, null, 2))
    console.error(err.green(`✓ ${name} ok`) + err.dim(` in ${res.durationMs}ms`))
  } else {
    const exit = res.exitCode !== null ? `, exit code ${res.exitCode}` : res.signal ? `, ${res.signal}` : ''
    console.error(err.red(`✗ ${name} failed: ${res.error.code}`) + ` ${res.error.message}` + err.dim(`${exit}, ${res.durationMs}ms`))
    if (res.error.details) console.error(err.dim(JSON.stringify(res.error.details, null, 2)))
  }
  return res.success ? 0 : 1
}

async function build(opts, [name, ...extra]) {
  if (extra.length) throw new CliError(`unexpected arguments: ${extra.join(' ')}`)
  requireDir(opts.dir)
  const rt = runtimeFor(opts.dir)
  let reports
  try {
    reports = await rt.build(name)
  } catch (e) {
    throw new CliError(e.message, 1)
  } finally {
    await rt.close()
  }
  if (opts.json) printJson(reports)
  else if (reports.length === 0) console.log(`nothing to build in ${opts.dir}`)
  else {
    for (const r of reports) {
      const state = !r.built ? out.dim('up to date') : r.success ? out.green('built') : out.red('FAILED')
      console.log(`${r.name.padEnd(20)} ${state}${r.built ? out.dim(` in ${r.durationMs}ms`) : ''}`)
      if (!r.success) console.log(r.output)
    }
  }
  return reports.every((r) => r.success) ? 0 : 1
}

function parseInput(text) {
  if (text === undefined || text.trim() === '') return null
  try {
    return JSON.parse(text)
  } catch (e) {
    throw new CliError(`input is not JSON: ${e.message}`)
  }
}

function formatLog({ level, message, data }) {
  const colour = { error: err.red, warn: err.yellow, debug: err.dim }[level] ?? err.cyan
  return `${colour(level.padEnd(5))} ${message}${data ? err.dim(` ${JSON.stringify(data)}`) : ''}`
}

async function watch(opts) {
  requireDir(opts.dir)
  const rt = runtimeFor(opts.dir)
  rt.watch((event) => {
    if (opts.json) return console.log(JSON.stringify(event))
    const time = out.dim(new Date().toLocaleTimeString())
    const colour = { added: out.green, removed: out.red, error: out.red, build: out.cyan }[event.type] ?? out.yellow
    const build = event.build ? ` ${event.build.success ? 'ok' : out.red('FAILED')} in ${event.build.durationMs}ms` : ''
    console.log(`${time} ${colour(event.type.padEnd(7))} ${event.name ?? ''}${build}${event.message ? ` ${event.message}` : ''}`)
    if (event.build && !event.build.success) console.log(event.build.output)
  })
  console.error(err.dim(`watching ${path.resolve(opts.dir)} (Ctrl-C to stop)`))
  await new Promise((resolve) => {
    process.once('SIGINT', resolve)
    process.once('SIGTERM', resolve)
  })
  await rt.close()
}

// ---- main ----

async function main(argv) {
  const [command, ...rest] = argv
  if (command === '--version' || command === '-v') return console.log(require('../package.json').version)
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    console.log(usageText(COMMANDS[rest[0]] ? rest[0] : undefined))
    return command ? 0 : USAGE_ERROR
  }
  const spec = COMMANDS[command]
  if (!spec) throw new CliError(`unknown command "${command}" (see alyx-runtime --help)`)
  try {
    const { values, positionals } = parseArgs({
      args: rest,
      options: { ...spec.options, ...COMMON_OPTIONS },
      allowPositionals: true,
      strict: true,
    })
    if (values.help) return console.log(usageText(command))
    if (command !== 'invoke' && positionals.length) throw new CliError(`unexpected arguments: ${positionals.join(' ')}`)
    return await spec.run(values, positionals)
  } catch (e) {
    const usage = e instanceof CliError ? e.exitCode === USAGE_ERROR : e.code?.startsWith?.('ERR_PARSE_ARGS')
    if (usage) throw new CliError(`${e.message}\n(see alyx-runtime ${command} --help)`)
    throw e
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = typeof code === 'number' ? code : 0
  },
  (e) => {
    if (!(e instanceof CliError)) throw e
    console.error(`${err.red('error:')} ${e.message}`)
    process.exitCode = e.exitCode
  },
)
