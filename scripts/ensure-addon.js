#!/usr/bin/env node
'use strict'
// Makes sure the native addon loads, building it from source when it does
// not: `npm install` runs this (the `prepare` script) and so does `npm run
// demo`, so no order of commands in a fresh clone hits "Cannot find module
// './binding.js'". In an installed package (no Rust sources: npm never runs
// `prepare` for a registry install anyway) it does nothing: the prebuilt
// binary comes from the @alyx/runtime-<platform> package.

const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')

const root = path.join(__dirname, '..')

function addonLoads() {
  const probe = spawnSync(process.execPath, ['-e', "require('./binding.js')"], { cwd: root, stdio: 'ignore' })
  return probe.status === 0
}

function hasCargo() {
  return spawnSync('cargo', ['--version'], { stdio: 'ignore' }).status === 0
}

function main() {
  if (!fs.existsSync(path.join(root, 'Cargo.toml'))) return 0
  if (addonLoads()) return 0
  console.error('@alyx/runtime: no native addon for this checkout yet; building it from source (npm run build)…')
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
