// bun test ./__test__/hosts/http.bun.ts
import { test } from 'bun:test'
import { httpCases } from './http.ts'

const serve = async (handler: (req: Request) => Promise<Response>) => {
  const server = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: handler })
  return { url: `http://127.0.0.1:${server.port}`, close: () => server.stop(true) }
}

for (const c of httpCases(serve)) test(c.name, c.run, 60_000)
