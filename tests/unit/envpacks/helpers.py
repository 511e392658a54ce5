"""Shared helpers of the env-pack tests (conftest.py holds only fixtures)."""

from __future__ import annotations

from typing import Any

from greentic_iac.envpacks import ManifestHandler
from greentic_iac.envpacks.manifest import manifest_from_dict

# The fixture distribution's group of misbehaving plug-ins (see its pyproject.toml).
MISFIT_GROUP = "acme_vault.test_envpacks"
VAULT = "acme.secrets.vault@0.4.2"
VAULT_SETTINGS = {"address": "https://vault.acme.test:8200"}


def make_handler(path: str, slot: str, versions: str = "^1.0", **extra: Any) -> ManifestHandler:
    """A handler from an in-test manifest (settings schema inline)."""
    document: dict[str, Any] = {
        "descriptor_path": path,
        "slot": slot,
        "supported_versions": versions,
        "summary": f"test pack {path}",
        "settings_schema": {"type": "object"},
        "handler": "greentic_iac.envpacks.handler:ManifestHandler",
    }
    if slot == "deployer":
        document["compiler"] = "tests.nowhere:compile_plan"
    document.update(extra)
    return ManifestHandler(manifest_from_dict(document, source=f"<test {path}>"))
