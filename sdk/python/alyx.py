"""Alyx function SDK for Python: one file, standard library only.

    import alyx

    def main(input, ctx):
        ctx.log.info("greeting", {"name": input["name"]})
        return {"message": f"Hello, {input['name']}!"}

    alyx.handler(main)

``handler`` reads the request from stdin, calls ``main(input, ctx)`` (a
coroutine function is run with asyncio), writes the response to stdout and
exits: 0 on success, 1 on error. Raise ``alyx.AlyxError(code, message,
details)`` to fail with your own code; any other exception fails with
``FUNCTION_ERROR``.

Under ``ALYX_WORKER=1`` the same ``handler(main)`` serves calls one after
another instead (the worker protocol of docs/PROTOCOL.md): globals persist
between calls, and an exception fails only its own call.

Only ``json``, ``os``, ``sys`` and ``time`` are imported at load: ``asyncio``
is imported when a handler first returns an awaitable, ``traceback`` when one
first raises, so a one-shot call does not pay for them (docs/SDK.md).
"""

import json
import os
import sys
import time

__all__ = ["AlyxError", "Context", "Logger", "handler", "FUNCTION_ERROR"]

FUNCTION_ERROR = "FUNCTION_ERROR"


class AlyxError(Exception):
    """Raise to fail the function with a code of your choosing."""

    def __init__(self, code, message, details=None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details


def _timestamp():
    """Now as RFC 3339 UTC with milliseconds, without importing datetime."""
    now = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + ".%03dZ" % (int(now * 1000) % 1000)


def _stderr_line(text):
    """A whole line on stderr, starting one of its own if a print left the
    last line unfinished (worker mode tracks that, see _LineTracker)."""
    if _line_tracker is not None and _line_tracker.line_open:
        text = "\n" + text
        _line_tracker.line_open = False
    sys.__stderr__.write(text + "\n")
    sys.__stderr__.flush()


class Logger:
    """Structured logs: one JSON line on stderr per call."""

    def _write(self, level, message, data):
        entry = {"level": level, "message": str(message)}
        if data is not None:
            entry["data"] = data
        entry["timestamp"] = _timestamp()
        _stderr_line(json.dumps(entry, default=str))

    def debug(self, message, data=None):
        self._write("debug", message, data)

    def info(self, message, data=None):
        self._write("info", message, data)

    def warn(self, message, data=None):
        self._write("warn", message, data)

    warning = warn

    def error(self, message, data=None):
        self._write("error", message, data)


class Context:
    """What the runtime tells a function about its invocation."""

    def __init__(self, request):
        context = request.get("context") or {}
        self.request_id = request.get("request_id", "")
        self.function_name = request.get("function_name") or request.get("function", "")
        self.auth = context.get("auth")
        self.env = context.get("env") or {}
        self.alyx_url = context.get("alyx_url", "")
        self.internal_token = context.get("internal_token", "")
        self.deadline_ms = context.get("deadline_ms", 0)
        self.log = Logger()


def _private_stdout():
    """Moves fd 1 to stderr so print() and child processes write logs, and
    returns a private file on the real stdout for the response."""
    sys.stdout.flush()
    try:
        real = os.fdopen(os.dup(1), "w", encoding="utf-8")
        os.dup2(2, 1)
    except OSError:
        # No duplicable fd 1 (unusual hosts): a Python-level swap still
        # keeps print() off the response channel.
        real = sys.stdout
    sys.stdout = sys.stderr
    return real


def _error_response(err):
    if isinstance(err, AlyxError):
        error = {"code": err.code, "message": err.message}
        if err.details is not None:
            error["details"] = err.details
        return {"success": False, "error": error}
    import traceback  # only when something failed

    # The traceback goes to the logs, not to whoever called the function.
    Logger().error("unhandled exception", {"traceback": traceback.format_exc()})
    return {
        "success": False,
        "error": {"code": FUNCTION_ERROR, "message": str(err), "details": {"type": type(err).__name__}},
    }


def _is_awaitable(value):
    """inspect.isawaitable without importing inspect: a coroutine, a Future,
    any object with __await__, or a @types.coroutine generator."""
    if hasattr(type(value), "__await__"):
        return True
    code = getattr(value, "gi_code", None)
    return code is not None and bool(code.co_flags & 0x100)  # CO_ITERABLE_COROUTINE


def _run(fn, request, run_awaitable):
    try:
        result = fn(request.get("input"), Context(request))
        if _is_awaitable(result):
            result = run_awaitable(result)
        return {"success": True, "output": result}
    except Exception as err:  # noqa: BLE001 - every failure becomes a response
        return _error_response(err)


async def _await(awaitable):
    return await awaitable


def _run_once(awaitable):
    """One-shot: a fresh event loop, closed with the call (asyncio.run)."""
    import asyncio

    return asyncio.run(_await(awaitable))


class _WorkerLoop:
    """Worker: one event loop for the worker's life, made on first use, so
    clients bound to a loop (aiohttp sessions, pools) survive between calls."""

    loop = None

    def prepare(self):
        if self.loop is None:
            import asyncio

            self.loop = asyncio.new_event_loop()
            asyncio.set_event_loop(self.loop)

    def __call__(self, awaitable):
        self.prepare()
        return self.loop.run_until_complete(_await(awaitable))


def _serialise(response, dumps=json.dumps):
    """The response as JSON text, and whether it reports success."""
    try:
        return dumps(response), response["success"]
    except (TypeError, ValueError) as err:
        failure = _error_response(TypeError(f"output cannot be serialised to JSON: {err}"))
        if "request_id" in response:
            failure["request_id"] = response["request_id"]
        return dumps(failure), False


def handler(fn):
    """Runs ``fn(input, ctx)`` for the request on stdin and exits; under
    ``ALYX_WORKER=1``, for every request line on stdin until it ends."""
    if _worker_stdout is not None:
        _serve(fn, _worker_stdout)
        sys.exit(0)
    standby = os.environ.get("ALYX_STANDBY") == "1"
    run_awaitable = _run_once
    if standby and _is_coroutine_function(fn):
        # Started before its call: the event loop is start-up work, not the call's.
        run_awaitable = _WorkerLoop()
        run_awaitable.prepare()
    try:
        request = json.load(sys.stdin)
    except ValueError as err:
        request = None
        response = {"success": False, "error": {"code": "INVALID_REQUEST", "message": f"cannot read the request: {err}"}}
    real_stdout = _private_stdout()
    if request is not None:
        if standby and isinstance(request, dict):
            # Started before its call: the per-call variables come from the request.
            _set_env(_call_env(request))
        response = _run(fn, request, run_awaitable)
    text, success = _serialise(response)
    sys.stderr.flush()
    real_stdout.write(text + "\n")
    real_stdout.flush()
    if standby:
        _exit_now(0 if success else 1)
    sys.exit(0 if success else 1)


def _is_coroutine_function(fn):
    """inspect.iscoroutinefunction without importing inspect."""
    code = getattr(fn, "__code__", None)
    return code is not None and bool(code.co_flags & 0x80)  # CO_COROUTINE


def _exit_now(code):
    """Standby: ends the process the way a normal exit looks to the code
    (non-daemon threads joined, atexit handlers run, std streams flushed)
    but without the interpreter's teardown, which takes 7-13 ms of CPU after
    the response is out (docs/SDK.md, "Standby")."""
    threading = sys.modules.get("threading")
    if threading is not None and hasattr(threading, "_shutdown"):
        threading._shutdown()
    import atexit

    atexit._run_exitfuncs()
    _flush_prints()
    os._exit(code)


# --- worker mode (docs/PROTOCOL.md, "Worker protocol") ---------------------

# Protocol lines as the runtime writes them: {"alyx":"end","request_id":"…"}.
# One encoder for the worker's life (json.dumps with options makes one per call).
_compact = json.JSONEncoder(separators=(",", ":")).encode


def _serve(fn, out):
    """The worker loop: ready, then one call per request line until stdin ends."""
    _flush_prints()
    run_awaitable = _WorkerLoop()
    if _is_coroutine_function(fn):
        # The loop runs one task for the worker's life, and each call is
        # awaited inside it: a call that never suspends costs no trip through
        # the event loop (run_until_complete per call cost ~100 µs), and one
        # that does suspends as in any task (asyncio.timeout, TaskGroup).
        run_awaitable.prepare()
        run_awaitable.loop.run_until_complete(_serve_async(fn, out))
        return
    _ready(out)
    for line in _request_lines():
        _serve_one(fn, line, out, run_awaitable)


def _ready(out):
    out.write('{"alyx":"ready"}\n')
    out.flush()


def _request_lines():
    stdin = sys.stdin.buffer
    while True:
        line = stdin.readline()
        if not line:
            return
        if line.strip():
            yield line


async def _serve_async(fn, out):
    """The worker loop of a coroutine handler, inside the worker's one task.
    Between calls it blocks in readline, so the loop runs only during calls,
    as it did with a run_until_complete per call."""
    _ready(out)
    for line in _request_lines():
        request, response = _parse_request(line)
        if response is None:
            saved = _set_env(_call_env(request))
            try:
                response = await _run_async(fn, request)
            finally:
                _restore_env(saved)
        _respond(out, request, response)


async def _run_async(fn, request):
    try:
        result = fn(request.get("input"), Context(request))
        if _is_awaitable(result):
            result = await result
        return {"success": True, "output": result}
    except Exception as err:  # noqa: BLE001 - every failure becomes a response
        return _error_response(err)


def _parse_request(line):
    """The request of a line, or (with an empty request) the response saying why not."""
    try:
        request = json.loads(line)
        if not isinstance(request, dict):
            raise ValueError("not a JSON object")
        return request, None
    except ValueError as err:
        return {}, {"success": False, "error": {"code": "INVALID_REQUEST", "message": f"cannot read the request: {err}"}}


def _serve_one(fn, line, out, run_awaitable):
    request, response = _parse_request(line)
    if response is None:
        saved = _set_env(_call_env(request))
        try:
            response = _run(fn, request, run_awaitable)
        finally:
            _restore_env(saved)
    _respond(out, request, response)


def _respond(out, request, response):
    request_id = request.get("request_id")
    response["request_id"] = request_id
    text, _ = _serialise(response, _compact)
    _flush_prints()
    out.write(text + "\n")
    out.flush()
    # After everything the call wrote to stderr: the runtime gives the lines
    # before this marker to this call.
    _stderr_line('{"alyx":"end","request_id":%s}' % _compact(request_id))


def _call_env(request):
    """The process env a one-shot process would have had for this call:
    the call's context.env, then the four per-call ALYX_ variables."""
    context = request.get("context") or {}
    env = {str(k): str(v) for k, v in (context.get("env") or {}).items()}
    env["ALYX_REQUEST_ID"] = str(request.get("request_id") or "")
    env["ALYX_INTERNAL_TOKEN"] = str(context.get("internal_token") or "")
    env["ALYX_DEADLINE_MS"] = str(context.get("deadline_ms") or 0)
    env["ALYX_AUTH"] = _compact(context.get("auth"))
    return env


def _set_env(values):
    saved = {}
    for key, value in values.items():
        saved[key] = os.environ.get(key)
        os.environ[key] = value
    return saved


def _restore_env(saved):
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


class _LineTracker:
    """sys.stdout and sys.stderr in worker mode: the real stderr, remembering
    whether the last write left a line unfinished (a progress dot), so that the
    next log line or end marker starts a line of its own. What child processes
    write to the file descriptors is not seen."""

    def __init__(self, stream):
        self._stream = stream
        self.line_open = False

    def write(self, text):
        if text:
            self.line_open = not text.endswith("\n")
        return self._stream.write(text)

    def __getattr__(self, name):
        return getattr(self._stream, name)


def _flush_prints():
    """Pushes out what print() and friends buffered (all of it now goes to
    stderr), so it lands before the next protocol line."""
    for stream in (sys.stdout, sys.stderr, sys.__stdout__):
        try:
            stream.flush()
        except (AttributeError, OSError, ValueError):
            pass


# In worker mode stdout belongs to the protocol from the moment the SDK is
# imported: prints at start-up and between calls go to stderr too (logs of
# the next call), never between two protocol lines.
_worker_stdout = None
_line_tracker = None
if os.environ.get("ALYX_WORKER") == "1":
    _worker_stdout = _private_stdout()
    _line_tracker = sys.stdout = sys.stderr = _LineTracker(sys.stderr)
