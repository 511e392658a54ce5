"""The package installs as a normal wheel: envpacks/ and templates/ ship inside it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.integration
@pytest.mark.timeout(300)
def test_built_wheel_installs_and_finds_its_data(tmp_path: Path) -> None:
    uv = shutil.which("uv", path=str(Path(sys.executable).parent))
    if uv is None:
        pytest.skip("uv is not in the virtualenv (make test installs it)")
    dist = tmp_path / "dist"
    subprocess.run(
        [uv, "build", "--wheel", "--out-dir", str(dist), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=240,
    )
    wheel = next(dist.glob("greentic_iac-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert any(n.startswith("greentic_iac/_data/envpacks/") for n in names)
    assert any(n.startswith("greentic_iac/_data/templates/") for n in names)

    venv = tmp_path / "venv"
    subprocess.run(
        [uv, "venv", "--quiet", "--python", sys.executable, str(venv)], check=True, timeout=60
    )
    python = venv / "bin" / "python"
    # Offline from the cache make test just filled: the wheel's own dependencies are pinned
    # in the lock, so install them from there and the wheel itself without resolution.
    env = {**os.environ, "UV_OFFLINE": "1"}
    subprocess.run(
        [
            uv,
            "pip",
            "install",
            "--quiet",
            "--python",
            str(python),
            "-r",
            str(ROOT / "requirements.lock"),
        ],
        check=True,
        timeout=240,
        env=env,
    )
    subprocess.run(
        [uv, "pip", "install", "--quiet", "--python", str(python), "--no-deps", str(wheel)],
        check=True,
        timeout=60,
        env=env,
    )
    probe = (
        "import greentic_iac, greentic_iac.resources as r;"
        "print(r.data_dir('envpacks'));print(r.data_dir('templates'))"
    )
    out = subprocess.run(
        [str(python), "-c", probe],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    ).stdout.splitlines()
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
    # The Phase B part (real processes, real HTTP) and the closing previews, which read the
    # examples shipped under greentic_iac/_data/examples.
    assert "after the shift: 1000 requests" in demo.stdout
    assert "offline preview: aws-ecs sample (prod-eu)" in demo.stdout
    assert "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute" in demo.stdout
