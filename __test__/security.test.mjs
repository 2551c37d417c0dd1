// Security: names cannot leave functionsDir, symlinks out of it are refused,
// no shell ever interprets a name or input, the host env is not passed on
// beyond the allowlist, and the internal token never reaches logs or errors.
import test from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { FunctionRuntime, sh, writeFiles, execFileSync } from './helpers.mjs'

// outer/
//   functions/   ← functionsDir
//   decoy/       ← a function outside functionsDir: running it writes outer/DECOY_RAN
const outer = fs.mkdtempSync(path.join(os.tmpdir(), 'alyx-security-'))
const dir = path.join(outer, 'functions')
const decoyMarker = path.join(outer, 'DECOY_RAN')
writeFiles(outer, {
  'decoy/bootstrap': sh(`touch "${decoyMarker}"; echo '{"success":true,"output":"decoy ran"}'`),
  'decoy/index.js': `require('fs').writeFileSync(${JSON.stringify(decoyMarker)}, 'x'); console.log('{"success":true}')`,
})

const nodeFn = (body) => `let s='';process.stdin.on('data',d=>s+=d).on('end',()=>{const req=JSON.parse(s);${body}})`
// Records the token of the request in a file named by the request id.
const saveToken = `echo "$ALYX_INTERNAL_TOKEN" > "$ALYX_FUNCTION_DIR/../$ALYX_REQUEST_ID.token"`

writeFiles(dir, {
  'ok/bootstrap': sh(`cat >/dev/null; echo '{"success":true,"output":"ok"}'`),
  'echo/index.js': nodeFn(
    `process.stdout.write(JSON.stringify({success:true,output:{input:req.input,auth:req.context.auth,env:{EVIL:process.env.EVIL,RID:process.env.ALYX_REQUEST_ID,AUTH:process.env.ALYX_AUTH},ctxEnv:req.context.env}}))`,
  ),
  'stdin/bootstrap': sh(`cat > "$ALYX_FUNCTION_DIR/../stdin.json"; echo '{"success":true}'`),
  'env/index.js': nodeFn(`process.stdout.write(JSON.stringify({success:true,output:process.env}))`),
  // The token, everywhere a function can put it.
  'tok-logs/bootstrap': sh(
    `cat >/dev/null; ${saveToken}; T="$ALYX_INTERNAL_TOKEN"
echo "stdout says $T"
echo "stderr says $T" >&2
echo "{\\"level\\":\\"warn\\",\\"message\\":\\"structured $T\\",\\"data\\":{\\"t\\":\\"$T\\",\\"nested\\":{\\"deep\\":[\\"$T\\"]}},\\"extra\\":\\"$T\\"}" >&2
echo "{\\"success\\":true,\\"output\\":\\"ok\\",\\"logs\\":[{\\"level\\":\\"info\\",\\"message\\":\\"response $T\\",\\"data\\":{\\"k\\":\\"$T\\"}},\\"plain $T\\"]}"`,
  ),
  'tok-error/bootstrap': sh(
    `cat >/dev/null; ${saveToken}; T="$ALYX_INTERNAL_TOKEN"
echo "{\\"success\\":false,\\"error\\":{\\"code\\":\\"LEAKY\\",\\"message\\":\\"bad token $T\\",\\"details\\":{\\"token\\":\\"$T\\"}}}"; exit 1`,
  ),
  'tok-error-string/bootstrap': sh(`cat >/dev/null; ${saveToken}; echo "{\\"success\\":false,\\"error\\":\\"bad token $ALYX_INTERNAL_TOKEN\\"}"`),
  'tok-exit/bootstrap': sh(`cat >/dev/null; ${saveToken}; echo "fatal: token $ALYX_INTERNAL_TOKEN" >&2; exit 3`),
  'tok-garbage/bootstrap': sh(`cat >/dev/null; ${saveToken}; echo "not json, token $ALYX_INTERNAL_TOKEN"; echo "$ALYX_INTERNAL_TOKEN" >&2`),
  'tok-signal/bootstrap': sh(`cat >/dev/null; ${saveToken}; echo "dying with $ALYX_INTERNAL_TOKEN" >&2; kill -SEGV $$`),
  'tok-timeout/bootstrap': sh(`cat >/dev/null; ${saveToken}; echo "hanging with $ALYX_INTERNAL_TOKEN" >&2; sleep 30`),
  // Garbage stdout longer than the 4 KiB excerpt, the token straddling its end.
  'tok-excerpt/bootstrap': sh(`cat >/dev/null; ${saveToken}; head -c 4064 /dev/zero | tr '\\0' 'x'; echo "$ALYX_INTERNAL_TOKEN and more"`),
})
// A symlink inside functionsDir to the decoy outside it.
fs.symlinkSync(path.join(outer, 'decoy'), path.join(dir, 'evil'))
// A symlink inside functionsDir to a directory inside it is not an escape.
fs.symlinkSync(path.join(dir, 'ok'), path.join(dir, 'alias'))

