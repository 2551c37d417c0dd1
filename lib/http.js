'use strict'
// createFetchHandler / createNodeHandler (CONTRACT §13, docs/HTTP.md): the
// manifest's `routes` and webhooks served over HTTP. The core decides which
// function serves a request and checks webhook signatures (crates/core
// routes/); this file only moves bytes between HTTP and `rt.invoke`. Error
// bodies are `{ error: { code, message } }` with fixed texts for runtime
// codes: a runtime message may quote stderr, and stderr can hold secrets.

const { nativeOf, isPlainObject, check } = require('./internal.js')

const STATUS_BY_CODE = {
  FUNCTION_NOT_FOUND: 404,
  INVALID_INPUT: 400,
  QUEUE_FULL: 503,
  TIMEOUT: 504,
  CANCELLED: 499,
}

// Every runtime code of CONTRACT §3, with the only text a client sees for it.
const RUNTIME_MESSAGES = {
  FUNCTION_NOT_FOUND: 'no such function',
  INVALID_FUNCTION_NAME: 'no such function',
  INVALID_MANIFEST: 'the function is misconfigured',
  INVALID_INPUT: 'the request cannot be passed to the function',
  RUNTIME_NOT_FOUND: 'the function cannot run on this server',
  SPAWN_FAILED: 'the function could not be started',
  BUILD_FAILED: 'the function could not be built',
  TIMEOUT: 'the function did not answer in time',
  QUEUE_FULL: 'the server is busy; try again later',
  CANCELLED: 'the request was cancelled',
  OUTPUT_TOO_LARGE: 'the function failed',
  MEMORY_LIMIT_EXCEEDED: 'the function failed',
  INVALID_OUTPUT: 'the function failed',
  EXIT_ERROR: 'the function failed',
  KILLED: 'the function failed',
  WORKER_START_FAILED: 'the function could not be started',
  SANDBOX_UNAVAILABLE: 'the function cannot run on this server',
}

const NO_BODY_STATUS = new Set([204, 205, 304])

function handlerOptions(options) {
  check(options === undefined || isPlainObject(options), 'handler options must be an object')
  const o = options ?? {}
  const prefix = o.prefix ?? ''
  check(typeof prefix === 'string' && (prefix === '' || (prefix.startsWith('/') && !prefix.endsWith('/'))),
    'options.prefix must be "" or a path like "/api" (leading slash, no trailing slash)')
  const maxBodyBytes = o.maxBodyBytes ?? 1024 * 1024
  check(Number.isInteger(maxBodyBytes) && maxBodyBytes >= 0, 'options.maxBodyBytes must be a non-negative integer')
  check(o.auth === undefined || typeof o.auth === 'function', 'options.auth must be a function')
  check(o.onError === undefined || typeof o.onError === 'function', 'options.onError must be a function')
  const onError = o.onError ?? ((err) => process.emitWarning(`@alyx/runtime HTTP handler: ${err?.stack ?? err}`, 'AlyxRuntimeWarning'))
  return { prefix, maxBodyBytes, auth: o.auth, onError }
}

function errorResponse(status, code, message, headers = {}) {
  return jsonResponse(status, { error: { code, message } }, headers)
}

function jsonResponse(status, value, headers = {}) {
  const body = JSON.stringify(value) ?? 'null'
  return { status, headers: { 'content-type': 'application/json; charset=utf-8', ...headers }, body }
}

/** The response for a failed call: status per code, and a body that cannot leak. */
function failureResponse(error) {
  const code = error?.code ?? 'INTERNAL_ERROR'
  if (Object.hasOwn(RUNTIME_MESSAGES, code)) {
    return errorResponse(STATUS_BY_CODE[code] ?? 500, code, RUNTIME_MESSAGES[code])
  }
  // The function's own error: its code and message are its own to show.
  const wanted = error?.details?.status
  const status = Number.isInteger(wanted) && wanted >= 400 && wanted <= 599 ? wanted : 400
  return errorResponse(status, String(code), typeof error?.message === 'string' ? error.message : '')
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/
const FRAMING = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive'])

/** A function's `headers`: valid names, string/number values (or lists); framing is ours. */
function safeHeaders(headers) {
  const out = {}
  if (!isPlainObject(headers)) return out
  const okValue = (v) => (typeof v === 'string' && !/[\r\n\0]/.test(v)) || Number.isFinite(v)
  for (const [name, value] of Object.entries(headers)) {
    if (!TOKEN.test(name) || FRAMING.has(name.toLowerCase())) continue
    if (okValue(value)) out[name.toLowerCase()] = String(value)
    else if (Array.isArray(value) && value.length && value.every(okValue)) out[name.toLowerCase()] = value.map(String)
  }
  return out
}

/** A successful call: `{status, headers?, body?}` is the response, anything else is 200 JSON. */
function outputResponse(output) {
  const status = output?.status
  if (!isPlainObject(output) || !Number.isInteger(status) || status < 200 || status > 599) {
    return jsonResponse(200, output ?? null)
  }
  const headers = safeHeaders(output.headers)
  let body = output.body
  if (body === undefined || body === null) body = ''
  else if (typeof body !== 'string') {
    body = JSON.stringify(body)
    headers['content-type'] ??= 'application/json; charset=utf-8'
  } else headers['content-type'] ??= 'text/plain; charset=utf-8'
  return { status, headers, body: NO_BODY_STATUS.has(status) ? '' : body }
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
  const input = { method: req.method, path, params: decodeParams(match.params), query: queryObject(req.url.searchParams), headers: req.headers, body: new TextDecoder().decode(bytes) }
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
      response = (await serve(rt, native, opts, {
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

module.exports = { createFetchHandler, createNodeHandler, failureResponse }
