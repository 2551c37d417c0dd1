// The bench's functions directory: a C echo compiled here, a Node, a Python
// and a Go echo; plus the floor harness. Every implementation runs the same
// program with the same arguments in the same directory.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { execFileSync } from 'node:child_process'

const here = path.dirname(new URL(import.meta.url).pathname)
const cdir = path.join(here, '..', 'c')

const NODE_ECHO = `// Node echo: request on stdin -> {"success":true,"output":<input>}
const chunks = []
process.stdin.on('data', (c) => chunks.push(c))
process.stdin.on('end', () => {
  const req = JSON.parse(Buffer.concat(chunks).toString('utf8'))
  process.stdout.write(JSON.stringify({ success: true, output: req.input ?? null }) + '\\n')
})
`
const PY_ECHO = `import json, sys
req = json.load(sys.stdin)
sys.stdout.write(json.dumps({"success": True, "output": req.get("input")}) + "\\n")
`
export const GO_ECHO = `package main

import (
	"encoding/json"
	"io"
	"os"
)

func main() {
	data, _ := io.ReadAll(os.Stdin)
	var req struct {
		Input json.RawMessage \`json:"input"\`
	}
	if err := json.Unmarshal(data, &req); err != nil || req.Input == nil {
		req.Input = json.RawMessage("null")
	}
	os.Stdout.Write([]byte(\`{"success":true,"output":\`))
	os.Stdout.Write(req.Input)
	os.Stdout.Write([]byte("}\\n"))
}
`
export const GO_MOD = 'module goecho\n\ngo 1.21\n'

export function which(cmd) {
  for (const d of (process.env.PATH || '').split(path.delimiter)) {
    const p = path.join(d, cmd)
    try {
      fs.accessSync(p, fs.constants.X_OK)
      return p
    } catch {}
  }
  return null
}

/** Compiles bench/c/`src` into `out`; `flags` go before the source (e.g. `-pthread`). */
export function cc(src, out, flags = []) {
  execFileSync('cc', ['-O2', ...flags, '-o', out, path.join(cdir, src)], { stdio: 'inherit' })
}

function write(file, text, mode) {
  fs.mkdirSync(path.dirname(file), { recursive: true })
  fs.writeFileSync(file, text)
  if (mode) fs.chmodSync(file, mode)
}

/** The host variables the runtime passes through by default (CONTRACT §6). */
export function allowlistEnv() {
  const env = {}
  for (const k of ['PATH', 'HOME', 'USER', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR']) {
    if (process.env[k] !== undefined) env[k] = process.env[k]
  }
  env.PYTHONUNBUFFERED = '1'
  return env
}

/**
 * Creates `<work>/functions` and the binaries. Returns the functions (name,
 * dir, program, args — what child_process and the floor run) and tools.
 * `want` limits which languages are set up; a missing toolchain is reported.
 */
export function setup(work, want = ['c', 'node', 'python', 'go']) {
  const functionsDir = path.join(work, 'functions')
  const bin = path.join(work, 'bin')
  fs.mkdirSync(bin, { recursive: true })
  const floor = path.join(bin, 'floor')
  cc('floor.c', floor)
  const fns = {}
  const missing = []

  const cEcho = path.join(functionsDir, 'c-echo', 'bootstrap')
  fs.mkdirSync(path.dirname(cEcho), { recursive: true })
  cc('echo.c', cEcho)
  fns.c = { name: 'c-echo', dir: path.dirname(cEcho), program: cEcho, args: [] }

  if (want.includes('node')) {
    const dir = path.join(functionsDir, 'node-echo')
    write(path.join(dir, 'index.js'), NODE_ECHO)
    fns.node = { name: 'node-echo', dir, program: process.execPath, args: [path.join(dir, 'index.js')] }
  }
  if (want.includes('python')) {
    if (which('python3')) {
      // The real interpreter, not a version-manager shim (pyenv's is a bash
      // script that adds ~75 ms per start); the runtime is told the same.
      const py = execFileSync('python3', ['-c', 'import sys; print(sys.executable)']).toString().trim()
      const dir = path.join(functionsDir, 'py-echo')
      write(path.join(dir, 'main.py'), PY_ECHO)
      // `runtimes.python` is overridden with this interpreter (impls.mjs),
      // which drops the default `.py` mapping: name the runtime here.
      write(path.join(dir, 'manifest.yaml'), 'name: py-echo\nruntime: python\n')
      fns.python = { name: 'py-echo', dir, program: py, args: [path.join(dir, 'main.py')] }
    } else missing.push('python3')
  }
  if (want.includes('go')) {
    const go = which('go')
    if (go) {
      const dir = path.join(functionsDir, 'go-echo')
      write(path.join(dir, 'main.go'), GO_ECHO)
      write(path.join(dir, 'go.mod'), GO_MOD)
      // The same source built by hand: what child_process and the floor run.
      const goBin = path.join(bin, 'go-echo')
      execFileSync(go, ['build', '-o', goBin, '.'], { cwd: dir, stdio: 'inherit' })
      fns.go = { name: 'go-echo', dir, program: goBin, args: [], go }
      // `go run` on every call: what a Node user without a build step writes.
      const runDir = path.join(functionsDir, 'gorun-echo')
      write(path.join(runDir, 'main.go'), GO_ECHO)
      write(path.join(runDir, 'go.mod'), GO_MOD)
      write(path.join(runDir, 'manifest.yaml'), 'name: gorun-echo\nruntime: gorun\nentry: main.go\n')
      fns.gorun = { name: 'gorun-echo', dir: runDir, program: go, args: ['run', path.join(runDir, 'main.go')] }
    } else missing.push('go')
  }
  return { functionsDir, floor, fns, missing, goSource: { main: GO_ECHO, mod: GO_MOD } }
}

export function makeWorkDir() {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'alyx-bench-'))
}
