"""The package installs as a normal wheel: its data, docs, licence and typing marker ship
inside it, and it runs from a venv holding only the core lock (offline, from uv's cache)."""

from __future__ import annotations

import subprocess
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

from tests.support.lock_venv import CORE_LOCK, build_wheel, install_wheel, venv_from_lock


@pytest.mark.integration
@pytest.mark.timeout(300)
def test_built_wheel_installs_and_finds_its_data(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path / "dist")
    names = zipfile.ZipFile(wheel).namelist()
    assert any(n.startswith("greentic_iac/_data/envpacks/") for n in names)
    assert any(n.startswith("greentic_iac/_data/templates/") for n in names)
    assert "greentic_iac/_data/docs/ci.md" in names  # what `ci init` points to
    assert "greentic_iac/py.typed" in names
    license_name = "greentic_iac-0.1.0.dist-info/licenses/LICENSE"
    assert license_name in names
    with zipfile.ZipFile(wheel) as archive:
        license_text = archive.read(license_name).decode()
        metadata = Parser().parsestr(archive.read("greentic_iac-0.1.0.dist-info/METADATA").decode())
    assert "Apache License" in license_text and "Version 2.0, January 2004" in license_text
    assert metadata["License-Expression"] == "Apache-2.0"
    assert "Typing :: Typed" in metadata.get_all("Classifier")
    assert {"aws", "k8s", "pulumi", "all", "dev"} <= set(metadata.get_all("Provides-Extra"))
    core_requirements = [r for r in metadata.get_all("Requires-Dist") if "extra ==" not in r]
    assert not [r for r in core_requirements if r.startswith(("boto3", "pulumi"))]

    # Only the core lock, by `uv pip sync` (no resolution, so no metadata beyond the
    # wheels make venv cached), then the wheel itself without dependencies.
    python = venv_from_lock(tmp_path / "venv", CORE_LOCK)
    install_wheel(python, wheel)
    probe = (
        "import greentic_iac, greentic_iac.resources as r;"
        "print(r.data_dir('envpacks'));print(r.data_dir('templates'));print(r.data_dir('docs'))"
    )
    out = subprocess.run(
        [str(python), "-c", probe],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    ).stdout.splitlines()
    assert len(out) == 3
    assert all("site-packages/greentic_iac/_data" in line for line in out), out
    demo = subprocess.run(
        [str(python), "-m", "greentic_iac.demo"],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert "greentic.deployer.local-process@0.1.0" in demo.stdout
    # Every heading has words: a step that continues the previous one has none.
    assert "#" not in [line.strip() for line in demo.stdout.splitlines()]
    # The Phase B part (real processes, real HTTP) and the closing previews, which read the
    # examples shipped under greentic_iac/_data/examples.
    assert "after the shift: 1000 requests" in demo.stdout
    assert "offline preview: aws-ecs sample (prod-eu)" in demo.stdout
    assert "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute" in demo.stdout
