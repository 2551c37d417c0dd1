// Every SDK, exercised the only way that matters: a function written with it,
// invoked through the runtime as a real process. One "probe" per language
// echoes its input and context, logs, prints (which must land in logs), and
// fails on demand with a typed error or an unexpected exception.
import test from 'node:test'
import assert from 'node:assert/strict'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { FunctionRuntime, functionsDir, needs, root } from './helpers.mjs'

const sdk = (rel) => path.join(root, 'sdk', rel)
const jsSdkUrl = pathToFileURL(sdk('js/alyx.mjs')).href

// The same probe runs under Node, Deno and Bun.
const jsProbe = `import { handler, AlyxError } from ${JSON.stringify(jsSdkUrl)}
handler(async (input, ctx) => {
  await new Promise((r) => setTimeout(r, 5))
  if (input.mode === 'typed') throw new AlyxError('VALIDATION_ERROR', 'name is required', { field: 'name' })
  if (input.mode === 'crash') throw new Error('boom')
  ctx.log.info('probe log', { n: 1 })
  ctx.log.warn('careful')
  console.log('stray print')
  if (!globalThis.Deno) process.stdout.write('raw write\\n')
  const { log, ...fields } = ctx
  return { input, ctx: fields }
})
`

const pythonProbe = `import subprocess, sys
sys.path.insert(0, ${JSON.stringify(sdk('python'))})
import alyx

async def main(input, ctx):
    if input["mode"] == "typed":
        raise alyx.AlyxError("VALIDATION_ERROR", "name is required", {"field": "name"})
    if input["mode"] == "crash":
        raise RuntimeError("boom")
    ctx.log.info("probe log", {"n": 1})
    ctx.log.warn("careful")
    print("stray print")
    subprocess.run(["echo", "child print"])
    return {"input": input, "ctx": {
        "requestId": ctx.request_id, "functionName": ctx.function_name, "auth": ctx.auth, "env": ctx.env,
        "alyxUrl": ctx.alyx_url, "internalToken": ctx.internal_token, "deadlineMs": ctx.deadline_ms}}

alyx.handler(main)
`

const rubyProbe = `require ${JSON.stringify(sdk('ruby/alyx'))}

Alyx.handler do |input, ctx|
  raise Alyx::Error.new("VALIDATION_ERROR", "name is required", { field: "name" }) if input["mode"] == "typed"
  raise "boom" if input["mode"] == "crash"
  ctx.log.info("probe log", { n: 1 })
  ctx.log.warn("careful")
  puts "stray print"
  system("echo", "child print")
  { input: input, ctx: {
    requestId: ctx.request_id, functionName: ctx.function_name, auth: ctx.auth, env: ctx.env,
    alyxUrl: ctx.alyx_url, internalToken: ctx.internal_token, deadlineMs: ctx.deadline_ms } }
end
`

const goProbe = `package main

import (
	"fmt"
	"os"
	"os/exec"

	"github.com/alyx/runtime/sdk/go/alyx"
)

func main() {
	alyx.Handle(func(input map[string]any, ctx *alyx.Context) (any, error) {
		switch input["mode"] {
		case "typed":
			return nil, &alyx.Error{Code: "VALIDATION_ERROR", Message: "name is required", Details: map[string]any{"field": "name"}}
		case "crash":
			panic("boom")
		}
		ctx.Log.Info("probe log", map[string]any{"n": 1})
		ctx.Log.Warn("careful")
		fmt.Println("stray print")
		child := exec.Command("echo", "child print")
		child.Stdout = os.Stdout
		child.Run()
		return map[string]any{"input": input, "ctx": map[string]any{
			"requestId": ctx.RequestID, "functionName": ctx.FunctionName, "auth": ctx.Auth, "env": ctx.Env,
			"alyxUrl": ctx.AlyxURL, "internalToken": ctx.InternalToken, "deadlineMs": ctx.DeadlineMs}}, nil
	})
}
`

const goMod = `module probe

go 1.21

require github.com/alyx/runtime/sdk/go/alyx v0.0.0

replace github.com/alyx/runtime/sdk/go/alyx => ${sdk('go/alyx')}
`

