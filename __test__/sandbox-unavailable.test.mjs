// SANDBOX_UNAVAILABLE with a real refusal from the OS (CONTRACT §11): a
// host started under a seccomp filter that makes the Landlock syscalls fail
// with ENOSYS, what a kernel without Landlock or a container runtime with an
// older seccomp profile does (__test__/fixtures/no-landlock.c). A sandboxed
// call must fail without running, at once, and unsandboxed ones still work.
// Linux only; needs `cc` (which every Rust build has); under CI=true a
// missing one is a failure.
import test from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { execFileSync, spawnSync } from 'node:child_process'
import { root, sh, writeFiles } from './helpers.mjs'

const outer = fs.mkdtempSync(path.join(os.tmpdir(), 'alyx-no-landlock-'))
test.after(() => fs.rmSync(outer, { recursive: true, force: true }))

/** The launcher, compiled here; null (and a loud skip) when it cannot be. */
function compileLauncher() {
  if (process.platform !== 'linux') return { skip: 'seccomp and Landlock are Linux-only' }
  try {
    const out = path.join(outer, 'no-landlock')
    execFileSync('cc', ['-O2', '-o', out, path.join(root, '__test__', 'fixtures', 'no-landlock.c')], { stdio: 'pipe' })
    return { launcher: out }
  } catch (e) {
    const msg = `cannot compile the seccomp launcher with cc: ${e.stderr ?? e.message}`
    if (process.env.CI === 'true') throw new Error(`CI=true and ${msg}`)
    console.error(`\n!!!!! SKIPPING: ${msg} !!!!!\n`)
    return { skip: msg }
  }
}
const { launcher, skip } = compileLauncher()

const dir = path.join(outer, 'functions')
const marker = path.join(outer, 'ran')
const slowStarted = path.join(outer, 'slow-started')
writeFiles(dir, {
  // Would leave a marker file if it ever ran.
  'sbx/bootstrap': sh(`cat >/dev/null; touch "${marker}"; echo '{"success":true,"output":"ran"}'`),
  'sbx/manifest.yaml': 'name: sbx\nsandbox: true\n',
  'plain/bootstrap': sh(`cat >/dev/null; echo '{"success":true,"output":"plain"}'`),
  'slow/bootstrap': sh(`cat >/dev/null; touch "${slowStarted}"; sleep 3; echo '{"success":true,"output":"slow"}'`),
  'slow/manifest.yaml': 'name: slow\nconcurrency: 1\n',
  // A warm worker would leave the marker as soon as it started.
  'warmsbx/bootstrap': sh(`touch "${marker}"; echo '{"alyx":"ready"}'; cat >/dev/null`),
  'warmsbx/manifest.yaml': 'name: warmsbx\nwarm: true\nsandbox: true\n',
})

// The host: every observation as one JSON line on stdout.
const host = `
const fs = require('node:fs')
const { FunctionRuntime } = require(process.env.ALYX_ROOT)
const dir = process.env.ALYX_DIR
const waitFile = async (f) => { while (!fs.existsSync(f)) await new Promise((r) => setTimeout(r, 10)) }
const timed = async (p) => { const t = Date.now(); const res = await p; return { res, ms: Date.now() - t } }
;(async () => {
  const out = { support: FunctionRuntime.sandboxSupport() }
  const rt = new FunctionRuntime({ functionsDir: dir })
  out.sbx = await rt.invoke('sbx')
  out.plain = await rt.invoke('plain')
  out.listed = rt.list().map((f) => f.name).sort()
  out.warm = await rt.invoke('warmsbx')
  out.warmup = await rt.warmup('warmsbx').then(() => 'started', (e) => e.code)
  out.pools = rt.pools()

  // A busy concurrency-1 function made sandboxed while its call runs: the
  // next call fails at once instead of waiting for the slot.
  const busy = rt.invoke('slow')
  await waitFile(${JSON.stringify(slowStarted)})
  fs.writeFileSync(dir + '/slow/manifest.yaml', 'name: slow\\nconcurrency: 1\\nsandbox: true\\n')
  out.behindOwn = await timed(rt.invoke('slow'))
  fs.writeFileSync(dir + '/slow/manifest.yaml', 'name: slow\\nconcurrency: 1\\n')
  out.busy = await busy

  // Every global slot taken (maxConcurrency 1): same.
  fs.rmSync(${JSON.stringify(slowStarted)}, { force: true })
  const full = new FunctionRuntime({ functionsDir: dir, maxConcurrency: 1 })
  const held = full.invoke('slow')
  await waitFile(${JSON.stringify(slowStarted)})
  out.behindGlobal = await timed(full.invoke('sbx'))
  out.held = await held

  // RuntimeOptions.sandbox: every call of that runtime needs it.
  const all = new FunctionRuntime({ functionsDir: dir, sandbox: true })
  out.hostPolicy = await all.invoke('plain')
  await Promise.all([rt.close(), full.close(), all.close()])
  console.log(JSON.stringify(out))
})().catch((e) => { console.error(e); process.exit(1) })
`

