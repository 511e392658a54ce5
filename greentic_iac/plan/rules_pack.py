"""The rules pack ``credentials bootstrap`` exports: what the deployer identity may do.

Target-neutral: a target's ``Bootstrap`` gives the documents (``plan.target.PackDocument``)
and the identity, this module writes and checks the directory, so every deployer's pack
has the same shape and the CLI reaches no target to handle it.

A directory a reviewer can read: the policy documents exactly as applied (the deployer's
permissions, and who may assume it) and ``manifest.json`` naming each document with its
SHA-256, the environment, the target and the identity. Nothing in it is a secret: a
kubeconfig token is written elsewhere and the manifest only names where. The bytes are a
function of the environment and the flags (no timestamps), so a second bootstrap rewrites
nothing. ``credentials validate --rules-pack DIR`` reads it back with ``check_rules_pack``:
every hash must still match its file, and the permission documents must still be what the
current plan needs (a plan that grew a new resource type makes the pack stale).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from greentic_iac.errors import InvalidInputError
from greentic_iac.files import write_bytes_atomic
from greentic_iac.plan.target import PackDocument

FORMAT: Final = "greentic-iac.rules-pack/1"
MANIFEST: Final = "manifest.json"


def sha256_of(document: PackDocument) -> str:
    return hashlib.sha256(document.content).hexdigest()


def manifest_document(
    environment_id: str,
    target: str,
    identity: Mapping[str, Any],
    documents: Sequence[PackDocument],
) -> bytes:
    manifest = {
        "format": FORMAT,
        "environment_id": environment_id,
        "target": target,
        "identity": dict(identity),
        "documents": [
            {
                "path": document.name,
                "sha256": sha256_of(document),
                "purpose": document.purpose,
                "from_plan": document.from_plan,
            }
            for document in documents
        ],
    }
    return (json.dumps(manifest, indent=2, sort_keys=False) + "\n").encode()


def write_rules_pack(
    directory: Path,
    environment_id: str,
    target: str,
    identity: Mapping[str, Any],
    documents: Sequence[PackDocument],
) -> list[str]:
    """Write the pack; returns the files whose bytes changed (``[]`` on a repeat run)."""
    if directory.exists() and not directory.is_dir():
        raise InvalidInputError(f"--rules-pack: {directory} exists and is not a directory")
    directory.mkdir(parents=True, exist_ok=True)
    files = [*((d.name, d.content) for d in documents)]
    files.append((MANIFEST, manifest_document(environment_id, target, identity, documents)))
    changed: list[str] = []
    for name, content in files:
        path = directory / name
        if path.is_file() and path.read_bytes() == content:
            continue
        write_bytes_atomic(path, content)
        changed.append(name)
    return changed


@dataclass
class RulesPackReport:
    """What ``check_rules_pack`` found: ``ok`` when no problem was found."""

    directory: str
    identity: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "directory": self.directory,
            "identity": self.identity,
            "ok": self.ok,
            "problems": self.problems,
        }


def _load_manifest(directory: Path) -> dict[str, Any]:
    path = directory / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InvalidInputError(f"--rules-pack: {path} not found (not a rules pack)") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InvalidInputError(f"--rules-pack: {path} is not readable JSON ({error})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise InvalidInputError(f"--rules-pack: {path}: format is not {FORMAT}")
    documents = manifest.get("documents")
    if not isinstance(documents, list) or not all(
        isinstance(d, dict) and isinstance(d.get("path"), str) for d in documents
    ):
        raise InvalidInputError(f"--rules-pack: {path}: documents must be a list of files")
    return manifest


def check_rules_pack(
    directory: Path, environment_id: str, target: str, expected: Sequence[PackDocument]
) -> RulesPackReport:
    """Check the pack's hashes and that its plan documents equal ``expected`` (the ones a
    bootstrap would write now). A pack of another environment or target is bad input."""
    manifest = _load_manifest(directory)
    for key, wanted in (("environment_id", environment_id), ("target", target)):
        if manifest.get(key) != wanted:
            raise InvalidInputError(
                f"--rules-pack: {directory}: {key} is {manifest.get(key)!r}, not {wanted!r}"
            )
    identity = manifest.get("identity")
    report = RulesPackReport(str(directory), identity if isinstance(identity, dict) else {})
    listed = {str(d["path"]): d for d in manifest["documents"]}
    for name, entry in listed.items():
        path = directory / Path(name).name
        try:
            content = path.read_bytes()
        except OSError:
            report.problems.append(f"{name}: listed in the manifest but missing")
            continue
        if hashlib.sha256(content).hexdigest() != entry.get("sha256"):
            report.problems.append(f"{name}: sha256 differs from the manifest (edited?)")
    for document in expected:
        if not document.from_plan:
            continue
        entry = listed.get(document.name)
        if entry is None:
            report.problems.append(f"{document.name}: not in the pack")
        elif entry.get("sha256") != sha256_of(document):
            report.problems.append(
                f"{document.name}: stale: the current plan needs a different policy "
                "(run `credentials bootstrap` again and review the diff)"
            )
    return report
