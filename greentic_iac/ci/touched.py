"""Which environments a pull request touches, from the paths it changes.

The preview workflow runs one preview (and keeps one comment) per touched environment,
so a change to ``prod-eu`` doesn't post noise on every other environment. The convention
(docs/ci.md) names an environment by any of these paths:

- ``stacks/Pulumi.<env>.yaml`` (the Pulumi stack config),
- ``environments/<env>.json|yaml|yml`` or ``environments/<env>/…`` (answers files),
- ``<greentic home>/environments/<env>/…`` (a store committed to the repository).

A change under a shared path (the package, env-pack manifests, templates, the Pulumi
project, the lock file) can move every plan, so it touches every environment; and when no
path names an environment at all, or the changed paths are unknown, every environment is
previewed: a preview too many costs a minute, a preview too few hides a change. A path
naming an environment that doesn't exist yet (a new stack file) is skipped with a note.

Run as ``python -m greentic_iac.ci.touched --changed FILE --environments FILE``: prints the
touched environment ids, one per line (``--json`` for a JSON list, e.g. a job matrix).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path, PurePosixPath
from typing import Any

from greentic_iac.errors import GreenticError
from greentic_iac.spec import validate_environment_id

SHARED_PREFIXES = (
    "greentic_iac/",
    "envpacks/",
    "templates/",
    "Pulumi.yaml",
    "requirements.lock",
    "pyproject.toml",
)

_STACK_FILE = re.compile(r"^stacks/Pulumi\.(?P<env>[^/]+)\.ya?ml$")
_ANSWERS_FILE = re.compile(r"^environments/(?P<env>[^/]+)\.(?:json|ya?ml)$")
_ANSWERS_DIR = re.compile(r"^environments/(?P<env>[^/]+)/")


def environments_named_by(path: str, *, greentic_home: str = ".greentic") -> str | None:
    """The environment id a changed path belongs to, or None for a path of no environment."""
    normalised = str(PurePosixPath(path.strip().removeprefix("./")))
    home = greentic_home.strip("/")
    if normalised.startswith(f"{home}/environments/"):
        normalised = normalised.removeprefix(f"{home}/")
    for pattern in (_STACK_FILE, _ANSWERS_FILE, _ANSWERS_DIR):
        match = pattern.match(normalised)
        if match:
            return match.group("env")
    return None


def named_environments(
    changed_paths: Iterable[str] | None, *, greentic_home: str = ".greentic"
) -> set[str] | None:
    """The environment ids the changed paths name; None when every environment is touched
    (unknown diff, a shared path, or no path naming an environment)."""
    if changed_paths is None:
        return None
    named: set[str] = set()
    for raw in changed_paths:
        path = raw.strip().removeprefix("./")
        if not path:
            continue
        if path.startswith(SHARED_PREFIXES):
            return None
        environment = environments_named_by(path, greentic_home=greentic_home)
        if environment is not None:
            named.add(environment)
    return named or None


def touched_environments(
    changed_paths: Iterable[str] | None,
    all_environments: Sequence[str],
    *,
    greentic_home: str = ".greentic",
) -> list[str]:
    """The environments to preview, in the order ``all_environments`` lists them.

    ``changed_paths`` None means the diff is unknown (a shallow clone, an API failure):
    every environment. Names that are not existing environments are dropped (a pull
    request that adds a stack file before the environment exists has nothing to preview).
    """
    known = list(dict.fromkeys(all_environments))
    named = named_environments(changed_paths, greentic_home=greentic_home)
    if named is None:
        return known
    return [environment for environment in known if environment in named]


def environment_ids(document: Any) -> list[str]:
    """Environment ids from ``greentic-iac env list`` output (the envelope or its result)."""
    if isinstance(document, dict) and "result" in document:
        document = document["result"]
    if isinstance(document, dict):
        document = document.get("environments", [])
    if not isinstance(document, list):
        raise ValueError("expected the JSON output of `greentic-iac env list`")
    ids: list[str] = []
    for entry in document:
        raw = entry.get("environment_id") if isinstance(entry, dict) else entry
        if not isinstance(raw, str):
            raise ValueError(f"environment entry without an id: {entry!r}")
        ids.append(validate_environment_id(raw))
    return ids


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m greentic_iac.ci.touched")
    parser.add_argument("--changed", help="file listing changed paths, one per line (- stdin)")
    parser.add_argument(
        "--environments", required=True, help="file holding `greentic-iac env list` JSON"
    )
    parser.add_argument("--greentic-home", default=".greentic", help="committed store dir")
    parser.add_argument("--json", action="store_true", help="print a JSON list")
    args = parser.parse_args(argv)
    try:
        all_ids = environment_ids(json.loads(Path(args.environments).read_text("utf-8")))
    except (OSError, ValueError, GreenticError) as exc:
        print(f"error: --environments {args.environments}: {exc}", file=sys.stderr)
        return 2
    changed: list[str] | None = None
    if args.changed == "-":
        changed = sys.stdin.read().splitlines()
    elif args.changed:
        try:
            changed = Path(args.changed).read_text("utf-8").splitlines()
        except OSError:
            # An unknown diff previews everything rather than nothing.
            changed = None
    touched = touched_environments(changed, all_ids, greentic_home=args.greentic_home)
    unknown = sorted(
        (named_environments(changed, greentic_home=args.greentic_home) or set()) - set(all_ids)
    )
    if unknown:
        print(f"note: not (yet) environments, not previewed: {', '.join(unknown)}", file=sys.stderr)
    print(json.dumps(touched) if args.json else "\n".join(touched))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
