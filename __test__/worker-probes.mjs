// One probe function per SDK for worker-protocol.test.mjs, the same handler
// code as a one-shot function. Input `mode`: "probe" logs and prints every way
// the language allows, each line tagged with the request id, and reports the
// per-call env (and with `partial: true`, leaves stderr lines unfinished, in
// the SDKs that track that); "crash" throws; "typed" fails with VALIDATION_ERROR; "echo"
// returns its input (for timing). `sample: true` makes it report its env again
// 50 ms after the call, on stderr, while no call runs. Each prints
// "startup stdout" / "startup stderr" before handler() is reached.

const VARS = ['ALYX_REQUEST_ID', 'ALYX_INTERNAL_TOKEN', 'ALYX_DEADLINE_MS', 'ALYX_AUTH', 'CALL_ENV', 'PRESET']

const js = (sdkUrl) => `import { handler, AlyxError } from ${JSON.stringify(sdkUrl)}
const isDeno = !!globalThis.Deno
const getEnv = (k) => (isDeno ? Deno.env.get(k) : process.env[k]) ?? null
const snapshot = () => Object.fromEntries(${JSON.stringify(VARS)}.map((k) => [k, getEnv(k)]))
console.log('startup stdout')
console.error('startup stderr')
let calls = 0
handler(async (input, ctx) => {
  calls++
  const rid = ctx.requestId
  if (input.mode === 'echo') return input
  if (input.mode === 'crash') {
    ctx.log.info(\`log \${rid}\`)
    throw new Error(\`boom \${rid}\`)
  }
  if (input.mode === 'typed') throw new AlyxError('VALIDATION_ERROR', 'name is required', { field: 'name' })
  ctx.log.info(\`log \${rid} 1\`, { rid })
  await new Promise((r) => setTimeout(r, 1))
  console.log(\`print \${rid}\`)
  if (!isDeno) process.stdout.write(\`raw \${rid}\\n\`)
  console.error(\`stderr \${rid}\`)
  for (let i = 0; i < (input.chatter ?? 0); i++) console.log(\`chatter \${rid} \${i}\`)
  if (input.partial) process.stderr.write(\`partial A \${rid}\`)
  ctx.log.warn(\`log \${rid} 2\`)
  if (input.partial) process.stdout.write(\`partial B \${rid}\`)
  if (input.sample) setTimeout(() => console.error('sample ' + JSON.stringify(snapshot())), 50)
  return { calls, pid: isDeno ? Deno.pid : process.pid, requestId: rid, env: snapshot(), size: input.big?.length ?? 0 }
})
`

const python = (sdkDir) => `import json, os, subprocess, sys, threading
sys.path.insert(0, ${JSON.stringify(sdkDir)})
import alyx

VARS = ${JSON.stringify(VARS)}
def snapshot():
    return {k: os.environ.get(k) for k in VARS}

print("startup stdout")
print("startup stderr", file=sys.stderr)
calls = 0

async def main(input, ctx):
    global calls
    calls += 1
    rid = ctx.request_id
    mode = input.get("mode")
    if mode == "echo":
        return input
    if mode == "crash":
        ctx.log.info(f"log {rid}")
        raise RuntimeError(f"boom {rid}")
    if mode == "typed":
        raise alyx.AlyxError("VALIDATION_ERROR", "name is required", {"field": "name"})
    ctx.log.info(f"log {rid} 1", {"rid": rid})
    print(f"print {rid}")
    sys.__stdout__.write(f"raw {rid}\\n")  # fd 1 itself, block-buffered without PYTHONUNBUFFERED
    print(f"stderr {rid}", file=sys.stderr)
    subprocess.run(["echo", f"child {rid}"])
    for i in range(input.get("chatter", 0)):
        print(f"chatter {rid} {i}")
    if input.get("partial"):
        sys.stderr.write(f"partial A {rid}")
    ctx.log.warn(f"log {rid} 2")
    if input.get("partial"):
        print(f"partial B {rid}", end="")
    if input.get("sample"):
        threading.Timer(0.05, lambda: print("sample " + json.dumps(snapshot()), file=sys.stderr, flush=True)).start()
    return {"calls": calls, "pid": os.getpid(), "requestId": rid, "env": snapshot(), "size": len(input.get("big") or "")}

alyx.handler(main)
`

