'use strict'
// createFetchHandler / createNodeHandler (CONTRACT §13, docs/HTTP.md): the
// manifest's `routes` and webhooks served over HTTP. The core decides which
// function serves a request and checks webhook signatures (crates/core
// routes/); this file only moves bytes between HTTP and `rt.invoke`; what the
// client receives is decided in http-responses.js.

const { nativeOf, isPlainObject, check } = require('./internal.js')
const { NO_BODY_STATUS, errorResponse, failureResponse, outputResponse } = require('./http-responses.js')

function handlerOptions(options) {
  check(options === undefined || isPlainObject(options), 'handler options must be an object')
  const o = options ?? {}
  const prefix = o.prefix ?? ''
  check(
    typeof prefix === 'string' && (prefix === '' || (prefix.startsWith('/') && !prefix.endsWith('/'))),
    'options.prefix must be "" or a path like "/api" (leading slash, no trailing slash)',
  )
  const maxBodyBytes = o.maxBodyBytes ?? 1024 * 1024
  check(Number.isInteger(maxBodyBytes) && maxBodyBytes >= 0, 'options.maxBodyBytes must be a non-negative integer')
  check(o.auth === undefined || typeof o.auth === 'function', 'options.auth must be a function')
  check(o.onError === undefined || typeof o.onError === 'function', 'options.onError must be a function')
  const onError = o.onError ?? ((err) => process.emitWarning(`@alyx/runtime HTTP handler: ${err?.stack ?? err}`, 'AlyxRuntimeWarning'))
  return { prefix, maxBodyBytes, auth: o.auth, onError }
}

/** First value of each query key, in a prototype-free object. */
function queryObject(searchParams) {
  const query = Object.create(null)
  for (const [k, v] of searchParams) if (!(k in query)) query[k] = v
  return query
}

function decodeParams(params) {
  const out = Object.create(null)
  for (const [k, v] of Object.entries(params)) {
    try {
      out[k] = decodeURIComponent(v)
    } catch {
      out[k] = v // not valid percent-encoding: as sent
    }
  }
  return out
}

/**
 * One request, whatever the server: `req` is { method, url (a URL),
 * headers (lower-cased names → string), contentLength, readBody(limit) →
 * Uint8Array | null (too large), signal, original }. Resolves with
 * { status, headers, body } or null when no route matches.
 */
async function serve(rt, native, opts, req) {
  let path = req.url.pathname
  if (opts.prefix) {
    if (path !== opts.prefix && !path.startsWith(`${opts.prefix}/`)) return null
    path = path.slice(opts.prefix.length) || '/'
  }
  const match = JSON.parse(native.matchRoute(req.method, path))
  if (match.status === 'notFound') return null
  if (match.status === 'methodNotAllowed') {
    const allow = match.allow.join(', ')
    return errorResponse(405, 'METHOD_NOT_ALLOWED', `${req.method} is not allowed here; use ${allow}`, { allow })
  }
  const tooLarge = () => errorResponse(413, 'PAYLOAD_TOO_LARGE', `the body is over ${opts.maxBodyBytes} bytes`, { connection: 'close' })
  if (Number(req.contentLength) > opts.maxBodyBytes) return tooLarge()
  const bytes = await req.readBody(opts.maxBodyBytes)
  if (bytes === null) return tooLarge()
  const input = {
    method: req.method,
    path,
    params: decodeParams(match.params),
    query: queryObject(req.url.searchParams),
    headers: req.headers,
    body: new TextDecoder().decode(bytes),
  }
  if (match.webhook) {
    const signature = req.headers[match.webhook.header]
    if (typeof signature !== 'string' || !native.verifyWebhook(match.function, match.webhook.hook, bytes, signature)) {
      return errorResponse(401, 'UNAUTHORIZED', 'missing or invalid signature')
    }
    input.verified = true
  }
  let auth = null
  if (opts.auth) {
    try {
      auth = (await opts.auth(req.original)) ?? null
    } catch (err) {
      opts.onError(err)
      return errorResponse(500, 'INTERNAL_ERROR', 'the server failed')
    }
  }
  const result = await rt.invoke(match.function, input, { auth, signal: req.signal })
  const response = result.success ? outputResponse(result.output) : failureResponse(result.error)
  response.headers['x-request-id'] ??= result.requestId
  return response
}

const notFound = () => errorResponse(404, 'ROUTE_NOT_FOUND', 'no route matches this path')

// ---- standard Request → Response (Deno.serve, Bun.serve, Hono, …) ----

