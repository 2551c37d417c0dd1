// deno test --allow-read --allow-env --allow-ffi --allow-net=127.0.0.1 --allow-write=$ALYX_SMOKE_DIR __test__/hosts/http.deno.ts
import { httpCases } from './http.ts'

const serve = (handler: (req: Request) => Promise<Response>) =>
  new Promise<{ url: string; close(): Promise<void> }>((resolve) => {
    const server = Deno.serve({ hostname: '127.0.0.1', port: 0, onListen: () => {} }, handler)
    resolve({ url: `http://127.0.0.1:${server.addr.port}`, close: () => server.shutdown() })
  })

for (const c of httpCases(serve)) Deno.test(c.name, c.run)