const rt = new FunctionRuntime({ functionsDir: dir })
test.after(async () => {
  await rt.close()
  fs.rmSync(outer, { recursive: true, force: true })
})

const absent = (p) => assert.equal(fs.existsSync(p), false, `${p} must not exist`)

test('names that could leave functionsDir are INVALID_FUNCTION_NAME, and nothing outside runs', async () => {
  const names = [
    '..',
    '.',
    '../decoy',
    '..\\decoy',
    'a/../b',
    'a/../../decoy',
    'functions/../decoy',
    '/etc',
    '/etc/passwd',
    path.join(outer, 'decoy'),
    `${outer}/decoy/`,
    'C:\\Windows',
    '\\\\server\\share',
    '\\',
    'a\\b',
    '/',
    '//',
    'ok/',
    './ok',
    'ok/.',
    'ok\0',
    '\0',
    'a\0../decoy',
    '%2e%2e',
    '%2e%2e%2fdecoy',
    '..%2fdecoy',
    '%2F',
    '%00',
    '\u2024\u2024', // ONE DOT LEADER ×2 (looks like "..")
    '\uFF0E\uFF0E', // FULLWIDTH FULL STOP ×2
    '\u2215decoy', // DIVISION SLASH
    '\u2044decoy', // FRACTION SLASH
    '\uFF0Fetc', // FULLWIDTH SOLIDUS
    'd\u0435coy', // Cyrillic е
    'ｏｋ', // fullwidth "ok"
    'ok\u200B', // zero-width space
    'ok\u0301', // combining accent
    '~',
    '~root',
    '$HOME',
    '$(touch x)',
    '`touch x`',
    'ok;touch x',
    'ok|x',
    'ok&x',
    'ok x',
    ' ok',
    'ok ',
    'ok\n',
    '-ok',
    '_ok',
    '*',
    'o?',
    '',
  ]
  for (const name of names) {
    const res = await rt.invoke(name, null)
    assert.equal(res.success, false, JSON.stringify(name))
    assert.equal(res.error.code, 'INVALID_FUNCTION_NAME', `${JSON.stringify(name)} → ${JSON.stringify(res.error)}`)
    assert.equal(res.exitCode, null)
    assert.equal(rt.get(name), null, `get(${JSON.stringify(name)})`)
  }
  absent(decoyMarker)
  // Outside functionsDir nothing new appeared (no file created by a lookup).
  assert.deepEqual(fs.readdirSync(outer).sort(), ['decoy', 'functions'])
})

test('a valid name that is too long for the file system is just not found', async () => {
  const res = await rt.invoke('a'.repeat(5000), null)
  assert.equal(res.error.code, 'FUNCTION_NOT_FOUND')
})

test('a symlink inside functionsDir pointing outside is refused (INVALID_FUNCTION_NAME) and not run', async () => {
  const res = await rt.invoke('evil', null)
  assert.equal(res.error?.code, 'INVALID_FUNCTION_NAME', JSON.stringify(res))
  assert.match(res.error.message, /outside the functions directory/)
  absent(decoyMarker)
  assert.equal(
    rt.list().some((f) => f.name === 'evil'),
    false,
    'not listed',
  )
  assert.equal(rt.get('evil'), null)
  assert.ok(
    rt.diagnostics().some((d) => d.name === 'evil'),
    'explained in diagnostics()',
  )
  // A symlink that stays inside functionsDir is an ordinary function.
  assert.equal((await rt.invoke('alias')).output, 'ok')
})

