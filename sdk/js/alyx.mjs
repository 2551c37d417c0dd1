// @ts-self-types="./alyx.d.mts"
// Alyx function SDK for JavaScript/TypeScript: one module for Node, Deno and
// Bun, no dependencies. Usage:
//
//   import { handler, AlyxError } from "./alyx.mjs";
//   handler(async (input, ctx) => ({ message: `Hello, ${input.name}!` }));
//
// It reads the request from stdin, calls your function, writes the response
// to stdout and exits (0 on success, 1 on error). Work still pending after
// your function returns is dropped: a function is a one-shot process.

const isDeno = typeof globalThis.Deno?.stdin === "object";
const isBun = !isDeno && typeof globalThis.Bun === "object";

/** Thrown by a function to fail with a code of its choosing. */
export class AlyxError extends Error {
  /** @param {string} code @param {string} message @param {Record<string, unknown>} [details] */
  constructor(code, message, details) {
    super(message);
    this.name = "AlyxError";
    this.code = code;
    this.details = details;
  }
}

/** Code for an exception that is not an AlyxError. */
export const FUNCTION_ERROR = "FUNCTION_ERROR";

// Saved before any redirection: console.error always goes to stderr, which
// the runtime turns into logs.
const writeStderrLine = console.error.bind(console);

function logLine(level, message, data) {
  const entry = { level, message: String(message) };
  if (data !== undefined) entry.data = data;
  entry.timestamp = new Date().toISOString();
  writeStderrLine(JSON.stringify(entry));
}

const log = Object.freeze({
  debug: (message, data) => logLine("debug", message, data),
  info: (message, data) => logLine("info", message, data),
  warn: (message, data) => logLine("warn", message, data),
  error: (message, data) => logLine("error", message, data),
});

async function readStdin() {
  if (isDeno) return await new Response(globalThis.Deno.stdin.readable).text();
  if (isBun) return await globalThis.Bun.stdin.text();
  let text = "";
  process.stdin.setEncoding("utf8");
  for await (const chunk of process.stdin) text += chunk;
  return text;
}

/** Writes the response on the real stdout, then ends the process. */
async function respondAndExit(response, exitCode) {
  let text;
  try {
    text = JSON.stringify(response) + "\n";
  } catch (err) {
    // A cycle or BigInt in the output: fail with a response that does serialise.
    response = errorResponse(new Error(`output cannot be serialised to JSON: ${err.message}`));
    [text, exitCode] = [JSON.stringify(response) + "\n", 1];
  }
  if (isDeno) {
    const bytes = new TextEncoder().encode(text);
    // write() may be partial; loop until everything is out.
    for (let off = 0; off < bytes.length; ) off += await globalThis.Deno.stdout.write(bytes.subarray(off));
    globalThis.Deno.exit(exitCode);
  }
  if (isBun) {
    await globalThis.Bun.write(globalThis.Bun.stdout, text);
    process.exit(exitCode);
  }
  // Exit only once the write is flushed, or a large response gets cut off.
  await new Promise((resolve) => process.stdout.write(text, resolve));
  process.exit(exitCode);
}

// console.log/info/debug print to stdout, which carries the response: while
// the user's code runs they go to stderr instead, as logs. Under Node and Bun
// so does process.stdout.write (Deno.stdout is left alone).
const redirected = ["log", "info", "debug"];
function redirectStdout() {
  const saved = redirected.map((name) => console[name]);
  for (const name of redirected) console[name] = writeStderrLine;
  const stdout = isDeno ? null : process.stdout;
  const savedWrite = stdout?.write;
  if (stdout) stdout.write = process.stderr.write.bind(process.stderr);
  return () => {
    redirected.forEach((name, i) => (console[name] = saved[i]));
    if (stdout) stdout.write = savedWrite;
  };
}

function contextFrom(request) {
  const c = request.context ?? {};
  return Object.freeze({
    requestId: request.request_id ?? "",
    functionName: request.function_name ?? request.function ?? "",
    auth: c.auth ?? null,
    env: c.env ?? {},
    alyxUrl: c.alyx_url ?? "",
    internalToken: c.internal_token ?? "",
    deadlineMs: c.deadline_ms ?? 0,
    log,
  });
}

function errorResponse(err) {
  if (err instanceof AlyxError) {
    const error = { code: err.code, message: err.message };
    if (err.details !== undefined) error.details = err.details;
    return { success: false, error };
  }
  // The stack goes to the logs, not to whoever called the function.
  log.error("unhandled exception", { stack: String(err?.stack ?? err) });
  return {
    success: false,
    error: { code: FUNCTION_ERROR, message: String(err?.message ?? err), details: { type: err?.name ?? typeof err } },
  };
}

/**
 * Runs `fn(input, ctx)` for the request on stdin and writes its result (or
 * error) as the response. `fn` may be async.
 * @param {(input: any, ctx: any) => unknown} fn
 */
export async function handler(fn) {
  let request;
  try {
    request = JSON.parse(await readStdin());
  } catch (err) {
    return respondAndExit({ success: false, error: { code: "INVALID_REQUEST", message: `cannot read the request: ${err.message}` } }, 1);
  }
  const restoreStdout = redirectStdout();
  let response;
  try {
    const output = await fn(request.input ?? null, contextFrom(request));
    response = { success: true, output: output === undefined ? null : output };
  } catch (err) {
    response = errorResponse(err);
  } finally {
    restoreStdout();
  }
  return respondAndExit(response, response.success ? 0 : 1);
}
