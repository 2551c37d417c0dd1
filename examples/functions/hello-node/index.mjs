import { handler } from '@alyx/runtime/sdk'

handler((input, ctx) => {
  const name = input?.name ?? 'World'
  ctx.log.info('greeting', { name })
  return { message: `Hello, ${name}!`, runtime: 'node', version: process.version }
})
