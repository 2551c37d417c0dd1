// Internal tokens (CONTRACT §7, §12, §14): byte-exact verification, signed
// tokens shared by replicas through `tokenSecret`, redaction of every form a
// function can print its token in, and no host secret in list()/get().
import test from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { FunctionRuntime, functionsDir, sleep, waitFor } from './helpers.mjs'

const SECRET = 'a shared token secret, 32+ bytes long'

// Each function writes its token to <functionsDir>/<requestId>.token first
// (through a rename, so the test never reads a half-written file).
const nodeFn = (body) =>
  `const fs=require('fs'),path=require('path');let s='';process.stdin.on('data',d=>s+=d).on('end',async()=>{` +
  `const T=process.env.ALYX_INTERNAL_TOKEN;` +
  `const F=path.join(process.env.ALYX_FUNCTION_DIR,'..',process.env.ALYX_REQUEST_ID+'.token');` +
  `fs.writeFileSync(F+'.tmp',T);fs.renameSync(F+'.tmp',F);${body}})`
// The token with every character written as a JSON \u escape.
const escaped = `const E=[...T].map(c=>'\\\\u'+c.charCodeAt(0).toString(16).padStart(4,'0')).join('');`

const dir = functionsDir({
  'hold/index.js': nodeFn(`setTimeout(()=>console.log(JSON.stringify({success:true})),Number(JSON.parse(s).input)||0)`),
  'stamp/index.js': nodeFn(
    `console.error(JSON.stringify({level:'info',message:'m',timestamp:T}));` +
      `console.log(JSON.stringify({success:true,output:1,logs:[{level:'info',message:'r',timestamp:T}]}))`,
  ),
  'escaped/index.js': nodeFn(
    `${escaped}process.stderr.write('{"level":"warn","message":"'+E+'","data":{"k":"'+E+'"}}\\n');` +
      `process.stdout.write('{"success":false,"error":{"code":"X","message":"'+E+'","details":{"d":"'+E+'"}}}\\n')`,
  ),
  'escaped-garbage/index.js': nodeFn(`${escaped}process.stdout.write('no response, just '+E+'\\n')`),
  'withenv/manifest.yaml': 'name: withenv\nenv:\n  DB_URL: ${ALYX_TOKENS_TEST_DB_URL}\n  PLAIN: literal\n',
  'withenv/index.js': `let s='';process.stdin.on('data',d=>s+=d).on('end',()=>console.log(JSON.stringify({success:true,output:process.env.DB_URL})))`,
})
const tokenOf = (requestId) => fs.readFileSync(path.join(dir, `${requestId}.token`), 'utf8')
const tokenFile = (requestId) => path.join(dir, `${requestId}.token`)

test('verifyToken accepts the exact token only: not its upper-case form, not after the call', async () => {
  const rt = new FunctionRuntime({ functionsDir: dir })
  try {
    const call = rt.invoke('hold', 3000, { requestId: 'exact-1' })
    await waitFor(() => fs.existsSync(tokenFile('exact-1')))
    const t = tokenOf('exact-1')
    assert.match(t, /^[0-9a-f]{64}$/)
    assert.equal(rt.verifyToken(t), true)
    assert.equal(rt.verifyToken(t.toUpperCase()), false, 'case folding would let a form redaction misses pass')
    assert.deepEqual(rt.tokenClaims(t).functionName, 'hold')
    assert.equal(rt.tokenClaims(t.toUpperCase()), null)
    assert.equal((await call).success, true)
    assert.equal(rt.verifyToken(t), false)
    assert.equal(rt.tokenClaims(t), null)
  } finally {
    await rt.close()
  }
})

test('a token in a log timestamp (response and stderr) is redacted, in the result and in onLog', async () => {
  const rt = new FunctionRuntime({ functionsDir: dir })
  try {
    const streamed = []
    const res = await rt.invoke('stamp', null, { requestId: 'stamp-1', onLog: (e) => streamed.push(e) })
    const t = tokenOf('stamp-1')
    assert.equal(res.success, true, JSON.stringify(res))
    assert.ok(!JSON.stringify(res).includes(t), JSON.stringify(res.logs))
    assert.ok(!JSON.stringify(streamed).includes(t))
    assert.deepEqual(
      res.logs.map((l) => l.timestamp),
      ['[redacted]', '[redacted]'],
    )
  } finally {
    await rt.close()
  }
})