test('a function directory that becomes a symlink to outside after construction is refused too', async () => {
  writeFiles(dir, { 'later/bootstrap': sh(`cat >/dev/null; echo '{"success":true,"output":"inside"}'`) })
  assert.equal((await rt.invoke('later')).output, 'inside')
  fs.rmSync(path.join(dir, 'later'), { recursive: true })
  fs.symlinkSync(path.join(outer, 'decoy'), path.join(dir, 'later'))
  const res = await rt.invoke('later')
  assert.equal(res.error?.code, 'INVALID_FUNCTION_NAME', JSON.stringify(res))
  absent(decoyMarker)
  fs.rmSync(path.join(dir, 'later'))
})

test('shell metacharacters in input, env, auth and requestId are passed verbatim, never interpreted', async () => {
  const m = (n) => path.join(outer, `META_${n}`)
  const evil = {
    subst: `$(touch ${m(1)})`,
    backticks: `\`touch ${m(2)}\``,
    semi: `; touch ${m(3)}; rm -rf ${outer}/functions`,
    pipe: `| touch ${m(4)}`,
    and: `&& touch ${m(5)}`,
    newline: `x\ntouch ${m(6)}\n`,
    quotes: `'"; touch ${m(7)}; echo "'`,
    vars: '$HOME ${PATH} $$ $!',
    glob: '* ? [a-z] ~',
    redirect: `> ${m(8)} < /etc/passwd 2>&1`,
    nul: 'a\u0000b',
  }
  const env = { EVIL: `$(touch ${m(9)}) \`touch ${m(10)}\`` }
  const auth = { id: `$(touch ${m(11)})`, email: `\`touch ${m(12)}\`@x` }
  const requestId = `$(touch ${m(13)});\`touch ${m(14)}\``
  const res = await rt.invoke('echo', evil, { env, auth, requestId })
  assert.equal(res.success, true, JSON.stringify(res.error))
  assert.deepEqual(res.output.input, evil)
  assert.deepEqual(res.output.auth, auth)
  assert.deepEqual(res.output.ctxEnv, env)
  assert.equal(res.output.env.EVIL, env.EVIL)
  assert.equal(res.output.env.RID, requestId)
  assert.deepEqual(JSON.parse(res.output.env.AUTH), auth)
  assert.equal(res.requestId, requestId)

  // The bytes on stdin are exactly one JSON document carrying the input.
  const r2 = await rt.invoke('stdin', evil)
  assert.equal(r2.success, true)
  const raw = fs.readFileSync(path.join(dir, 'stdin.json'), 'utf8')
  assert.deepEqual(JSON.parse(raw).input, evil)

  for (let i = 1; i <= 14; i++) absent(m(i))
  assert.ok(fs.existsSync(path.join(dir, 'ok', 'bootstrap')), 'functionsDir untouched')
})

test('the host environment is not passed on beyond the allowlist by default', async () => {
  const secrets = {
    ALYX_SECURITY_SECRET: 'hunter2-secret-value',
    AWS_SECRET_ACCESS_KEY: 'aws-secret-value',
    DATABASE_URL: 'postgres://user:db-secret-value@host/db',
    NODE_OPTIONS: '--max-old-space-size=4242',
    LD_PRELOAD: '',
  }
  const saved = {}
  for (const [k, v] of Object.entries(secrets)) {
    saved[k] = process.env[k]
    process.env[k] = v
  }
  try {
    const fresh = new FunctionRuntime({ functionsDir: dir })
    const res = await fresh.invoke('env')
    const all = new FunctionRuntime({ functionsDir: dir, inheritEnv: true })
    const resAll = await all.invoke('env')
    await Promise.all([fresh.close(), all.close()])
    assert.equal(res.success, true, JSON.stringify(res.error))
    const env = res.output
    for (const [k, v] of Object.entries(secrets)) {
      assert.equal(env[k], undefined, `${k} leaked into the function`)
      if (v) assert.ok(!Object.values(env).some((x) => x.includes(v)), `the value of ${k} leaked`)
    }
    const allowed = new Set(['PATH', 'HOME', 'USER', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', 'PYTHONUNBUFFERED', 'NODE_PATH'])
    for (const k of Object.keys(env)) assert.ok(allowed.has(k) || k.startsWith('ALYX_'), `unexpected ${k}`)
    // Contrast: inheritEnv: true does pass them (so the default is what filters).
    assert.equal(resAll.output.ALYX_SECURITY_SECRET, secrets.ALYX_SECURITY_SECRET)
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k]
      else process.env[k] = v
    }
  }
})