// name → [files, commands it needs, whether a child process's stdout is redirected too]
const probes = {
  'sdk-node': [{ 'sdk-node/index.mjs': jsProbe }, ['node'], false],
  'sdk-deno': [{ 'sdk-deno/index.ts': jsProbe }, ['deno'], false],
  'sdk-bun': [{ 'sdk-bun/index.ts': jsProbe, 'sdk-bun/bunfig.toml': '' }, ['bun'], false],
  'sdk-python': [{ 'sdk-python/main.py': pythonProbe }, ['python3'], true],
  'sdk-ruby': [{ 'sdk-ruby/main.rb': rubyProbe }, ['ruby'], true],
  'sdk-go': [{ 'sdk-go/main.go': goProbe, 'sdk-go/go.mod': goMod }, ['go'], true],
}

const dir = functionsDir(Object.assign({}, ...Object.values(probes).map(([files]) => files)))
// One runtime for every test, so the Go probe compiles once.
const rt = new FunctionRuntime({ functionsDir: dir, timeoutMs: 120_000, alyxUrl: 'http://alyx.test' })
test.after(() => rt.close())

const TIMEOUT_MS = 60_000
const auth = { id: 'u1', email: 'a@b.c', role: 'admin' }
const describe = (res) => JSON.stringify({ error: res.error, logs: res.logs }, null, 1)

for (const [name, [, commands, childRedirected]] of Object.entries(probes)) {
  test(`${name}: input, every ctx field, structured logs, prints kept off stdout`, needs(...commands), async () => {
    const input = { mode: 'echo', name: 'World', nested: { list: [1, 'two', null] } }
    const before = Date.now()
    const res = await rt.invoke(name, input, { requestId: `req-${name}`, auth, env: { CALL_ENV: 'yes' }, timeoutMs: TIMEOUT_MS })
    const after = Date.now()
    assert.equal(res.success, true, describe(res))
    assert.equal(res.exitCode, 0)
    assert.deepEqual(res.output.input, input)

    const { deadlineMs, internalToken, ...ctx } = res.output.ctx
    assert.deepEqual(ctx, { requestId: `req-${name}`, functionName: name, auth, env: { CALL_ENV: 'yes' }, alyxUrl: 'http://alyx.test' })
    assert.match(internalToken, /^[0-9a-f]{64}$/)
    assert.ok(deadlineMs >= before + TIMEOUT_MS && deadlineMs <= after + TIMEOUT_MS, `deadline ${deadlineMs}`)

    const info = res.logs.find((l) => l.message === 'probe log')
    assert.equal(info?.level, 'info', describe(res))
    assert.deepEqual(info.data, { n: 1 })
    assert.match(info.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/)
    assert.equal(res.logs.find((l) => l.message === 'careful')?.level, 'warn')
    // Printed text arrives on stderr; nothing but the response went to stdout.
    assert.equal(res.logs.find((l) => l.message === 'stray print')?.source, 'stderr', describe(res))
    if (name === 'sdk-node' || name === 'sdk-bun') assert.equal(res.logs.find((l) => l.message === 'raw write')?.source, 'stderr', describe(res))
    if (childRedirected) assert.equal(res.logs.find((l) => l.message === 'child print')?.source, 'stderr', describe(res))
    assert.ok(!res.logs.some((l) => l.source === 'stdout'), describe(res))
  })

  test(`${name}: a typed error keeps its code and details, exit code 1`, needs(...commands), async () => {
    const res = await rt.invoke(name, { mode: 'typed' })
    assert.equal(res.success, false)
    assert.deepEqual(res.error, { code: 'VALIDATION_ERROR', message: 'name is required', details: { field: 'name' } })
    assert.equal(res.exitCode, 1)
  })

  test(`${name}: an unexpected exception is FUNCTION_ERROR, its trace in the logs`, needs(...commands), async () => {
    const res = await rt.invoke(name, { mode: 'crash' })
    assert.equal(res.success, false)
    assert.equal(res.error.code, 'FUNCTION_ERROR', describe(res))
    assert.match(res.error.message, /boom/)
    assert.equal(res.exitCode, 1)
    const trace = res.logs.find((l) => l.level === 'error' && l.data)
    assert.ok(trace, describe(res))
    assert.match(JSON.stringify(trace.data), /boom/)
  })
}
