"""Refuse answers payloads that carry a secret in a field meant for plain data.

A value in a payload is written to the state, its backups, the audit log (hashed payload,
plain result), ``env show``, plans, previews, the exported Pulumi program and Kubernetes
YAML. A credential pasted into ``config``, bundle or extension ``settings``, ``image``,
``answers_ref``, ``tenant.team`` or ``command`` would spread to all of them, so every
mutating payload is screened once, before its verb runs, with the leak scanner's rules.

Only the high-confidence shapes are refused (AWS access keys and key pairs, private keys,
GitHub and Slack tokens, Slack webhooks, Azure storage keys, and the providers' token
formats of the vendored gitleaks rules): their false-positive rate is near zero, so a
refusal is never in the way of ordinary data. The heuristics (a secret-looking
assignment, credentials in a URL, gitleaks' generic-api-key) and identifiers that are
public by design (client ids, publishable keys) are not applied here. The fields meant
to hold a secret, the ``value`` of ``secrets put`` and ``secrets rotate``, are exempt. The
error names the field and the kind, never the value.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterator
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
    "azure-storage-account-key": "an Azure storage account key",
}
# The scanner's other kinds are heuristics or file rules (a secret-looking assignment,
# credentials in a URL, .env and answers files): too noisy for plain data.
OWN_KINDS = frozenset(
    {
        *HIGH_CONFIDENCE,
        "url-credentials",
        "generic-secret",
        "dotenv-file",
        "dev-secrets-file",
        "setup-answer-plaintext",
        "docker-config-auth",
    }
)
# Every other kind is a gitleaks rule: a provider's token format (Stripe, GitLab, npm,
# OpenAI, ...), refused too, except its heuristic rules and the identifiers that are
# public by design (client ids, publishable keys).
GITLEAKS_NOT_SECRET_SUFFIXES = ("-client-id", "-public-key", "-pub-key", "-pub-api-key")
GITLEAKS_HEURISTIC = frozenset({"generic-api-key", "new-relic-user-api-id", "sendbird-access-id"})


def _kind_label(kind: str) -> str | None:
    """How a message names a refused kind; None when the kind is not refused."""
    if kind in HIGH_CONFIDENCE:
        return HIGH_CONFIDENCE[kind]
    if kind in OWN_KINDS or kind in GITLEAKS_HEURISTIC:
        return None
    if kind.endswith(GITLEAKS_NOT_SECRET_SUFFIXES):
        return None
    return f"a {kind} (gitleaks rule)"


# Payload model name -> top-level fields that hold a secret on purpose.
SECRET_FIELDS: dict[str, frozenset[str]] = {
    "SecretPutPayload": frozenset({"value"}),
    "SecretRotatePayload": frozenset({"value"}),
}


Part = str | int  # a key of an object, or an index into an array
# A field's path as a linked list (parent, part), so walking a deep document stays linear;
# it is spelled out only for a field that is reported.
Node = tuple[Any, Part] | None


def _fields(document: Any, exempt: frozenset[str]) -> Iterator[tuple[Node, str, str]]:
    """(path, key, text) of every string in a JSON document, and (path, key, "") of every
    member whose value is not a string (its name is data too). ``key`` is the member's
    name (an array's items share their array's name). Top-level members named in
    ``exempt`` are skipped whole.

    Iterative, so a deeply nested settings object cannot exhaust the stack.
    """
    stack: list[tuple[Node, str, Any]] = [(None, "", document)]
    while stack:
        node, key, value = stack.pop()
        if node is not None and node[0] is None and node[1] in exempt:
            continue
        if isinstance(value, str):
            yield node, key, value
            continue
        if node is not None and isinstance(node[1], str):
            yield node, key, ""
        if isinstance(value, dict):
            for name, item in reversed(list(value.items())):
                stack.append(((node, str(name)), str(name), item))
        elif isinstance(value, list):
            for index in reversed(range(len(value))):
                stack.append(((node, index), key, value[index]))


def _parts(node: Node) -> list[Part]:
    parts: list[Part] = []
    while node is not None:
        node, part = node
        parts.append(part)
    return parts[::-1]


def _line(key: str, text: str) -> bytes:
    """One field as ``"key": "text"``, as in a JSON file, so the scanner's assignment and
    key-pair rules see a field's name and its neighbours.

    Not json.dumps: an escape (``\\n``, ``\\ud800``) would put letters before a token
    and hide it from rules that need a boundary. Line breaks become spaces so each field
    stays one line; what cannot be encoded becomes ``?``.
    """
    return f'"{_flat(key)}": "{_flat(text)}"'.encode("utf-8", "replace")


def _flat(text: str) -> str:
    return text.replace("\r", " ").replace("\n", " ")


def _shown(parts: list[Part], hits: Callable[[bytes], list[Any]]) -> str:
    """The field's path for a message, with any key that is itself a secret redacted."""
    shown = ""
    for part in parts:
        if isinstance(part, int):
            shown += f"[{part}]"
            continue
        found = hits(part.encode("utf-8", "replace"))
        secret = any(_kind_label(h.kind) is not None for h in found)
        name = "<a key holding a secret>" if secret else part
        shown += f".{name}" if shown else name
    return shown


def secret_fields(document: dict[str, Any], exempt: frozenset[str] = frozenset()) -> list[str]:
    """``"<field>: <kind>"`` for every field of ``document`` that holds a high-confidence
    secret shape, in document order; never the value (nor a key that is one)."""
    nodes: list[Node] = []
    lines: list[bytes] = []
    for node, key, text in _fields(document, exempt):
        nodes.append(node)
        lines.append(_line(key, text))
    if not lines:
        return []
    from greentic_iac.bundles.secret_rules import content_hits

    starts = []
    offset = 0
    for line in lines:
        starts.append(offset)
        offset += len(line) + 1
    found: list[str] = []
    for hit in content_hits(b"\n".join(lines)):
        kind = _kind_label(hit.kind)
        if kind is None:
            continue
        node = nodes[bisect.bisect_right(starts, hit.offset) - 1]
        entry = f"{_shown(_parts(node), content_hits)}: {kind}"
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
