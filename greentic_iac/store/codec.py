"""The bytes of a stored state document and how they are verified.

A state file holds the document and its integrity hash side by side in ONE file::

    {"format": "greentic.store.state-file.v1", "sha256": "<hex>", "state": {...}}

so a single atomic rename replaces both; a separate hash file could disagree with the
document after a crash between two renames. The hash covers the canonical JSON (sorted
keys, no whitespace) of ``state`` as parsed, so pretty-printing does not matter but any
edit to a value does. The same bytes are the S3 object body (and S3 metadata repeats the
hash).

Only the standard library is imported up front: listing environments verifies documents
with ``verified_document`` and never needs pydantic; ``decode_state`` loads the models.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from greentic_iac.spec import EnvironmentState

STATE_FILE_FORMAT: Final = "greentic.store.state-file.v1"


class CorruptDocument(ValueError):
    """The bytes are not a valid state file (the store adds the path and backup hint)."""


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256_hex(text: str | bytes) -> str:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return hashlib.sha256(data).hexdigest()


def payload_digest(payload: Any) -> str:
    """The idempotency fingerprint of a request payload (pydantic models are dumped first)."""
    if hasattr(payload, "model_dump"):
        payload = payload.model_dump(mode="json")
    return sha256_hex(canonical_json(payload))


def state_digest(state: EnvironmentState) -> str:
    return sha256_hex(canonical_json(state.to_json_dict()))


def encode_state_with_digest(state: EnvironmentState) -> tuple[bytes, str]:
    """The state file's bytes and the document's sha256 (one dump serves both)."""
    canonical = canonical_json(state.to_json_dict())
    digest = sha256_hex(canonical)
    # Re-parsing the canonical text yields dicts in sorted key order, and pydantic-core's
    # Rust serializer keeps that order: pretty, sorted JSON without the slow pure-Python
    # indenting encoder (the largest CPU cost of a mutation before).
    from pydantic_core import to_json

    envelope = {"format": STATE_FILE_FORMAT, "sha256": digest, "state": json.loads(canonical)}
    return to_json(envelope, indent=2) + b"\n", digest


def encode_state(state: EnvironmentState) -> bytes:
    return encode_state_with_digest(state)[0]


def verified_document(data: bytes) -> tuple[dict[str, Any], str]:
    """The state file's document as plain JSON and its sha256, hash checked, not validated."""
    try:
        envelope = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CorruptDocument(f"not valid JSON ({exc.__class__.__name__}: {exc})") from None
    if not isinstance(envelope, dict):
        raise CorruptDocument("not a state file (expected a JSON object)")
    if envelope.get("format") != STATE_FILE_FORMAT:
        raise CorruptDocument(f"unknown state file format {envelope.get('format')!r}")
    document = envelope.get("state")
    recorded = envelope.get("sha256")
    if not isinstance(document, dict) or not isinstance(recorded, str):
        raise CorruptDocument("state file lacks its 'state' document or 'sha256' hash")
    actual = sha256_hex(canonical_json(document))
    if actual != recorded:
        raise CorruptDocument(
            f"integrity check failed (sha256 {actual[:12]}... != recorded {recorded[:12]}...)"
        )
    return document, actual


def decode_state(data: bytes) -> tuple[EnvironmentState, str]:
    """Parse and verify a state file: ``(state, sha256)``; raises ``CorruptDocument``."""
    from pydantic import ValidationError

    from greentic_iac.spec import EnvironmentState, format_validation_error
    from greentic_iac.spec.state import upgrade_state_document

    document, digest = verified_document(data)
    try:
        # The digest stays the one of the bytes read: the CAS compares against the file.
        state = EnvironmentState.model_validate(upgrade_state_document(document))
    except ValidationError as exc:
        raise CorruptDocument(format_validation_error(exc, prefix="state.")) from None
    return state, digest
