#!/usr/bin/env node
// A small HTTP backend for functions, with nothing but node:http.
//
//   node examples/server/server.mjs [--port 3000] [--dir examples/functions] [--dev]
//
//   POST /api/functions/:name   JSON body = input  →  the InvokeResult as JSON
//   GET  /api/functions         the functions (name, runtime, description, timeoutMs, routes)
//
// Status codes (a client can branch on the status; the body says exactly what happened):
//   200  success
//   400  INVALID_FUNCTION_NAME, INVALID_INPUT (including a body that is not JSON),
//        and any code the function chose itself (VALIDATION_ERROR, …): the request was refused
//   404  FUNCTION_NOT_FOUND
//   413  PAYLOAD_TOO_LARGE (body over 1 MiB)
//   503  CANCELLED (the server is shutting down, or the client went away)
//   504  TIMEOUT
//   500  everything else: FUNCTION_ERROR / INTERNAL_ERROR from a function, and the
//        runtime's failure codes (EXIT_ERROR, INVALID_OUTPUT, BUILD_FAILED, SPAWN_FAILED, …)
//
// --dev (or NODE_ENV=development) watches the functions directory: new, changed
// and removed functions are picked up, build steps rerun, and events are logged.
// Listens on 127.0.0.1 only; PORT=0 / --port 0 picks a free port.
import http from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { CODES, FunctionRuntime } from "../../index.js";

const MAX_BODY_BYTES = 1024 * 1024;
const STATUS_BY_CODE = {
  [CODES.FUNCTION_NOT_FOUND]: 404,
  [CODES.INVALID_FUNCTION_NAME]: 400,
  [CODES.INVALID_INPUT]: 400,
  [CODES.TIMEOUT]: 504,
  [CODES.CANCELLED]: 503,
  FUNCTION_ERROR: 500, // the SDKs' code for an unexpected exception
  INTERNAL_ERROR: 500,
};

function statusFor(result) {
  if (result.success) return 200;
  const code = result.error.code;
  if (code in STATUS_BY_CODE) return STATUS_BY_CODE[code];
  // Any other runtime code is a failure to run the function; a code the
  // function picked itself means it refused this request.
  return code in CODES ? 500 : 400;
}

const { values: args } = parseArgs({
  options: {
    port: { type: "string", default: process.env.PORT ?? "3000" },
    dir: { type: "string", default: path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "functions") },
    dev: { type: "boolean", default: process.env.NODE_ENV === "development" },
  },
});

const rt = new FunctionRuntime({ functionsDir: path.resolve(args.dir) });
const watcher = args.dev ? rt.watch(logWatchEvent) : null;

const server = http.createServer((req, res) => {
  const started = Date.now();
  res.on("finish", () => console.log(`${req.method} ${req.url} ${res.statusCode} ${Date.now() - started}ms`));
  route(req, res).catch((err) => {
    console.error(err);
    if (!res.headersSent) sendJson(res, 500, failure("INTERNAL_ERROR", "the server failed"));
    else res.destroy();
  });
});

async function route(req, res) {
  const { pathname } = new URL(req.url, "http://localhost");
  if (pathname === "/api/functions" && req.method === "GET") return sendJson(res, 200, { functions: rt.list().map(publicInfo) });
  const match = /^\/api\/functions\/([^/]+)$/.exec(pathname);
  if (!match) return sendJson(res, 404, failure("NOT_FOUND", `no route for ${req.method} ${pathname}`));
  if (req.method !== "POST") {
    res.setHeader("Allow", "POST");
    return sendJson(res, 405, failure("METHOD_NOT_ALLOWED", "use POST to invoke a function"));
  }
  return invoke(decodeURIComponent(match[1]), req, res);
}

async function invoke(name, req, res) {
  const body = await readBody(req);
  if (body === null) return sendJson(res, 413, failure("PAYLOAD_TOO_LARGE", `body is over ${MAX_BODY_BYTES} bytes`));
  let input = null;
  if (body.trim()) {
    try {
      input = JSON.parse(body);
    } catch (err) {
      return sendJson(res, 400, failure(CODES.INVALID_INPUT, `body is not JSON: ${err.message}`));
    }
  }
  // A client that hangs up should not leave its function running.
  const abandoned = new AbortController();
  res.on("close", () => res.writableFinished || abandoned.abort());
  // A real backend would pass `auth` from its verified session here.
  const result = await rt.invoke(name, input, { signal: abandoned.signal, requestId: requestIdFrom(req) });
  res.setHeader("X-Request-Id", result.requestId);
  sendJson(res, statusFor(result), result);
}

/** The body as text, or null when it is too large. */
async function readBody(req) {
  let size = 0;
  const chunks = [];
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return null;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** A caller's X-Request-Id, when it is a sane one, ties logs together. */
function requestIdFrom(req) {
  const id = req.headers["x-request-id"];
  return typeof id === "string" && /^[\w.-]{1,128}$/.test(id) ? id : undefined;
}

// Directory paths stay on the server.
function publicInfo({ name, runtime, description, timeoutMs, routes }) {
  return { name, runtime, description: description ?? null, timeoutMs, routes };
}

function failure(code, message) {
  return { success: false, error: { code, message } };
}

function sendJson(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", "Content-Length": Buffer.byteLength(text) });
  res.end(text);
}

function logWatchEvent(event) {
  const what = [event.type, event.name, event.message].filter(Boolean).join(" ");
  const build = event.build ? ` (build ${event.build.success ? "ok" : "FAILED"} in ${event.build.durationMs}ms)` : "";
  console.log(`[watch] ${what}${build}`);
  if (event.build && !event.build.success) console.log(event.build.output);
}

let stopping = false;
async function stop(signal) {
  if (stopping) return;
  stopping = true;
  console.log(`${signal}: stopping`);
  server.close();
  server.closeIdleConnections();
  await watcher?.close();
  await rt.close(); // running functions end as CANCELLED → 503
  await new Promise((resolve) => setImmediate(resolve)); // let those 503s go out
  server.closeAllConnections();
  console.log("stopped");
}
process.on("SIGINT", stop);
process.on("SIGTERM", stop);

server.listen(Number(args.port), "127.0.0.1", () => {
  const { port } = server.address();
  console.log(`listening on http://127.0.0.1:${port}${args.dev ? " (dev: watching for changes)" : ""}`);
});
