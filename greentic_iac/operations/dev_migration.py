"""``env migrate-dev``: the legacy ``dev`` name becomes ``local`` without breaking anyone (A4b).

Old installs say ``dev`` where the canonical name is now ``local``. The scan finds that
usage in a local home: an environment named ``dev``, its dev-store secret files, a policy
grant naming ``dev`` and ``GREENTIC_GRANT`` naming it (local needs no grant). Migrating
means: the ``dev`` state becomes ``local`` (created through the store, audited), the
dev-store files are renamed, the ``dev`` environment is removed (its history stays), and
``dev`` is kept as an alias of ``local``.

Migrating is unsafe, and is not done, when ``local`` exists already (two environments
cannot be merged by a rename), when the ``dev`` runtime is running (``local down dev``
first), or when ``local``'s dev-store file exists. Then ``dev`` stays what it is and the
alias is recorded for it as it is, so every use warns and names the reason.

The alias lives in ``$GREENTIC_HOME/aliases.json``; every verb that names ``dev`` warns
on stderr while it exists, and ``GREENTIC_DEV_ALIAS=off`` refuses the name outright.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from greentic_iac.errors import InvalidInputError, StateCorruptError
from greentic_iac.files import write_bytes_atomic

LEGACY_NAME: Final = "dev"
ALIAS_FILE: Final = "aliases.json"
DEV_ALIAS_VARIABLE: Final = "GREENTIC_DEV_ALIAS"
_DISABLED: Final = frozenset({"0", "off", "false", "no", "disabled"})


@dataclass(frozen=True)
class Finding:
    kind: str
    path: str
    detail: str
    # A blocking finding makes the rename unsafe: the alias is kept instead.
    blocking: bool = False


@dataclass(frozen=True)
class Alias:
    name: str
    target: str
    reason: str
    since: str


# ---- the alias ---------------------------------------------------------------------------


def alias_path(home: Path) -> Path:
    return home / ALIAS_FILE


def read_alias(home: Path, name: str = LEGACY_NAME) -> Alias | None:
    path = alias_path(home)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        raise StateCorruptError(f"{path}: unreadable alias file") from None
    entry = document.get(name) if isinstance(document, dict) else None
    if entry is None:
        return None
    try:
        return Alias(name=name, **entry)
    except TypeError:
        raise StateCorruptError(f"{path}: alias {name!r} is malformed") from None


def write_alias(home: Path, alias: Alias) -> None:
    path = alias_path(home)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        document = {}
    except (OSError, ValueError):
        raise StateCorruptError(f"{path}: unreadable alias file") from None
    entry = asdict(alias)
    entry.pop("name")
    document[alias.name] = entry
    home.mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(path, (json.dumps(document, indent=2, sort_keys=True) + "\n").encode())


def alias_disabled(environ: Mapping[str, str] | None = None) -> bool:
    environ = os.environ if environ is None else environ
    return environ.get(DEV_ALIAS_VARIABLE, "").strip().lower() in _DISABLED


def resolve_environment_id(
    home: Path, environment_id: str, environ: Mapping[str, str] | None = None
) -> tuple[str, str | None]:
    """``(id to use, warning or None)``: ``dev`` through its alias while one is recorded."""
    if environment_id != LEGACY_NAME:
        return environment_id, None
    alias = read_alias(home)
    if alias is None:
        return environment_id, None
    if alias_disabled(environ):
        raise InvalidInputError(
            f"environment_id: {LEGACY_NAME!r} is a legacy name ({alias.reason}); it is "
            f"disabled by {DEV_ALIAS_VARIABLE}=off: use {alias.target!r}"
            if alias.target != LEGACY_NAME
            else f"environment_id: {LEGACY_NAME!r} is a legacy name ({alias.reason}); it is "
            f"disabled by {DEV_ALIAS_VARIABLE}=off until env migrate-dev can migrate it"
        )
    if alias.target != LEGACY_NAME:
        warning = (
            f"warning: environment {LEGACY_NAME!r} is a legacy alias of {alias.target!r} "
            f"(migrated {alias.since}); use {alias.target!r} "
            f"({DEV_ALIAS_VARIABLE}=off refuses the alias)"
        )
    else:
        warning = (
            f"warning: environment {LEGACY_NAME!r} is a legacy name kept because migrating "
            f"it is unsafe ({alias.reason}); fix that and run env migrate-dev "
            f"({DEV_ALIAS_VARIABLE}=off refuses the name)"
        )
    return alias.target, warning


# ---- the scan ----------------------------------------------------------------------------


def scan(
    home: Path,
    target: str,
    *,
    dev_running: bool,
    environ: Mapping[str, str] | None = None,
) -> list[Finding]:
    """Every legacy ``dev`` use in ``home``; blocking ones make the rename unsafe."""
    environ = os.environ if environ is None else environ
    environments = home / "environments"
    dev_state = environments / LEGACY_NAME / "state.json"
    findings: list[Finding] = []
    if dev_state.is_file():
        findings.append(Finding("environment", str(dev_state), f"environment {LEGACY_NAME!r}"))
        if (environments / target / "state.json").is_file():
            findings.append(
                Finding(
                    "conflict",
                    str(environments / target / "state.json"),
                    f"environment {target!r} exists too; merge or remove one of them by hand",
                    blocking=True,
                )
            )
        if dev_running:
            findings.append(
                Finding(
                    "runtime",
                    str(environments / LEGACY_NAME / "runtime"),
                    f"the {LEGACY_NAME!r} local runtime is running; run `local down dev` first",
                    blocking=True,
                )
            )
    secrets = home / "secrets"
    for suffix in (".json", ".previous.json"):
        legacy = secrets / f"{LEGACY_NAME}{suffix}"
        if not legacy.is_file():
            continue
        findings.append(Finding("secrets", str(legacy), "dev-store secrets of 'dev'"))
        if (secrets / f"{target}{suffix}").is_file():
            findings.append(
                Finding(
                    "conflict",
                    str(secrets / f"{target}{suffix}"),
                    f"the dev-store of {target!r} exists too; merge the two files by hand",
                    blocking=True,
                )
            )
    findings.extend(_grant_findings(home, environ))
    return findings


def _grant_findings(home: Path, environ: Mapping[str, str]) -> list[Finding]:
    found: list[Finding] = []
    policy = home / "policy.json"
    try:
        document = json.loads(policy.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        document = None
    grants = document.get("grants") if isinstance(document, dict) else None
    for index, grant in enumerate(grants if isinstance(grants, list) else []):
        patterns = grant.get("environments") if isinstance(grant, dict) else None
        if isinstance(patterns, list) and LEGACY_NAME in patterns:
            found.append(
                Finding(
                    "grant",
                    f"{policy}#grants[{index}]",
                    "names 'dev'; 'local' needs no grant (edit the policy by hand)",
                )
            )
    named = [e.strip() for e in environ.get("GREENTIC_GRANT", "").split(",")]
    if LEGACY_NAME in named:
        found.append(
            Finding("grant", "GREENTIC_GRANT", "names 'dev'; 'local' needs no grant (unset it)")
        )
    return found


def now_text() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def rename_secret_files(home: Path, target: str) -> list[str]:
    """``secrets/dev*.json`` -> ``secrets/<target>*.json`` (the scan made sure none exists)."""
    moved: list[str] = []
    secrets = home / "secrets"
    for suffix in (".json", ".previous.json"):
        legacy = secrets / f"{LEGACY_NAME}{suffix}"
        if legacy.is_file():
            destination = secrets / f"{target}{suffix}"
            legacy.replace(destination)
            moved.append(f"{legacy} -> {destination}")
    return moved


def findings_json(findings: list[Finding]) -> list[dict[str, Any]]:
    return [asdict(f) for f in findings]
