"""What an idempotency check compares instead of a secret value (which is never stored).

A keyed ``secrets put`` or ``secrets rotate`` is replayed only for the same payload, so the
payload's hash lands in the audit log; a plain sha256 of a weak secret could be guessed
offline from it. A slow hash salted with the verb, the environment and the secret's name
makes each guess cost what it should, and the same value under another name or verb
fingerprints differently.
"""

from __future__ import annotations

import hashlib

_ROUNDS = 200_000


def value_fingerprint(verb: str, environment_id: str, name: str, value: str) -> str:
    """PBKDF2-SHA256 of ``value``, salted with ``greentic-iac <verb> <environment>/<name>``."""
    salt = f"greentic-iac {verb} {environment_id}/{name}".encode()
    return hashlib.pbkdf2_hmac("sha256", value.encode(), salt, _ROUNDS).hex()
