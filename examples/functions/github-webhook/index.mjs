import { handler } from '@alyx/runtime/sdk'

// Runs only for a request whose signature matched (input.verified is true).
handler((input, ctx) => {
  const event = input.headers['x-github-event'] ?? 'unknown'
  const payload = JSON.parse(input.body || '{}')
  ctx.log.info('webhook received', { event })
  return { received: event, verified: input.verified === true, ref: payload.ref ?? null }
})
