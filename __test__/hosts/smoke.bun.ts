// bun test ./__test__/hosts/smoke.bun.ts
import { test } from 'bun:test'
import { cases } from './smoke.ts'

for (const c of cases) test(c.name, c.run, 20_000)