// ---- the internal token never appears in a result or a streamed log ----

async function invokeWithToken(name, options = {}) {
  const streamed = []
  const res = await rt.invoke(name, null, { onLog: (e) => streamed.push(e), ...options })
  const token = fs.readFileSync(path.join(dir, `${res.requestId}.token`), 'utf8').trim()
  assert.match(token, /^[0-9a-f]{64}$/)
  return { res, token, text: JSON.stringify(res), streamed: JSON.stringify(streamed) }
}

test('token printed to stdout, stderr (plain and structured) and in response logs: redacted everywhere', async () => {
  const { res, token, text, streamed } = await invokeWithToken('tok-logs')
  assert.equal(res.success, true)
  assert.ok(!text.includes(token), `token in result: ${text}`)
  assert.ok(!streamed.includes(token), 'token in an onLog entry')
  assert.ok(text.includes('[redacted]'))
  const messages = res.logs.map((l) => `${l.source}:${l.message}`)
  for (const expected of [
    'response:response [redacted]',
    'response:plain [redacted]',
    'stdout:stdout says [redacted]',
    'stderr:stderr says [redacted]',
    'stderr:structured [redacted]',
  ]) {
    assert.ok(messages.includes(expected), `${expected} in ${JSON.stringify(messages)}`)
  }
})

for (const [name, code] of [
  ['tok-exit', 'EXIT_ERROR'],
  ['tok-garbage', 'INVALID_OUTPUT'],
  ['tok-signal', 'KILLED'],
]) {
  test(`token in what a failing function printed (${code}): not in the error message, details or logs`, async () => {
    const { res, token, text, streamed } = await invokeWithToken(name)
    assert.equal(res.error?.code, code)
    assert.ok(!text.includes(token), `token in result: ${text}`)
    assert.ok(!streamed.includes(token))
  })
}

test('token in stderr of a function that times out: not in the TIMEOUT result', async () => {
  const { res, token, text } = await invokeWithToken('tok-timeout', { timeoutMs: 500 })
  assert.equal(res.error?.code, 'TIMEOUT')
  assert.ok(!text.includes(token), `token in result: ${text}`)
})

// Regression: a function's own error used to pass through unredacted.
for (const name of ['tok-error', 'tok-error-string']) {
  test(`token in the function's own error message and details (${name}): redacted`, async () => {
    const { res, token, text } = await invokeWithToken(name)
    assert.equal(res.success, false)
    assert.ok(!text.includes(token), `token in result: ${text}`)
    assert.match(res.error.message, /\[redacted\]/)
  })
}

// Regression: the INVALID_OUTPUT stdout excerpt used to be cut at 4 KiB
// before redaction, so a token straddling the cut leaked its first half.
test('token straddling the end of the INVALID_OUTPUT stdout excerpt: no part of it leaks', async () => {
  const { res, token, text } = await invokeWithToken('tok-excerpt')
  assert.equal(res.error?.code, 'INVALID_OUTPUT')
  assert.ok(!text.includes(token.slice(0, 16)), `a token prefix is in the result: …${res.error.details.stdout.slice(-60)}`)
})

// ---- OS-level isolation through a runtime override (SECURITY.md) ----

// Regression: overriding a default runtime without `extensions` used to drop
// the default's extensions, so `.py` functions found no runtime at all —
// including the README's own `python: { command: ["python3", "-S"] }`.
test("overriding a default runtime's command keeps its extensions", async () => {
  const d = path.join(outer, 'override')
  writeFiles(d, { 'py/main.py': 'import json, sys\njson.load(sys.stdin)\nprint(json.dumps({"success": True, "output": "py"}))\n' })
  const o = new FunctionRuntime({ functionsDir: d, runtimes: { python: { command: ['python3', '-S'] } } })
  try {
    assert.equal(o.get('py')?.runtime, 'python')
    const res = await o.invoke('py')
    assert.equal(res.output, 'py', JSON.stringify(res.error))
  } finally {
    await o.close()
  }
})

