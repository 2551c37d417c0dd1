import { AlyxError, handler } from '@alyx/runtime/sdk'

// A function on HTTP routes (see manifest.yaml): createFetchHandler /
// createNodeHandler give it { method, path, params, query, headers, body }
// and send back the { status, headers, body } it returns (docs/HTTP.md).
// State would live in a database; a one-shot process has none, so this one
// starts from a fixed list.
const seed = [
  { id: 1, title: 'Write a function', done: true },
  { id: 2, title: 'Run it with @alyx/runtime', done: false },
]

handler((input, ctx) => {
  const method = (input?.method ?? 'GET').toUpperCase()
  const id = input?.params?.id
  if (method === 'GET' && id === undefined) return { todos: seed.slice(0, Number(ctx.env.PAGE_SIZE ?? 20)) }
  if (method === 'GET') {
    const todo = seed.find((t) => String(t.id) === id)
    if (!todo) throw new AlyxError('NOT_FOUND', `no todo ${id}`, { status: 404 })
    return { todo }
  }
  if (method === 'POST') {
    let title
    try {
      title = JSON.parse(input.body || '{}').title
    } catch {
      throw new AlyxError('VALIDATION_ERROR', 'the body must be JSON', { status: 400 })
    }
    if (!title) throw new AlyxError('VALIDATION_ERROR', 'title is required', { field: 'title', status: 422 })
    const todo = { id: seed.length + 1, title, done: false, owner: ctx.auth?.id ?? null }
    ctx.log.info('todo created', { id: todo.id })
    return { status: 201, headers: { Location: `/todos/${todo.id}` }, body: { todo } }
  }
  throw new AlyxError('NOT_IMPLEMENTED', `${method} is not implemented yet`, { status: 501 })
})
