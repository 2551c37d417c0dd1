// The machine and tool versions a run was measured on.
import { execFileSync } from 'node:child_process'
import os from 'node:os'

function version(cmd, args) {
  try {
    return execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] })
      .toString()
      .split('\n')[0]
      .trim()
  } catch {
    return 'not installed'
  }
}

export function machine(fns) {
  return {
    date: new Date().toISOString(),
    nproc: os.availableParallelism?.() ?? os.cpus().length,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    memGb: +(os.totalmem() / 1024 ** 3).toFixed(1),
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    rustc: version('rustc', ['-V']),
    go: version('go', ['version']),
    python: fns.python ? `${version(fns.python.program, ['--version'])} (${fns.python.program})` : 'not installed',
    cc: version('cc', ['--version']),
  }
}
