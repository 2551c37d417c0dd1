// MEMORY_LIMIT_EXCEEDED: the manifest `memory` is enforced (PSS summed over
// the function's process group and descendants, plus V8's heap cap for
// node/deno); the host survives. CONTRACT §14.
import test from 'node:test'
import assert from 'node:assert/strict'
import { FunctionRuntime, functionsDir, needs } from './helpers.mjs'

const dir = functionsDir({
  'pyhog/main.py':
    "import time\nchunks = []\nfor _ in range(64):\n    chunks.append(b'x' * (16 * 1024 * 1024))\n    time.sleep(0.01)\nprint('{\"success\": true}')\n",
  'pyhog/manifest.yaml': 'name: pyhog\nmemory: 128mb\n',
  'nodehog/index.js': "const keep = []; for (let i = 0; i < 1e9; i++) keep.push({ i, s: 'x'.repeat(64) + i }); console.log('{\"success\":true}')",
  'nodehog/manifest.yaml': 'name: nodehog\nmemory: 96mb\ntimeout: 60s\n',
  'shhog/bootstrap': {
    text: '#!/bin/sh\npython3 -c "import time; b = bytearray(1 << 30); b[::4096] = b\'x\' * len(b[::4096]); time.sleep(5)" &\nwait\n',
    exec: true,
  },
  'shhog/manifest.yaml': 'name: shhog\nmemory: 128mb\n',
  // The middle process exits, so the hog is no longer a descendant of the
  // leader; it stays in the leader's group.
  'orphanhog/main.py': [
    'import os, sys, time',
    'if os.fork() == 0:',
    '    if os.fork() == 0:',
    '        b = bytearray(600 * 1024 * 1024)',
    "        b[::4096] = b'x' * len(b[::4096])",
    '        time.sleep(10)',
    '    os._exit(0)',
    'os.wait()',
    'time.sleep(3)',
    'print(\'{"success": true}\')',
  ].join('\n'),
  'orphanhog/manifest.yaml': 'name: orphanhog\nmemory: 64mb\ntimeout: 20s\n',
  // 80 MB touched once, then shared by four forks: PSS counts it once.
  'sharers/main.py': [
    'import os, time',
    'b = bytearray(80 * 1024 * 1024)',
    "b[::4096] = b'x' * len(b[::4096])",
    'kids = []',
    'for _ in range(4):',
    '    pid = os.fork()',
    '    if pid == 0:',
    '        time.sleep(2)',
    '        os._exit(0)',
    '    kids.append(pid)',
    'for k in kids: os.waitpid(k, 0)',
    'print(\'{"success": true, "output": "shared"}\')',
  ].join('\n'),
  'sharers/manifest.yaml': 'name: sharers\nmemory: 200mb\ntimeout: 20s\n',
  'hugelimit/index.js': 'console.log("{}")',
  'hugelimit/manifest.yaml': 'name: hugelimit\nmemory: 17592186044416\n',
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

test('a double-forked grandchild still in the group counts (600 MB under 64 MB)', needs('python3'), async () => {
  const res = await rt.invoke('orphanhog')
  assert.equal(res.error?.code, 'MEMORY_LIMIT_EXCEEDED', JSON.stringify(res))
})

test('pages shared by four forks count once (80 MB shared, limit 200 MB)', needs('python3'), async () => {
  const res = await rt.invoke('sharers')
  assert.equal(res.success, true, JSON.stringify(res.error))
  assert.equal(res.output, 'shared')
})

test('memory above 1 TiB is INVALID_MANIFEST, not an overflow to 0 MB', async () => {
  const res = await rt.invoke('hugelimit')
  assert.equal(res.error?.code, 'INVALID_MANIFEST', JSON.stringify(res))
  assert.match(res.error.message, /memory.*too large/)
})
