// The manifests' routes and webhooks on Deno.serve, through createFetchHandler
// (docs/HTTP.md). From the repository root:
//
//   deno run --allow-read --allow-env --allow-ffi --allow-net=127.0.0.1 examples/deno/server.ts
//   curl localhost:8000/todos
//
// Bun is the same with `Bun.serve({ port, fetch: handler })`; Hono mounts the
// handler on any path: `app.all("/api/*", (c) => handler(c.req.raw))` with
// `createFetchHandler(rt, { prefix: "/api" })`.
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import type * as Alyx from '../../index.d.ts'

// In an app: `import { FunctionRuntime, createFetchHandler } from "npm:@alyx/runtime"`.
const require = createRequire(import.meta.url)
const { FunctionRuntime, createFetchHandler }: typeof Alyx = require('../../index.js')

Deno.env.set('GITHUB_WEBHOOK_SECRET', Deno.env.get('GITHUB_WEBHOOK_SECRET') ?? 'dev-secret')
const rt = new FunctionRuntime({ functionsDir: fileURLToPath(new URL('../functions', import.meta.url)) })
const handler = createFetchHandler(rt, { onError: (err) => console.error('handler error:', err) })

const server = Deno.serve({ hostname: '127.0.0.1', port: Number(Deno.env.get('PORT') ?? 8000) }, handler)
Deno.addSignalListener('SIGTERM', async () => {
  await server.shutdown()
  await rt.close()
  Deno.exit(0)
})
