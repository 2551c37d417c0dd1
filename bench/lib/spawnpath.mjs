// Verifies how a function's process is created: strace a host that invokes
// the C echo once (through the runtime, and through child_process for
// contrast) and classify each non-thread process creation.
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { which } from './setup.mjs'

import { pkgRoot as root } from './pkg.mjs'

const SCRIPTS = {
  ours: (dir, fn) => `const { FunctionRuntime } = require(${JSON.stringify(root)})
const rt = new FunctionRuntime({ functionsDir: ${JSON.stringify(dir)} })
rt.invoke(${JSON.stringify(fn.name)}, { i: 0 }).then((r) => { if (!r.success) process.exit(1); return rt.close() })
`,
  cp: (_dir, fn) => `const { spawnSync } = require('node:child_process')
const r = spawnSync(${JSON.stringify(fn.program)}, [], { input: '{"input":{"i":0}}' })
if (r.status !== 0) process.exit(1)
`,
}

/** One strace run; returns the process (not thread) creations it saw. */
function trace(kind, functionsDir, fn, tmp) {
  const script = path.join(tmp, `spawn-once-${kind}.cjs`)
  const out = kind === 'ours' ? '/tmp/trace.txt' : '/tmp/trace-cp.txt'
  fs.writeFileSync(script, SCRIPTS[kind](functionsDir, fn))
  execFileSync('strace', ['-f', '-e', 'trace=clone,clone3,fork,vfork', '-o', out, process.execPath, script], {
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  const lines = fs.readFileSync(out, 'utf8').split('\n')
  const creations = lines.filter((l) => /\b(clone3?|v?fork)\(/.test(l) && !/CLONE_THREAD/.test(l) && !/resumed>/.test(l))
  const vforkPath = creations.filter((l) => /CLONE_VM/.test(l) && /CLONE_VFORK/.test(l))
  return {
    command: `strace -f -e trace=clone,clone3,fork,vfork -o ${out} node ${path.basename(script)}`,
    creations: creations.map((l) => l.replace(/\s+/g, ' ').trim()),
    vfork: vforkPath.length,
    fork: creations.length - vforkPath.length,
  }
}

export function spawnPath(functionsDir, fn, tmp) {
  if (!which('strace')) return { skipped: 'strace not installed' }
  return { ours: trace('ours', functionsDir, fn, tmp), cp: trace('cp', functionsDir, fn, tmp) }
}
