import re

from alyx import AlyxError, handler  # the runtime puts the bundled SDK on PYTHONPATH

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def main(input, ctx):
    """Fails with VALIDATION_ERROR (and which field) for a bad signup."""
    input = input or {}
    email = input.get("email", "")
    if not EMAIL.match(email):
        raise AlyxError("VALIDATION_ERROR", "email is not a valid address", {"field": "email", "value": email})
    if len(input.get("password", "")) < 8:
        raise AlyxError("VALIDATION_ERROR", "password must be at least 8 characters", {"field": "password"})
    ctx.log.info("signup accepted", {"email": email})
    return {"accepted": True, "email": email}


handler(main)
