"""Stable logical and physical names derived from ids, never from list positions.

A renamed resource is a replace in Pulumi and a churning name is an outage, so names are
functions of (kind, ids) only. When a cloud limit is shorter than the natural name, the
name keeps a readable prefix and ends in a short hash of the full natural name.
"""

from __future__ import annotations

import hashlib
import re

_UNSAFE = re.compile(r"[^a-z0-9-]+")


def short_hash(text: str, length: int = 8) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def logical_name(*parts: str, max_length: int = 63, hash_length: int = 8) -> str:
    """``logical_name("tg", deployment_id, revision_id, max_length=32)``.

    Lowercased, joined with ``-``, characters outside ``[a-z0-9-]`` folded to ``-``. If the
    result is longer than ``max_length`` it becomes ``<prefix>-<hash>`` where the hash covers
    the whole natural name, so two long names never collide by truncation.
    """
    natural = "-".join(_UNSAFE.sub("-", p.lower()).strip("-") for p in parts if p)
    if len(natural) <= max_length:
        return natural
    digest = short_hash(natural, hash_length)
    keep = max_length - hash_length - 1
    return f"{natural[:keep].rstrip('-')}-{digest}"