const ruby = (sdkFile) => `require ${JSON.stringify(sdkFile)}

VARS = ${JSON.stringify(VARS)}
def snapshot
  VARS.to_h { |k| [k, ENV[k]] }
end

puts "startup stdout"
STDERR.puts "startup stderr"
$calls = 0

Alyx.handler do |input, ctx|
  $calls += 1
  rid = ctx.request_id
  next input if input["mode"] == "echo"
  if input["mode"] == "crash"
    ctx.log.info("log #{rid}")
    raise "boom #{rid}"
  end
  raise Alyx::Error.new("VALIDATION_ERROR", "name is required", { field: "name" }) if input["mode"] == "typed"
  ctx.log.info("log #{rid} 1", { rid: rid })
  puts "print #{rid}"
  STDOUT.write("raw #{rid}\\n")
  STDERR.puts "stderr #{rid}"
  system("echo", "child #{rid}")
  (input["chatter"] || 0).times { |i| puts "chatter #{rid} #{i}" }
  $stderr.write("partial A #{rid}") if input["partial"]
  ctx.log.warn("log #{rid} 2")
  print "partial B #{rid}" if input["partial"]
  Thread.new { sleep 0.05; STDERR.puts "sample #{JSON.generate(snapshot)}" } if input["sample"]
  { calls: $calls, pid: Process.pid, requestId: rid, env: snapshot, size: (input["big"] || "").length }
end
`

const go = `package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"time"

	"github.com/alyx/runtime/sdk/go/alyx"
)

var vars = []string{${VARS.map((v) => JSON.stringify(v)).join(', ')}}

func snapshot() map[string]any {
	env := map[string]any{}
	for _, k := range vars {
		if v, ok := os.LookupEnv(k); ok {
			env[k] = v
		} else {
			env[k] = nil
		}
	}
	return env
}

var calls = 0

func main() {
	fmt.Println("startup stdout")
	fmt.Fprintln(os.Stderr, "startup stderr")
	alyx.Handle(func(input map[string]any, ctx *alyx.Context) (any, error) {
		calls++
		rid := ctx.RequestID
		switch input["mode"] {
		case "echo":
			return input, nil
		case "crash":
			ctx.Log.Info("log " + rid)
			panic(errors.New("boom " + rid))
		case "typed":
			return nil, &alyx.Error{Code: "VALIDATION_ERROR", Message: "name is required", Details: map[string]any{"field": "name"}}
		}
		ctx.Log.Info("log "+rid+" 1", map[string]any{"rid": rid})
		fmt.Println("print " + rid)
		os.Stdout.WriteString("raw " + rid + "\\n")
		fmt.Fprintln(os.Stderr, "stderr "+rid)
		child := exec.Command("echo", "child "+rid)
		child.Stdout = os.Stdout
		child.Run()
		chatter, _ := input["chatter"].(float64)
		for i := 0; i < int(chatter); i++ {
			fmt.Printf("chatter %s %d\\n", rid, i)
		}
		ctx.Log.Warn("log " + rid + " 2")
		if input["sample"] == true {
			go func() {
				time.Sleep(50 * time.Millisecond)
				text, _ := json.Marshal(snapshot())
				fmt.Fprintln(os.Stderr, "sample "+string(text))
			}()
		}
		big, _ := input["big"].(string)
		return map[string]any{"calls": calls, "pid": os.Getpid(), "requestId": rid, "env": snapshot(), "size": len(big)}, nil
	})
}
`

const goMod = (sdkDir) => `module probe

go 1.21

require github.com/alyx/runtime/sdk/go/alyx v0.0.0

replace github.com/alyx/runtime/sdk/go/alyx => ${sdkDir}
`

/** Files per probe directory ("worker-<name>/…"), for functionsDir(). */
export function probes({ jsSdkUrl, pythonSdk, rubySdk, goSdk }) {
  return {
    node: { 'worker-node/index.mjs': js(jsSdkUrl) },
    deno: { 'worker-deno/index.ts': js(jsSdkUrl) },
    bun: { 'worker-bun/index.ts': js(jsSdkUrl), 'worker-bun/bunfig.toml': '' },
    python: { 'worker-python/main.py': python(pythonSdk) },
    ruby: { 'worker-ruby/main.rb': ruby(rubySdk) },
    go: { 'worker-go/main.go': go, 'worker-go/go.mod': goMod(goSdk) },
  }
}
