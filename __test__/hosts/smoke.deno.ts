// deno test --allow-read --allow-env --allow-ffi --allow-write=$ALYX_SMOKE_DIR __test__/hosts/smoke.deno.ts
import { cases } from './smoke.ts'

for (const c of cases) Deno.test(c.name, c.run)
