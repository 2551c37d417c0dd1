// The red team's reproductions (CONTRACT §14): per-call env that made a
// runtime run caller-chosen code, a function directory swapped while its
// call was queued, and watch() following a symlink out of functionsDir.
// Each ran code or leaked before the fix; each must be refused now.
import test from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { FunctionRuntime, needs, sh, sleep, waitFor, writeFiles } from './helpers.mjs'

const outer = fs.mkdtempSync(path.join(os.tmpdir(), 'alyx-hostile-'))
const dir = path.join(outer, 'functions')
const marker = (n) => path.join(outer, `RAN_${n}`)
const readAll = `let s='';process.stdin.on('data',d=>s+=d).on('end',()=>{`
writeFiles(outer, {
  'decoy/bootstrap': sh(`touch "${marker('decoy')}"; echo '{"success":true,"output":"decoy"}'`),
})
writeFiles(dir, {
  'node/index.js': `${readAll}console.log(JSON.stringify({success:true,output:{NODE_OPTIONS:process.env.NODE_OPTIONS??null}}))})`,
  'bash/bootstrap': { text: `#!/bin/bash\ncat >/dev/null\necho '{"success":true,"output":"bash"}'\n`, exec: true },
  'sh/bootstrap': sh(`cat >/dev/null; printf '{"success":true,"output":%s}\\n' "$ALYX_AUTH"`),
  'py/main.py':
    'import json, os, sys, warnings\njson.load(sys.stdin)\nwarnings.warn("x")\nprint(json.dumps({"success": True, "output": os.environ.get("ALYX_AUTH")}))\n',
  'slow/bootstrap': sh(`cat >/dev/null; sleep 1; echo '{"success":true}'`),
  'victim/bootstrap': sh(`cat >/dev/null; echo '{"success":true,"output":"victim"}'`),
})
test.after(() => fs.rmSync(outer, { recursive: true, force: true }))

const reproductions = [
  ['node', 'NODE_OPTIONS', `--import=data:text/javascript,require('fs').writeFileSync('${marker('node')}','')`],
  ['node', 'NODE_OPTIONS', `--require=${marker('none')}`],
  ['bash', 'BASH_ENV', `$(touch ${marker('bash_env')})`],
  ['bash', 'BASH_FUNC_cat%%', `() { touch ${marker('bash_func')}; }`],
  ['sh', 'ENV', `$(touch ${marker('env')})`],
  ['py', 'PYTHONWARNINGS', 'all:0:antigravity.x:0:0'],
  ['py', 'BROWSER', `touch ${marker('browser')}`],
  ['py', 'PYTHONSTARTUP', marker('none')],
  ['py', 'PYENV_VERSION', 'system'],
  ['sh', 'LD_PRELOAD', '/nonexistent.so'],
  ['sh', 'ALYX_AUTH={"id":"admin","x":"', '"}'],
  ['sh', 'ALYX_AUTH', '{"id":"admin"}'],
  ['sh', 'A B', 'x'],
  ['sh', 'OK', 'nul\0inside'],
]

for (const [fn, key, value] of reproductions) {
  test(
    `per-call env ${JSON.stringify(key)} for a ${fn} function is INVALID_INPUT naming the key, and nothing runs`,
    fn === 'py' ? needs('python3') : {},
    async () => {
      const rt = new FunctionRuntime({ functionsDir: dir })
      try {
        const res = await rt.invoke(fn, null, { env: { [key]: value }, auth: { id: 'guest' } })
        assert.equal(res.error?.code, 'INVALID_INPUT', JSON.stringify(res))
        assert.ok(res.error.message.includes(JSON.stringify(key)), res.error.message)
        assert.equal(res.exitCode, null, 'never spawned')
        for (const f of fs.readdirSync(outer)) assert.ok(!f.startsWith('RAN_'), `${f}: the caller's code ran`)
      } finally {
        await rt.close()
      }
    },
  )
}

test('allowCallEnv lets the host allow a named variable; ALYX_ and the rest stay refused', async () => {
  const rt = new FunctionRuntime({ functionsDir: dir, allowCallEnv: ['NODE_OPTIONS'] })
  try {
    const ok = await rt.invoke('node', null, { env: { NODE_OPTIONS: '--max-old-space-size=200' } })
    assert.equal(ok.success, true, JSON.stringify(ok))
    assert.equal(ok.output.NODE_OPTIONS, '--max-old-space-size=200')
    const refused = await rt.invoke('node', null, { env: { NODE_PATH: '/tmp' } })
    assert.equal(refused.error?.code, 'INVALID_INPUT')
    const ordinary = await rt.invoke('sh', null, { env: { API_KEY: 'k', NODE_ENV: 'production' }, auth: { id: 'u' } })
    assert.deepEqual(ordinary.output, { id: 'u' }, 'ALYX_AUTH is the runtime’s own')
  } finally {
    await rt.close()
  }
  assert.throws(() => new FunctionRuntime({ functionsDir: dir, allowCallEnv: 'NODE_OPTIONS' }), TypeError)
})

test('a function directory swapped for an outside symlink while its call was queued is refused', async () => {
  const rt = new FunctionRuntime({ functionsDir: dir, maxConcurrency: 1 })
  try {
    const blocker = rt.invoke('slow')
    const queued = rt.invoke('victim')
    await sleep(300) // `victim` has been found and waits for the slot
    fs.renameSync(path.join(dir, 'victim'), path.join(outer, 'victim-moved'))
    fs.symlinkSync(path.join(outer, 'decoy'), path.join(dir, 'victim'))
    assert.equal((await blocker).success, true)
    const res = await queued
    assert.equal(res.error?.code, 'INVALID_FUNCTION_NAME', JSON.stringify(res))
    assert.equal(fs.existsSync(marker('decoy')), false, 'the outside code ran')
  } finally {
    await rt.close()
    fs.rmSync(path.join(dir, 'victim'), { force: true })
  }
})

/** inotify watches this process holds, from /proc/self/fdinfo. */
function inotifyWatches() {
  let count = 0
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    try {
      if (fs.readlinkSync(`/proc/self/fd/${fd}`) !== 'anon_inode:inotify') continue
      count += fs
        .readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8')
        .split('\n')
        .filter((l) => l.startsWith('inotify wd:')).length
    } catch {}
  }
  return count
}

test('watch() does not follow a symlink out of functionsDir (one to /usr used to add ~17,000 watches)', async () => {
  const d = path.join(outer, 'watched')
  writeFiles(d, { 'fn/bootstrap': sh(`echo '{"success":true}'`) })
  fs.symlinkSync('/usr', path.join(d, 'usr-link'))
  fs.symlinkSync('/usr', path.join(d, 'fn', 'usr-link'))
  const rt = new FunctionRuntime({ functionsDir: d })
  const before = inotifyWatches()
  const started = performance.now()
  const watcher = rt.watch(() => {})
  const blocked = performance.now() - started
  try {
    await sleep(200)
    const added = inotifyWatches() - before
    assert.ok(added > 0 && added < 20, `${added} inotify watches for a 2-directory tree`)
    assert.ok(blocked < 500, `watch() blocked the event loop ${blocked.toFixed(0)} ms`)
    // It still sees changes inside.
    const events = []
    await watcher.close()
    const w2 = rt.watch((e) => events.push(e))
    await sleep(200)
    writeFiles(d, { 'fn/bootstrap': sh(`echo '{"success":true,"output":2}'`) })
    await waitFor(() => events.some((e) => e.type === 'changed' && e.name === 'fn'))
    await w2.close()
  } finally {
    await watcher.close()
    await rt.close()
  }
})
