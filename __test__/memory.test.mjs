// MEMORY_LIMIT_EXCEEDED: the manifest `memory` is enforced (RSS sampling of
// the process tree, plus V8's heap cap for node/deno); the host survives.
import test from 'node:test'
import assert from 'node:assert/strict'
import { FunctionRuntime, functionsDir, needs } from './helpers.mjs'

const dir = functionsDir({
  'pyhog/main.py': "import time\nchunks = []\nfor _ in range(64):\n    chunks.append(b'x' * (16 * 1024 * 1024))\n    time.sleep(0.01)\nprint('{\"success\": true}')\n",
  'pyhog/manifest.yaml': 'name: pyhog\nmemory: 128mb\n',
  'nodehog/index.js': "const keep = []; for (let i = 0; i < 1e9; i++) keep.push({ i, s: 'x'.repeat(64) + i }); console.log('{\"success\":true}')",
  'nodehog/manifest.yaml': 'name: nodehog\nmemory: 96mb\ntimeout: 60s\n',
  'shhog/bootstrap': { text: '#!/bin/sh\npython3 -c "import time; b = bytearray(1 << 30); b[::4096] = b\'x\' * len(b[::4096]); time.sleep(5)" &\nwait\n', exec: true },
  'shhog/manifest.yaml': 'name: shhog\nmemory: 128mb\n',
  'fine/index.js': "process.stdin.resume(); process.stdin.on('end', () => console.log(JSON.stringify({ success: true, output: 'fine' })))",
  'fine/manifest.yaml': 'name: fine\nmemory: 256mb\n',
})
const rt = new FunctionRuntime({ functionsDir: dir })
test.after(() => rt.close())

test('python allocating 1 GB under memory: 128mb → MEMORY_LIMIT_EXCEEDED', needs('python3'), async () => {
  const res = await rt.invoke('pyhog')
  assert.equal(res.error?.code, 'MEMORY_LIMIT_EXCEEDED', JSON.stringify(res))
  assert.match(res.error.message, /128 MB/)
})

test('node past its heap → MEMORY_LIMIT_EXCEEDED', async () => {
  const res = await rt.invoke('nodehog')
  assert.equal(res.error?.code, 'MEMORY_LIMIT_EXCEEDED', JSON.stringify(res.error))
})

test('a grandchild counts towards the limit', needs('python3'), async () => {
  const res = await rt.invoke('shhog')
  assert.equal(res.error?.code, 'MEMORY_LIMIT_EXCEEDED', JSON.stringify(res))
})

test('a function under its limit is unaffected, and the host is still fine', async () => {
  const res = await rt.invoke('fine')
  assert.equal(res.output, 'fine')
  assert.ok(process.memoryUsage().rss < 1024 * 1024 * 1024)
})
