"""The Pulumi project a directory needs for ``pulumi up -s <env>`` outside the checkout.

The checkout's ``Pulumi.yaml`` points ``main`` at ``greentic_iac/program/``, which exists
only there. Anywhere else (a user's repository after ``stack init``, or the Automation
API's project under ``$GREENTIC_HOME`` for a wheel install) the project is the packaged
``Pulumi.yaml`` without ``main``, running a two-line ``__main__.py`` with the virtualenv
this greentic-iac runs from.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Final

from greentic_iac.errors import InvalidInputError
from greentic_iac.plan.io import write_text_atomic

PROGRAM_SHIM: Final = (
    '"""Written by greentic-iac: stack name -> environment -> plan -> resources."""\n\n'
    "from greentic_iac.program import run\n\nrun()\n"
)


def project_file_text() -> str:
    """``Pulumi.yaml`` for a directory outside the checkout (see the module docstring)."""
    import yaml

    from greentic_iac.resources import project_dir

    project: dict[str, Any] = yaml.safe_load(
        (project_dir() / "Pulumi.yaml").read_text(encoding="utf-8")
    )
    project.pop("main", None)
    runtime = project.get("runtime")
    if isinstance(runtime, dict):
        options = dict(runtime.get("options") or {})
        if sys.prefix != sys.base_prefix:
            options["virtualenv"] = sys.prefix
        else:
            options.pop("virtualenv", None)
            options.pop("toolchain", None)
        if options:
            runtime["options"] = options
        else:
            runtime.pop("options", None)
    return yaml.safe_dump(project, sort_keys=False, default_flow_style=False)


def ensure_project(directory: Path) -> list[str]:
    """Write ``Pulumi.yaml`` and ``__main__.py`` into ``directory`` unless it has a project.

    Returns the names written (empty when a ``Pulumi.yaml`` is already there: a user's own
    project is never touched). A ``__main__.py`` without a ``Pulumi.yaml`` is someone
    else's program: refused rather than overwritten.
    """
    project_file = directory / "Pulumi.yaml"
    if project_file.exists():
        return []
    shim = directory / "__main__.py"
    if shim.exists():
        raise InvalidInputError(
            f"--dir {directory}: has a __main__.py but no Pulumi.yaml; "
            "use an empty directory or the greentic-iac checkout"
        )
    write_text_atomic(PROGRAM_SHIM, shim)
    write_text_atomic(project_file_text(), project_file)
    return ["Pulumi.yaml", "__main__.py"]


def is_checkout_project(directory: Path) -> bool:
    """The greentic-iac checkout (``main`` resolves there), not a wheel's data directory."""
    return (directory / "greentic_iac" / "program" / "__main__.py").is_file()