test('a JSON-escaped token (\\u0063…) in a structured stderr line, an error and an excerpt is redacted', async () => {
  const rt = new FunctionRuntime({ functionsDir: dir })
  try {
    for (const name of ['escaped', 'escaped-garbage']) {
      const streamed = []
      const res = await rt.invoke(name, null, { requestId: `${name}-1`, onLog: (e) => streamed.push(e) })
      const t = tokenOf(`${name}-1`)
      const text = JSON.stringify(res)
      assert.equal(res.success, false)
      // Decoding every string of the result (as a reader would) finds no token either.
      assert.ok(!text.includes(t) && !JSON.stringify(JSON.parse(text)).includes(t), text)
      assert.ok(!JSON.stringify(streamed).includes(t))
      const escapedToken = [...t].map((c) => '\\u00' + c.charCodeAt(0).toString(16)).join('')
      assert.ok(!text.includes(escapedToken) && !text.includes(escapedToken.replaceAll('\\', '\\\\')), text)
      assert.match(text, /\[redacted\]/)
    }
  } finally {
    await rt.close()
  }
})

test('two runtimes sharing tokenSecret verify each other’s tokens until expiry; other secrets never', async () => {
  const issuer = new FunctionRuntime({ functionsDir: dir, tokenSecret: SECRET })
  const replica = new FunctionRuntime({ functionsDir: dir, tokenSecret: SECRET })
  const stranger = new FunctionRuntime({ functionsDir: dir, tokenSecret: 'a different secret, also 32+ bytes' })
  const plain = new FunctionRuntime({ functionsDir: dir })
  try {
    const started = Date.now()
    const res = await issuer.invoke('hold', 0, { requestId: 'replica-1', timeoutMs: 2500 })
    assert.equal(res.success, true, JSON.stringify(res))
    const t = tokenOf('replica-1')
    assert.match(t, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/, 'URL-safe')
    // The call has ended: the issuer knows; the replica trusts the expiry.
    assert.equal(issuer.verifyToken(t), false)
    assert.equal(replica.verifyToken(t), true)
    const claims = replica.tokenClaims(t)
    assert.equal(claims.functionName, 'hold')
    assert.equal(claims.requestId, 'replica-1')
    assert.ok(claims.expiresAt >= started + 2000 && claims.expiresAt <= Date.now() + 2500, JSON.stringify(claims))
    for (const rt of [stranger, plain]) assert.equal(rt.verifyToken(t), false)
    const [body, sig] = t.split('.')
    const flip = (s, i) => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1)
    for (const bad of [flip(t, 3), `${body}.${flip(sig, 5)}`, `${body}.${sig}=`, t.toUpperCase(), `${t}x`, body]) {
      assert.equal(replica.verifyToken(bad), false, bad)
      assert.equal(replica.tokenClaims(bad), null)
    }
    await sleep(Math.max(0, claims.expiresAt - Date.now() + 100))
    assert.equal(replica.verifyToken(t), false, 'expired')
  } finally {
    await Promise.all([issuer, replica, stranger, plain].map((rt) => rt.close()))
  }
})

test('a signed token is valid on its issuer while the call runs', async () => {
  const rt = new FunctionRuntime({ functionsDir: dir, tokenSecret: SECRET })
  try {
    const call = rt.invoke('hold', 1500, { requestId: 'signed-live' })
    await waitFor(() => fs.existsSync(tokenFile('signed-live')))
    assert.equal(rt.verifyToken(tokenOf('signed-live')), true)
    await call
    assert.equal(rt.verifyToken(tokenOf('signed-live')), false)
  } finally {
    await rt.close()
  }
})

test('a tokenSecret shorter than 32 bytes makes the constructor throw', () => {
  assert.throws(() => new FunctionRuntime({ functionsDir: dir, tokenSecret: 'short' }), /tokenSecret.*32 bytes/)
  assert.throws(() => new FunctionRuntime({ functionsDir: dir, tokenSecret: 42 }), TypeError)
})

test('get() and list() show manifest env as written (${VAR}); the function gets the value', async () => {
  process.env.ALYX_TOKENS_TEST_DB_URL = 'postgres://user:hunter2@db/app'
  const rt = new FunctionRuntime({ functionsDir: dir })
  try {
    assert.deepEqual(rt.get('withenv').env, { DB_URL: '${ALYX_TOKENS_TEST_DB_URL}', PLAIN: 'literal' })
    assert.ok(!JSON.stringify(rt.list()).includes('hunter2'))
    assert.equal((await rt.invoke('withenv')).output, process.env.ALYX_TOKENS_TEST_DB_URL)
  } finally {
    delete process.env.ALYX_TOKENS_TEST_DB_URL
    await rt.close()
  }
})

test.after(() => fs.rmSync(dir, { recursive: true, force: true }))
