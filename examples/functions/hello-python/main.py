import os
import platform
import sys

# In your own project, copy sdk/python/alyx.py next to main.py instead.
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "sdk", "python"))
import alyx  # noqa: E402


def main(input, ctx):
    name = (input or {}).get("name", "World")
    ctx.log.info("greeting", {"name": name})
    return {"message": f"Hello, {name}!", "runtime": "python", "version": platform.python_version()}


alyx.handler(main)
