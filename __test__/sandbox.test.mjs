// The built-in sandbox (CONTRACT §11) with real processes on this kernel:
// what a sandboxed function can no longer do, and that it still runs.
// Linux with Landlock ABI ≥ 6 only; under CI=true its absence is a failure.
import test from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { spawnSync } from 'node:child_process'
import { FunctionRuntime, alyx, needs, root, sh, writeFiles, needsSandbox } from './helpers.mjs'

const support = FunctionRuntime.sandboxSupport()
const required = needsSandbox

const outer = fs.mkdtempSync(path.join(os.tmpdir(), 'alyx-sandbox-'))
const outside = path.join(outer, 'outside')
fs.mkdirSync(outside)
test.after(() => fs.rmSync(outer, { recursive: true, force: true }))

// Each probe prints a JSON response whose output is what it observed.
const probe = (body) => sh(`cat >/dev/null\n${body}`)
const nodeProbe = (body) =>
  `let s='';process.stdin.on('data',d=>s+=d).on('end',async()=>{const out=await (async()=>{${body}})();console.log(JSON.stringify({success:true,output:out}))})`
const connect = (port) => `
  const net=require('net');
  return await new Promise((resolve)=>{const c=net.connect(${port},'127.0.0.1');
    c.on('connect',()=>{c.end();resolve('connected')});c.on('error',(e)=>resolve(e.code))})`

const dir = path.join(outer, 'functions')
writeFiles(dir, {
  'write/bootstrap': probe(`
    r1=$( (echo x > "${outside}/w") 2>&1 ); r2=$( (echo x > "$ALYX_FUNCTION_DIR/w") 2>&1 )
    echo hi > "$TMPDIR/t" && t=$(cat "$TMPDIR/t")
    echo hi > /dev/null && n=ok; m=$(stat -c %a "$TMPDIR")
    printf '{"success":true,"output":{"outside":"%s","own":"%s","tmp":"%s","tmpdir":"%s","devnull":"%s","mode":"%s"}}\\n' "$r1" "$r2" "$t" "$TMPDIR" "$n" "$m"`),
  'read/bootstrap': probe(`r=$(cat /etc/hostname 2>&1 >/dev/null); printf '{"success":true,"output":"%s"}\\n' "$r"`),
  'read/manifest.yaml': 'name: read\nsandbox:\n  read: ["/usr"]\n',
  'readall/bootstrap': probe(`cat /etc/hostname >/dev/null && echo '{"success":true,"output":"read"}'`),
  'kill/bootstrap': probe(`kill -0 "$HOST_PID" 2>/dev/null; k=$?; nnp=$(grep NoNewPrivs /proc/self/status | tr -d '\\t ')
    printf '{"success":true,"output":{"kill":%s,"nnp":"%s"}}\\n' "$k" "$nnp"`),
  'net/index.js': nodeProbe(connect('Number(process.env.PORT)')),
  'netall/index.js': nodeProbe(connect('Number(process.env.PORT)')),
  'netall/manifest.yaml': 'name: netall\nsandbox:\n  network: true\n',
  'netport/index.js': nodeProbe(connect('Number(process.env.PORT)')),
  'netport/manifest.yaml': `name: netport\nsandbox:\n  network: [PORT_HERE]\n`,
  'loosen/bootstrap': probe(`r=$( (echo x > "${outside}/loosen") 2>&1 ); nnp=$(grep NoNewPrivs /proc/self/status | tr -d '\\t ')
    printf '{"success":true,"output":{"write":"%s","nnp":"%s"}}\\n' "$r" "$nnp"`),
  'loosen/manifest.yaml': `name: loosen\nsandbox:\n  write: ["${outside}"]\n  network: true\n`,
  'off/bootstrap': probe(`nnp=$(grep NoNewPrivs /proc/self/status | tr -d '\\t '); printf '{"success":true,"output":"%s"}\\n' "$nnp"`),
  'off/manifest.yaml': 'name: off\nsandbox: false\n',
  'data/bootstrap': probe(`echo x > data/file && echo '{"success":true,"output":"written"}'`),
  'data/manifest.yaml': 'name: data\nsandbox:\n  write: ["data"]\n',
  'bad/bootstrap': probe(`echo '{"success":true}'`),
  'hang/bootstrap': probe(`sleep 30`),
  'bad/manifest.yaml': 'name: bad\nsandbox:\n  network: [443, "https"]\n',
})
fs.mkdirSync(path.join(dir, 'data', 'data'))

let server
let port
test.before(async () => {
  server = net.createServer((s) => s.end())
  await new Promise((r) => server.listen(0, '127.0.0.1', r))
  port = server.address().port
  const m = path.join(dir, 'netport', 'manifest.yaml')
  fs.writeFileSync(m, fs.readFileSync(m, 'utf8').replace('PORT_HERE', String(port)))
})
test.after(() => server?.close())

