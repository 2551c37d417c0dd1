#!/usr/bin/env node
// Writes the root's `optionalDependencies` — one @alyx/runtime-<platform> per
// `napi.targets` entry, at the root's version — into the package.json given
// (default: ./package.json). This is what `napi pre-publish` does at release
// time; the repository's package.json does not carry them, because until a
// version's platform packages are on the registry `npm ci` rejects a lockfile
// that cannot resolve them. The pack-and-install test uses this on a staged
// copy so the tarball it installs is shaped like the published one.
'use strict'
const fs = require('node:fs')
const path = require('node:path')
const { parseTriple } = require('@napi-rs/cli')

const file = path.resolve(process.argv[2] ?? 'package.json')
const pkg = JSON.parse(fs.readFileSync(file, 'utf8'))
pkg.optionalDependencies = Object.fromEntries(pkg.napi.targets.map((t) => [`${pkg.name}-${parseTriple(t).platformArchABI}`, pkg.version]))
fs.writeFileSync(file, JSON.stringify(pkg, null, 2) + '\n')
