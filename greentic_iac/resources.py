"""Find the data directories (``envpacks/``, ``templates/``, ``examples/``) in a checkout or wheel.

In a checkout they sit at the repository root (the design card's layout); a wheel carries
them as ``greentic_iac/_data/<name>`` (hatch force-include, see pyproject.toml).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


@cache
def data_dir(name: str) -> Path:
    """``data_dir("envpacks")`` -> the directory holding the built-in env-pack manifests."""
    for candidate in (_PACKAGE_DIR / "_data" / name, _PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"greentic-iac data directory {name!r} is missing from the install")


def project_dir() -> Path:
    """The directory holding ``Pulumi.yaml`` (the checkout root, or the wheel's data dir)."""
    for candidate in (_PACKAGE_DIR / "_data", _PACKAGE_DIR.parent):
        if (candidate / "Pulumi.yaml").is_file():
            return candidate
    raise FileNotFoundError("Pulumi.yaml is missing from the install")
