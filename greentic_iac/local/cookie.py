"""The signed sticky cookie ``greentic-rev`` (seed B1) and its key file.

The value binds environment, tenant, deployment, revision, split generation and expiry,
and is signed with HMAC-SHA256 so a client can keep its revision but never pick one. The
key is 32 random bytes in ``<env_dir>/runtime/cookie.key`` with mode 0600: outside the
state documents, so a state backup or an audit export never carries it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from greentic_iac.errors import InvalidInputError

COOKIE_NAME: Final = "greentic-rev"
_VERSION: Final = "v1"
_KEY_BYTES: Final = 32
_MAX_VALUE: Final = 512


@dataclass(frozen=True)
class CookieClaims:
    environment_id: str
    tenant: str
    deployment_id: str
    revision_id: str
    generation: int
    expires_at: int


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class CookieSigner:
    """Issues and verifies cookie values; pure given the key and the clock value passed in."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("cookie key must be at least 16 bytes")
        self._key = key

    def _mac(self, payload: bytes) -> bytes:
        return hmac.new(self._key, payload, hashlib.sha256).digest()

    def issue(self, claims: CookieClaims) -> str:
        fields = (
            _VERSION,
            claims.environment_id,
            claims.tenant,
            claims.deployment_id,
            claims.revision_id,
            str(claims.generation),
            str(claims.expires_at),
        )
        payload = "|".join(fields).encode()
        return f"{_b64(payload)}.{_b64(self._mac(payload))}"

    def verify(self, value: str, now: float) -> CookieClaims | None:  # noqa: PLR0911
        """The claims of a well-signed, unexpired value; None for anything else."""
        if len(value) > _MAX_VALUE or value.count(".") != 1:
            return None
        encoded_payload, encoded_mac = value.split(".")
        try:
            payload = _unb64(encoded_payload)
            mac = _unb64(encoded_mac)
        except (ValueError, TypeError):
            return None
        if not hmac.compare_digest(mac, self._mac(payload)):
            return None
        fields = payload.decode("ascii", errors="replace").split("|")
        if len(fields) != 7 or fields[0] != _VERSION:
            return None
        try:
            generation, expires_at = int(fields[5]), int(fields[6])
        except ValueError:
            return None
        if expires_at <= now:
            return None
        return CookieClaims(fields[1], fields[2], fields[3], fields[4], generation, expires_at)


def load_or_create_key(path: Path) -> bytes:
    """The key at ``path``, created (0600, exclusive) when missing; refused if readable by
    group or others, since anyone who reads it can forge a revision choice."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "wb") as handle:
            handle.write(secrets.token_bytes(_KEY_BYTES))
            handle.flush()
            os.fsync(handle.fileno())
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise InvalidInputError(
            f"{path}: cookie key is accessible by group or others (mode {mode & 0o777:o}); "
            "chmod 600 it"
        )
    key = path.read_bytes()
    if len(key) < 16:
        raise InvalidInputError(f"{path}: cookie key is shorter than 16 bytes; delete it")
    return key