async function readStream(stream, limit) {
  if (!stream) return new Uint8Array(0)
  const chunks = []
  let size = 0
  const reader = stream.getReader()
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > limit) {
      reader.cancel().catch(() => {})
      return null
    }
    chunks.push(value)
  }
  const out = new Uint8Array(size)
  let at = 0
  for (const c of chunks) {
    out.set(c, at)
    at += c.byteLength
  }
  return out
}

function createFetchHandler(rt, options) {
  const native = nativeOf(rt)
  const opts = handlerOptions(options)
  return async function alyxFetchHandler(request) {
    let response
    try {
      const headers = Object.create(null)
      for (const [k, v] of request.headers) headers[k] = v
      response =
        (await serve(rt, native, opts, {
          method: request.method,
          url: new URL(request.url),
          headers,
          contentLength: request.headers.get('content-length'),
          readBody: (limit) => readStream(request.body, limit),
          signal: request.signal,
          original: request,
        })) ?? notFound()
    } catch (err) {
      opts.onError(err)
      response = errorResponse(500, 'INTERNAL_ERROR', 'the server failed')
    }
    const body = NO_BODY_STATUS.has(response.status) ? null : response.body
    const headers = new Headers()
    for (const [k, v] of Object.entries(response.headers)) {
      for (const one of Array.isArray(v) ? v : [v]) headers.append(k, one)
    }
    return new Response(body, { status: response.status, headers })
  }
}

// ---- node:http (and Express, Connect: `next()` when no route matches) ----

/** The body, or null past `limit`: then reading stops (without destroying the
 * socket, so the 413 still goes out) and the connection closes after it. */
function readNodeBody(req, limit) {
  // A body parser (express.json(), …) mounted first has consumed the stream:
  // take what it kept. Its parsed object is re-serialised, which is not the raw
  // bytes a webhook signature covers (docs/HTTP.md: mount before body parsers).
  if (req.readableEnded) {
    const kept = req.body
    const bytes = Buffer.isBuffer(kept)
      ? kept
      : typeof kept === 'string'
        ? Buffer.from(kept)
        : kept == null
          ? Buffer.alloc(0)
          : Buffer.from(JSON.stringify(kept))
    return Promise.resolve(bytes.length > limit ? null : bytes)
  }
  return new Promise((resolve, reject) => {
    const chunks = []
    let size = 0
    const onData = (chunk) => {
      size += chunk.length
      if (size <= limit) return void chunks.push(chunk)
      cleanup()
      req.pause()
      resolve(null)
    }
    const onEnd = () => {
      cleanup()
      resolve(Buffer.concat(chunks, size))
    }
    const onError = (err) => {
      cleanup()
      reject(err)
    }
    const onClose = () => onError(new Error('the client went away while sending the body'))
    const cleanup = () => {
      req.off('data', onData)
      req.off('end', onEnd)
      req.off('error', onError)
      req.off('close', onClose)
    }
    req.on('data', onData)
    req.on('end', onEnd)
    req.on('error', onError)
    req.on('close', onClose)
  })
}

function nodeHeaders(raw) {
  const headers = Object.create(null)
  for (const [k, v] of Object.entries(raw)) headers[k] = Array.isArray(v) ? v.join(', ') : v
  return headers
}

function createNodeHandler(rt, options) {
  const native = nativeOf(rt)
  const opts = handlerOptions(options)
  return function alyxNodeHandler(req, res, next) {
    // A client that hangs up aborts the call: its process group is killed.
    const abandoned = new AbortController()
    res.on('close', () => res.writableFinished || abandoned.abort())
    const send = (response) => {
      if (res.destroyed || res.headersSent) return
      const body = NO_BODY_STATUS.has(response.status) ? '' : response.body
      res.writeHead(response.status, { ...response.headers, 'content-length': Buffer.byteLength(body) })
      res.end(body)
    }
    serve(rt, native, opts, {
      method: req.method,
      url: new URL(req.url, 'http://localhost'),
      headers: nodeHeaders(req.headers),
      contentLength: req.headers['content-length'],
      readBody: (limit) => readNodeBody(req, limit),
      signal: abandoned.signal,
      original: req,
    }).then(
      (response) => {
        if (response) send(response)
        else if (typeof next === 'function') next()
        else send(notFound())
      },
      (err) => {
        if (!abandoned.signal.aborted) opts.onError(err)
        send(errorResponse(500, 'INTERNAL_ERROR', 'the server failed'))
      },
    )
  }
}

module.exports = { createFetchHandler, createNodeHandler }
