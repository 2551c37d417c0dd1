import { type Context, handler } from '@alyx/runtime/sdk'

handler((input: { name?: string } | null, ctx: Context) => {
  const name = input?.name ?? 'World'
  ctx.log.info('greeting', { name })
  return { message: `Hello, ${name}!`, runtime: 'deno', version: Deno.version.deno }
})
