// Which @alyx/runtime the bench measures: the repository root by default,
// or another package root (ALYX_BENCH_PACKAGE, e.g. a release build of a
// given commit); the addon can also be overridden by napi-rs's own
// NAPI_RS_NATIVE_LIBRARY_PATH. A debug build is detected (it is ~10× slower
// on payloads and would make every figure meaningless).
import { execFileSync } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'

const repoRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..')
export const pkgRoot = process.env.ALYX_BENCH_PACKAGE ? path.resolve(process.env.ALYX_BENCH_PACKAGE) : repoRoot

function elfSections(file) {
  const fd = fs.openSync(file, 'r')
  try {
    const read = (pos, len) => {
      const b = Buffer.alloc(len)
      fs.readSync(fd, b, 0, len, pos)
      return b
    }
    const h = read(0, 64)
    if (h.toString('latin1', 1, 4) !== 'ELF' || h[4] !== 2) return []
    const shoff = Number(h.readBigUInt64LE(0x28))
    const size = h.readUInt16LE(0x3a)
    const num = h.readUInt16LE(0x3c)
    const strndx = h.readUInt16LE(0x3e)
    const table = read(shoff, size * num)
    const strtab = table.subarray(strndx * size)
    const names = read(Number(strtab.readBigUInt64LE(0x18)), Number(strtab.readBigUInt64LE(0x20)))
    const out = []
    for (let i = 0; i < num; i++) {
      const off = table.readUInt32LE(i * size)
      out.push(names.toString('latin1', off, names.indexOf(0, off)))
    }
    return out
  } finally {
    fs.closeSync(fd)
  }
}

function gitState(dir) {
  try {
    const sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: dir, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim()
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'crates', 'src', 'index.js', 'Cargo.toml'], { cwd: dir }).toString().trim()
    return dirty ? `${sha} + uncommitted changes to the core/binding` : sha
  } catch {
    return `package at ${dir}`
  }
}

export function addonInfo() {
  const file = process.env.NAPI_RS_NATIVE_LIBRARY_PATH || path.join(pkgRoot, 'alyx-runtime.linux-x64-gnu.node')
  if (!fs.existsSync(file)) return { file, missing: true }
  const bytes = fs.readFileSync(file)
  const debug = elfSections(file).includes('.debug_info')
  return {
    file,
    sizeMb: +(bytes.length / 1048576).toFixed(1),
    sha256: crypto.createHash('sha256').update(bytes).digest('hex').slice(0, 16),
    debug,
    source: gitState(pkgRoot),
  }
}

/** Whether the measured package can sandbox calls on this kernel. */
export function sandboxAvailable() {
  const { FunctionRuntime } = createRequire(import.meta.url)(pkgRoot)
  return typeof FunctionRuntime.sandboxSupport === 'function' && FunctionRuntime.sandboxSupport().available
}