function bwrapWorks() {
  try {
    execFileSync('bwrap', ['--ro-bind', '/', '/', '--unshare-all', '--die-with-parent', '--', 'true'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

test(
  'the SECURITY.md bwrap wrapper: read-only system, no network, no host files, and setsid escapers die with it',
  // Under CI=true a missing bwrap fails the test (.ci/run installs bubblewrap).
  bwrapWorks() || process.env.CI === 'true' ? {} : { skip: 'bwrap (bubblewrap) not installed or without namespaces here' },
  async () => {
    const d = path.join(outer, 'sandboxed')
    const marker = `ALYX_SANDBOX_TEST=${process.pid}-${Date.now()}`
    writeFiles(d, {
      'probe/main.py': [
        'import json, os, socket, sys',
        'json.load(sys.stdin)',
        `out = {"secret_visible": os.path.exists(${JSON.stringify(path.join(outer, 'host-secret.txt'))}) or os.path.exists("/root")}`,
        // Probes writability harmlessly: os.access on /usr, and a real write
        // only inside the (temporary) functions directory.
        'out["usr_writable"] = os.access("/usr", os.W_OK)',
        'try:',
        '    open(os.path.join(os.environ["ALYX_FUNCTION_DIR"], "written"), "w"); out["functions_writable"] = True',
        'except OSError:',
        '    out["functions_writable"] = False',
        'try:',
        '    socket.create_connection(("1.1.1.1", 53), timeout=1); out["network"] = True',
        'except OSError:',
        '    out["network"] = False',
        'print(json.dumps({"success": True, "output": out}))',
      ].join('\n'),
      // Leaves the process group: outside a sandbox it would outlive the kill.
      'escape/bootstrap': sh(`cat >/dev/null; setsid sleep 30 & sleep 0.2; echo '{"success":true}'`),
    })
    fs.writeFileSync(path.join(outer, 'host-secret.txt'), 'secret')
    const sandbox = [
      'bwrap',
      '--ro-bind',
      '/usr',
      '/usr',
      '--symlink',
      'usr/bin',
      '/bin',
      '--symlink',
      'usr/lib',
      '/lib',
      '--symlink',
      'usr/lib64',
      '/lib64',
      '--proc',
      '/proc',
      '--dev',
      '/dev',
      '--tmpfs',
      '/tmp',
      '--ro-bind',
      d,
      d, // after --tmpfs /tmp, which would hide it (d is under /tmp here)
      '--unshare-all',
      '--die-with-parent',
      '--',
    ]
    const python = ['/usr/bin/python3', '/usr/local/bin/python3'].find((p) => fs.existsSync(p))
    const s = new FunctionRuntime({
      functionsDir: d,
      runtimes: {
        python: { command: [...sandbox, python], extensions: ['.py'] },
        binary: { command: sandbox },
      },
      env: { ALYX_SANDBOX_TEST: marker.split('=')[1] },
    })
    try {
      const probe = await s.invoke('probe')
      assert.equal(probe.success, true, JSON.stringify(probe))
      assert.deepEqual(probe.output, { secret_visible: false, usr_writable: false, functions_writable: false, network: false })
      const esc = await s.invoke('escape', null, { timeoutMs: 10_000 })
      assert.equal(esc.success, true, JSON.stringify(esc))
      // The escaper lived in the sandbox's pid namespace: it died with it.
      assert.ok(esc.durationMs < 3000, `took ${esc.durationMs} ms`)
      const withMarker = () =>
        fs
          .readdirSync('/proc')
          .filter((p) => /^\d+$/.test(p))
          .filter((p) => {
            try {
              return fs.readFileSync(`/proc/${p}/environ`, 'latin1').split('\0').includes(marker)
            } catch {
              return false
            }
          })
      const started = Date.now()
      while (withMarker().length && Date.now() - started < 1000) await new Promise((r) => setTimeout(r, 20))
      assert.deepEqual(withMarker(), [], 'a sandboxed process outlived its invocation')
    } finally {
      await s.close()
    }
  },
)
