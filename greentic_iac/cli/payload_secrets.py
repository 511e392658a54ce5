"""Refuse answers payloads that carry a secret in a field meant for plain data.

A value in a payload is written to the state, its backups, the audit log (hashed payload,
plain result), ``env show``, plans, previews, the exported Pulumi program and Kubernetes
YAML. A credential pasted into ``config``, bundle or extension ``settings``, ``image``,
``answers_ref``, ``tenant.team`` or ``command`` would spread to all of them, so every
mutating payload is screened once, before its verb runs, with the leak scanner's rules.

Only the high-confidence shapes are refused (AWS access keys and key pairs, private keys,
GitHub and Slack tokens, Slack webhooks): their false-positive rate is near zero, so a
refusal is never in the way of ordinary data. The heuristic "secret-looking assignment"
rule is not applied here. The one field meant to hold a secret, ``secrets put``'s
``value``, is exempt. The error names the field and the kind, never the value.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from greentic_iac.errors import InvalidInputError

if TYPE_CHECKING:
    from pydantic import BaseModel

# The scanner's kind names (greentic_iac.bundles.secret_rules), as literals: importing the
# bundles package here would slow every verb's start-up.
HIGH_CONFIDENCE = {
    "aws-access-key-id": "an AWS access key id",
    "aws-secret-access-key": "an AWS secret access key",
    "private-key": "a private key",
    "github-token": "a GitHub token",
    "slack-token": "a Slack token",
    "slack-webhook": "a Slack webhook URL",
}

# Payload model name -> top-level fields that hold a secret on purpose.
SECRET_FIELDS: dict[str, frozenset[str]] = {"SecretPutPayload": frozenset({"value"})}


def _leaves(document: Any) -> Iterator[tuple[str, str, str]]:
    """(field path, key, text) of every string in a JSON document, keys included.

    Iterative, so a deeply nested settings object cannot exhaust the stack.
    """
    stack: list[tuple[str, str, Any]] = [("", "", document)]
    while stack:
        path, key, value = stack.pop()
        if isinstance(value, str):
            yield path, key, value
        elif isinstance(value, dict):
            for name, item in reversed(list(value.items())):
                child = f"{path}.{name}" if path else str(name)
                stack.append((child, str(name), item))
        elif isinstance(value, list):
            for index in reversed(range(len(value))):
                stack.append((f"{path}[{index}]", key, value[index]))


def secret_fields(document: dict[str, Any], exempt: frozenset[str] = frozenset()) -> list[str]:
    """``"<field>: <kind>"`` for every field of ``document`` that holds a high-confidence
    secret shape, in document order; never the value."""
    paths: list[str] = []
    lines: list[str] = []
    for path, key, text in _leaves(document):
        if path.split(".", 1)[0].split("[", 1)[0] in exempt:
            continue
        paths.append(path)
        # One line per field, "key": "value" as in a JSON file, so the scanner's
        # assignment and key-pair rules see a field's name and its neighbours.
        lines.append(f"{json.dumps(key)}: {json.dumps(text)}")
    if not lines:
        return []
    from greentic_iac.bundles.secret_rules import content_hits

    starts = []
    offset = 0
    for line in lines:
        starts.append(offset)
        offset += len(line) + 1
    found: list[str] = []
    for hit in content_hits("\n".join(lines).encode("ascii")):
        kind = HIGH_CONFIDENCE.get(hit.kind)
        if kind is None:
            continue
        entry = f"{paths[bisect.bisect_right(starts, hit.offset) - 1]}: {kind}"
        if entry not in found:
            found.append(entry)
    return found


def refuse_secret_values(payload: BaseModel) -> None:
    """InvalidInputError (exit 2) naming the first field that holds a secret."""
    exempt = SECRET_FIELDS.get(type(payload).__name__, frozenset())
    found = secret_fields(payload.model_dump(mode="json"), exempt)
    if not found:
        return
    more = f" (and {len(found) - 1} more field(s))" if len(found) > 1 else ""
    raise InvalidInputError(
        f"{found[0]} found in a plain field{more}; a secret must not be stored in the "
        "environment's state, audit log or plans: store it with `greentic-iac secrets put` "
        "and put the reference that verb prints here instead"
    )
