"""The core names no target: no deployer descriptor in cli/, preview/, operations/, program/.

The import-linter contract "the core names no target" (pyproject.toml) holds the imports;
this holds the strings, which a contract can't see: a core verb that compares a descriptor
(``== "greentic.deployer.k8s"``) or prints one in its help would treat a plug-in as a
second-class target. Per-target behaviour goes through the environment's ``Target``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[3] / "greentic_iac"
CORE = ("cli", "preview", "operations", "program")
DESCRIPTOR = re.compile(r"greentic\.deployer\.")


def _core_files() -> list[Path]:
    return sorted(path for core in CORE for path in (PACKAGE / core).rglob("*.py"))


def test_the_core_directories_are_where_this_test_looks() -> None:
    assert all((PACKAGE / core / "__init__.py").is_file() for core in CORE)
    assert len(_core_files()) > 20


@pytest.mark.parametrize("path", _core_files(), ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_no_core_module_names_a_deployer_descriptor(path: Path) -> None:
    hits = [
        f"{path.relative_to(PACKAGE)}:{number}: {line.strip()}"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if DESCRIPTOR.search(line)
    ]
    assert hits == []


def test_the_pattern_catches_a_descriptor() -> None:
    assert DESCRIPTOR.search('K8S = "greentic.deployer.k8s"')
    assert not DESCRIPTOR.search("deployer = state.environment.deployer()")
