#!/usr/bin/env node
'use strict'
// Makes sure the native addon loads, building it from source when it does
// not: `npm install` runs this (the `prepare` script) and so does `npm run
// demo`, so no order of commands in a fresh clone hits "Cannot find module
// './binding.js'". In an installed package (no Rust sources: npm never runs
// `prepare` for a registry install anyway) it does nothing: the prebuilt
// binary comes from the @alyx/runtime-<platform> package.
// A checkout whose addon is older than its Rust sources (after a `git pull`)
// is rebuilt too, so the demo never runs yesterday's core.
//   node scripts/ensure-addon.js --check [root]   only says whether a build is due

const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')

const root = path.join(__dirname, '..')

// What the addon is built from (Cargo.toml's workspace: the binding and the core).
const SOURCES = ['Cargo.toml', 'Cargo.lock', 'build.rs', 'src', 'crates']

/** Newest modification time (ms) of the Rust sources under `dir`, and its file. */
function newestSource(dir) {
  let newest = { ms: 0, file: null }
  const visit = (file) => {
    let stat
    try {
      stat = fs.statSync(file)
    } catch {
      return
    }
    if (stat.isDirectory()) {
      if (path.basename(file) === 'target') return
      for (const entry of fs.readdirSync(file)) visit(path.join(file, entry))
    } else if (stat.mtimeMs > newest.ms && /\.(rs|toml|lock)$/.test(file)) {
      newest = { ms: stat.mtimeMs, file }
    }
  }
  for (const entry of SOURCES) visit(path.join(dir, entry))
  return newest
}

/**
 * Why the checkout at `dir` needs a build, or null: its local addon (the
 * `*.node` that `npm run build` writes next to binding.js) is missing or
 * older than a Rust source.
 */
function buildReason(dir) {
  const addons = fs.readdirSync(dir).filter((f) => f.startsWith('alyx-runtime.') && f.endsWith('.node'))
  if (addons.length === 0) return null // loaded from an installed platform package, or not at all
  const built = Math.min(...addons.map((f) => fs.statSync(path.join(dir, f)).mtimeMs))
  const source = newestSource(dir)
  if (source.ms <= built) return null
  return `${path.relative(dir, source.file)} changed after the addon was built`
}

function addonLoads() {
  const probe = spawnSync(process.execPath, ['-e', "require('./binding.js')"], { cwd: root, stdio: 'ignore' })
  return probe.status === 0
}

function hasCargo() {
  return spawnSync('cargo', ['--version'], { stdio: 'ignore' }).status === 0
}

function main() {
  if (process.argv[2] === '--check') {
    const dir = path.resolve(process.argv[3] ?? root)
    console.log(buildReason(dir) ?? 'up to date')
    return 0
  }
  if (!fs.existsSync(path.join(root, 'Cargo.toml'))) return 0
  const stale = buildReason(root)
  if (addonLoads() && !stale) return 0
  const why = stale ? `the addon is out of date (${stale})` : 'no native addon for this checkout yet'
  console.error(`@alyx/runtime: ${why}; building it from source (npm run build)…`)
  if (!hasCargo()) {
    console.error('@alyx/runtime: building needs Rust (cargo on PATH): install it from https://rustup.rs, then rerun.')
    return 1
  }
  const build = require(path.join(root, 'package.json')).scripts.build
  const bin = path.join(root, 'node_modules', '.bin')
  const env = { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH}` }
  const started = Date.now()
  const run = spawnSync(build, { cwd: root, env, stdio: ['ignore', 'inherit', 'inherit'], shell: true })
  if (run.status !== 0 || !addonLoads()) {
    console.error('@alyx/runtime: the build failed (output above).')
    return 1
  }
  console.error(`@alyx/runtime: addon built in ${((Date.now() - started) / 1000).toFixed(0)} s`)
  return 0
}

process.exitCode = main()