const runtime = (options = {}) =>
  new FunctionRuntime({ functionsDir: dir, sandbox: true, env: { HOST_PID: String(process.pid), PORT: String(port) }, ...options })

async function run(rt, name) {
  const res = await rt.invoke(name)
  assert.equal(res.success, true, JSON.stringify(res))
  return res.output
}

test('sandboxSupport() reports this kernel', () => {
  assert.equal(typeof support.available, 'boolean')
  assert.equal(typeof support.abi, 'number')
  assert.equal(support.network, support.abi >= 4)
  assert.equal(support.scoping, support.abi >= 6)
})

test('writes outside the allowed paths fail with EACCES and leave nothing; the temp dir works and is removed', required(), async () => {
  const rt = runtime()
  try {
    const out = await run(rt, 'write')
    assert.match(out.outside, /Permission denied/)
    assert.match(out.own, /Permission denied/, 'the function directory is read-only')
    assert.equal(fs.existsSync(path.join(outside, 'w')), false)
    assert.equal(fs.existsSync(path.join(dir, 'write', 'w')), false)
    assert.equal(out.tmp, 'hi')
    assert.equal(out.devnull, 'ok')
    assert.match(path.basename(out.tmpdir), /^alyx-call-/)
    assert.equal(out.mode, '700', 'the temp dir is the owner’s only, whatever the umask')
    assert.equal(fs.existsSync(out.tmpdir), false, 'the call’s temp dir is removed before invoke resolves')
    // Unsandboxed, the same write works: the sandbox is what stopped it.
    const free = new FunctionRuntime({ functionsDir: dir })
    assert.equal((await run(free, 'write')).outside, '')
    await free.close()
    assert.equal(fs.existsSync(path.join(outside, 'w')), true)
  } finally {
    await rt.close()
  }
})

test('a listed write path inside the function directory is writable', required(), async () => {
  const rt = runtime()
  try {
    assert.equal(await run(rt, 'data'), 'written')
    assert.equal(fs.readFileSync(path.join(dir, 'data', 'data', 'file'), 'utf8'), 'x\n')
  } finally {
    await rt.close()
  }
})

test('a narrowed read list blocks `cat /etc/hostname` from a shell function', required(), async () => {
  const rt = runtime()
  try {
    assert.match(await run(rt, 'read'), /Permission denied/)
    assert.equal(await run(rt, 'readall'), 'read', 'the default read list allows it')
  } finally {
    await rt.close()
  }
})

test('the host cannot be signalled (EPERM) and NoNewPrivs is set; unsandboxed both differ', required(), async () => {
  const rt = runtime()
  const free = new FunctionRuntime({ functionsDir: dir, env: { HOST_PID: String(process.pid) } })
  try {
    assert.deepEqual(await run(rt, 'kill'), { kill: 1, nnp: 'NoNewPrivs:1' })
    assert.deepEqual(await run(free, 'kill'), { kill: 0, nnp: 'NoNewPrivs:0' })
  } finally {
    await Promise.all([rt.close(), free.close()])
  }
})

test('TCP connect is refused, and allowed with network: true or the port listed', required(), async () => {
  const closed = runtime() // network: false
  const open = runtime({ sandbox: { network: true } })
  const otherPort = runtime({ sandbox: { network: [port === 1 ? 2 : port - 1] } })
  const manifestOnly = new FunctionRuntime({ functionsDir: dir, env: { PORT: String(port) } })
  try {
    assert.equal(await run(closed, 'net'), 'EACCES')
    assert.equal(await run(closed, 'netall'), 'EACCES', 'a manifest cannot open what the runtime closed')
    assert.equal(await run(open, 'net'), 'connected')
    assert.equal(await run(open, 'netport'), 'connected', 'the listed port')
    assert.equal(await run(otherPort, 'netport'), 'EACCES', 'the runtime allows another port only')
    assert.equal(await run(manifestOnly, 'netport'), 'connected')
    assert.equal(await run(manifestOnly, 'netall'), 'connected')
  } finally {
    await Promise.all([closed, open, otherPort, manifestOnly].map((rt) => rt.close()))
  }
})

test('a manifest cannot loosen the runtime’s policy; `sandbox: false` changes nothing', required(), async () => {
  const rt = runtime()
  try {
    const out = await run(rt, 'loosen')
    assert.match(out.write, /Permission denied/)
    assert.equal(out.nnp, 'NoNewPrivs:1')
    assert.equal(fs.existsSync(path.join(outside, 'loosen')), false)
    assert.equal(await run(rt, 'off'), 'NoNewPrivs:1')
    const d = rt.diagnostics().find((x) => x.name === 'loosen')
    assert.ok(d?.message.includes(outside), JSON.stringify(rt.diagnostics()))
  } finally {
    await rt.close()
  }
})

