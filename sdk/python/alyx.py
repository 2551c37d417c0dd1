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
"""

import asyncio
import datetime
import inspect
import json
import os
import sys
import traceback

__all__ = ["AlyxError", "Context", "Logger", "handler", "FUNCTION_ERROR"]

FUNCTION_ERROR = "FUNCTION_ERROR"


class AlyxError(Exception):
    """Raise to fail the function with a code of your choosing."""

    def __init__(self, code, message, details=None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details


class Logger:
    """Structured logs: one JSON line on stderr per call."""

    def _write(self, level, message, data):
        entry = {"level": level, "message": str(message)}
        if data is not None:
            entry["data"] = data
        now = datetime.datetime.now(datetime.timezone.utc)
        entry["timestamp"] = now.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        sys.__stderr__.write(json.dumps(entry, default=str) + "\n")
        sys.__stderr__.flush()

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
    # The traceback goes to the logs, not to whoever called the function.
    Logger().error("unhandled exception", {"traceback": traceback.format_exc()})
    return {
        "success": False,
        "error": {"code": FUNCTION_ERROR, "message": str(err), "details": {"type": type(err).__name__}},
    }


def _run(fn, request):
    try:
        result = fn(request.get("input"), Context(request))
        if inspect.isawaitable(result):
            result = asyncio.run(_await(result))
        return {"success": True, "output": result}
    except Exception as err:  # noqa: BLE001 - every failure becomes a response
        return _error_response(err)


async def _await(awaitable):
    return await awaitable


def _serialise(response):
    """The response as JSON text, and whether it reports success."""
    try:
        return json.dumps(response), response["success"]
    except (TypeError, ValueError) as err:
        return json.dumps(_error_response(TypeError(f"output cannot be serialised to JSON: {err}"))), False


def handler(fn):
    """Runs ``fn(input, ctx)`` for the request on stdin and exits."""
    try:
        request = json.load(sys.stdin)
    except ValueError as err:
        request = None
        response = {"success": False, "error": {"code": "INVALID_REQUEST", "message": f"cannot read the request: {err}"}}
    real_stdout = _private_stdout()
    if request is not None:
        response = _run(fn, request)
    text, success = _serialise(response)
    sys.stderr.flush()
    real_stdout.write(text + "\n")
    real_stdout.flush()
    sys.exit(0 if success else 1)
