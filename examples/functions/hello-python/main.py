import platform

import alyx  # on PYTHONPATH: the runtime adds the SDK that ships in @alyx/runtime


def main(input, ctx):
    name = (input or {}).get("name", "World")
    ctx.log.info("greeting", {"name": name})
    return {"message": f"Hello, {name}!", "runtime": "python", "version": platform.python_version()}


alyx.handler(main)