test('a runtime write path that does not exist is a diagnostic for every function it applies to', required(), async () => {
  const missing = path.join(outer, 'no-such-dir')
  const rt = runtime({ sandbox: { write: [missing] } })
  try {
    const named = rt.diagnostics().filter((d) => d.message.includes(missing))
    assert.ok(
      named.some((d) => d.name === 'write'),
      'a function without a manifest sandbox is covered too',
    )
    assert.ok(
      named.some((d) => d.name === 'data'),
      JSON.stringify(named),
    )
    assert.match(named[0].message, /RuntimeOptions\.sandbox\.write: .* does not exist: skipped/)
    assert.equal(await run(rt, 'readall'), 'read', 'its functions still run, without that path')
  } finally {
    await rt.close()
  }
})

test('the runtime still stops a sandboxed function: TIMEOUT kills its group', required(), async () => {
  const rt = runtime()
  try {
    const started = Date.now()
    const res = await rt.invoke('hang', null, { timeoutMs: 500 })
    assert.equal(res.error?.code, 'TIMEOUT', JSON.stringify(res))
    assert.ok(Date.now() - started < 5000)
  } finally {
    await rt.close()
  }
})

test('invalid sandbox fields are INVALID_MANIFEST naming the field', async () => {
  const rt = new FunctionRuntime({ functionsDir: dir })
  try {
    const res = await rt.invoke('bad')
    assert.equal(res.error?.code, 'INVALID_MANIFEST')
    assert.match(res.error.message, /sandbox\.network\[1\]/)
  } finally {
    await rt.close()
  }
  for (const [yaml, field] of [
    ['sandbox: yes please', 'sandbox'],
    ['sandbox:\n  read: /usr', 'sandbox.read'],
    ['sandbox:\n  write: [""]', 'sandbox.write[0]'],
    ['sandbox:\n  network: [70000]', 'sandbox.network[0]'],
    ['sandbox:\n  network: maybe', 'sandbox.network'],
  ]) {
    assert.throws(
      () => alyx.parseManifest(`name: x\n${yaml}\n`),
      (e) => e.message.includes(`${field}:`),
      yaml,
    )
  }
  assert.deepEqual(alyx.parseManifest('name: x\nsandbox:\n  network: [443]\n').sandbox, { read: ['/'], write: [], network: [443] })
  assert.throws(() => new FunctionRuntime({ functionsDir: dir, sandbox: { network: 'yes' } }), TypeError)
  assert.throws(() => new FunctionRuntime({ functionsDir: dir, sandbox: { write: '/tmp' } }), TypeError)
})

const COMMAND_OF = { node: 'node', deno: 'deno', bun: 'bun', python: 'python3', go: 'go', ruby: 'ruby', binary: 'sh' }
for (const runtime of Object.keys(COMMAND_OF)) {
  test(`hello-${runtime} says hello sandboxed`, { ...needs(COMMAND_OF[runtime]), ...required() }, async () => {
    const examples = path.join(root, 'examples', 'functions')
    // An empty cache the sandbox cannot write: Deno and Bun must compile in memory.
    const cache = fs.mkdtempSync(path.join(outer, 'cache-'))
    const env = { DENO_DIR: cache, BUN_RUNTIME_TRANSPILER_CACHE_PATH: cache }
    const rt = new FunctionRuntime({ functionsDir: examples, sandbox: true, env })
    try {
      // Go: the compile (first call) runs unsandboxed, the binary sandboxed.
      const res = await rt.invoke(`hello-${runtime}`, { name: 'Sandbox' }, { timeoutMs: 60_000 })
      assert.equal(res.success, true, JSON.stringify(res))
      assert.equal(res.output.message, 'Hello, Sandbox!')
      assert.deepEqual(fs.readdirSync(cache), [], 'nothing was written to the cache')
    } finally {
      await rt.close()
    }
  })
}

test('a sandboxed spawn still takes the vfork path (strace)', { ...needs('strace'), ...required() }, () => {
  const script = `
    const { FunctionRuntime } = require(${JSON.stringify(root)})
    const rt = new FunctionRuntime({ functionsDir: ${JSON.stringify(dir)}, sandbox: true })
    rt.invoke('readall').then((r) => { if (!r.success) process.exit(3); return rt.close() })`
  const r = spawnSync('strace', ['-f', '-e', 'trace=clone,clone3,fork,vfork', process.execPath, '-e', script], { encoding: 'utf8' })
  assert.equal(r.status, 0, r.stderr.slice(-2000))
  const calls = r.stderr.split('\n').filter((l) => /\b(clone3?|v?fork)\(/.test(l))
  assert.ok(
    calls.some((l) => l.includes('CLONE_VFORK')),
    'no vfork-style spawn',
  )
  // A copy of an address space: fork(), or a clone without CLONE_VM (the
  // function's own shell vforks, which is fine).
  const copies = calls.filter((l) => /\bfork\(/.test(l) || (/clone3?\(/.test(l) && !l.includes('CLONE_VM') && !l.includes('resumed')))
  assert.deepEqual(copies, [], 'a spawn copied the host (fork)')
})
