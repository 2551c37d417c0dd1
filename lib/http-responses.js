'use strict'
// What an HTTP client receives for a call (CONTRACT §13, docs/HTTP.md): the
// function's `{ status, headers, body }`, 200 JSON, or `{ error: { code,
// message } }` with a status per outcome code. Runtime codes get a fixed
// text: their messages quote stderr, and stderr can hold secrets.

const { isPlainObject } = require('./internal.js')

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

module.exports = { NO_BODY_STATUS, errorResponse, failureResponse, outputResponse }