function underFilter(args, options = {}) {
  const r = spawnSync(launcher, args, { encoding: 'utf8', timeout: 60_000, ...options })
  assert.equal(r.status, 0, `exit ${r.status} ${r.signal ?? ''}\n${r.stdout}\n${r.stderr}`)
  return r
}

test('the launcher really takes Landlock away', { skip }, () => {
  const abi = `process.stdout.write(String(require(process.env.ALYX_ROOT).FunctionRuntime.sandboxSupport().abi))`
  const env = { ...process.env, ALYX_ROOT: root }
  assert.equal(underFilter([process.execPath, '-e', abi], { env }).stdout, '0')
})

test('a sandboxed call on a system that cannot enforce it: SANDBOX_UNAVAILABLE, not run, not queued', { skip }, () => {
  const env = { ...process.env, ALYX_ROOT: root, ALYX_DIR: dir }
  const out = JSON.parse(underFilter([process.execPath, '-e', host], { env }).stdout)
  assert.deepEqual(out.support, { available: false, abi: 0, network: false, scoping: false })

  assert.equal(out.sbx.success, false, JSON.stringify(out.sbx))
  assert.equal(out.sbx.error.code, 'SANDBOX_UNAVAILABLE')
  assert.match(out.sbx.error.message, /sbx.*cannot enforce.*did not run/)
  assert.equal(fs.existsSync(marker), false, 'the function never ran')
  assert.equal(out.plain.success, true, 'an unsandboxed call in the same host still runs')
  assert.equal(out.plain.output, 'plain')
  assert.deepEqual(out.listed, ['plain', 'sbx', 'slow', 'warmsbx'], 'a sandboxed function is still listed')
  // A warm one: no worker is started for it, by a call or by warmup().
  assert.equal(out.warm.error?.code, 'SANDBOX_UNAVAILABLE', JSON.stringify(out.warm))
  assert.equal(out.warmup, 'SANDBOX_UNAVAILABLE')
  assert.ok(
    out.pools.every((p) => p.ready + p.busy === 0),
    JSON.stringify(out.pools),
  )

  // Decided before admission: not behind the busy function's own slot
  // (its call sleeps 3 s), nor behind the only global slot.
  assert.equal(out.behindOwn.res.error?.code, 'SANDBOX_UNAVAILABLE', JSON.stringify(out.behindOwn))
  assert.ok(out.behindOwn.ms < 1500, `waited ${out.behindOwn.ms} ms behind a busy concurrency-1 function`)
  assert.equal(out.busy.output, 'slow', 'the busy call itself finished normally')
  assert.equal(out.behindGlobal.res.error?.code, 'SANDBOX_UNAVAILABLE', JSON.stringify(out.behindGlobal))
  assert.ok(out.behindGlobal.ms < 1500, `waited ${out.behindGlobal.ms} ms behind maxConcurrency`)
  assert.equal(out.held.output, 'slow')

  assert.equal(out.hostPolicy.error?.code, 'SANDBOX_UNAVAILABLE', 'RuntimeOptions.sandbox is refused the same way')
  assert.equal(fs.existsSync(marker), false)
})

test('`doctor` says the sandbox is unavailable', { skip }, () => {
  const r = underFilter([process.execPath, path.join(root, 'bin', 'alyx-runtime.js'), 'doctor'], {
    cwd: dir,
    env: { ...process.env, NO_COLOR: '1' },
  })
  assert.match(r.stdout, /sandbox: unavailable \(no Landlock in this kernel\)/)
})
