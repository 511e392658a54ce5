"""The Pulumi project a directory needs for ``pulumi up -s <env>`` outside the checkout.

The checkout's ``Pulumi.yaml`` points ``main`` at ``greentic_iac/program/``, which exists
only there. Anywhere else (a user's repository after ``stack init``, or the Automation
API's project under ``$GREENTIC_HOME`` for a wheel install) the project is the packaged
``Pulumi.yaml`` without ``main``, running a two-line ``__main__.py``.

Which Python runs it depends on whether the directory is meant to be committed. A
directory ``stack init`` writes into is a user's repository, so its ``Pulumi.yaml`` names
no path of this machine: the virtualenv is given relative to the project when it lives
inside it (``.venv``), and is otherwise left out, so Pulumi uses the ``python`` on
``PATH`` (the environment the user installed greentic-iac into). The Automation API's
project under ``$GREENTIC_HOME`` never leaves this machine, so it pins this process's
virtualenv absolutely: the engine must run the same greentic-iac that called it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, Final

from greentic_iac.errors import InvalidInputError
from greentic_iac.plan.io import write_text_atomic

PROGRAM_SHIM: Final = (
    '"""Written by greentic-iac: stack name -> environment -> plan -> resources."""\n\n'
    "from greentic_iac.program import run\n\nrun()\n"
)


def virtualenv_option(directory: Path | None) -> str | None:
    """The ``virtualenv`` runtime option for a project in ``directory``.

    ``None`` for ``directory`` means a machine-local project: this process's virtualenv, as
    an absolute path. Otherwise the virtualenv relative to ``directory`` when it lies
    inside it, else ``None`` (no option: Pulumi takes ``python`` from ``PATH``). Outside a
    virtualenv there is nothing to name either way.
    """
    if sys.prefix == sys.base_prefix:
        return None
    prefix = Path(sys.prefix).resolve()
    if directory is None:
        return str(prefix)
    root = directory.resolve()
    if not prefix.is_relative_to(root):
        return None
    return Path(os.path.relpath(prefix, root)).as_posix()


def project_file_text(directory: Path | None = None) -> str:
    """``Pulumi.yaml`` for a directory outside the checkout (see the module docstring).

    ``directory`` is where the file goes when it may be committed (``stack init``); leave
    it out for the machine-local project of the Automation API.
    """
    import yaml

    from greentic_iac.resources import project_dir

    project: dict[str, Any] = yaml.safe_load(
        (project_dir() / "Pulumi.yaml").read_text(encoding="utf-8")
    )
    project.pop("main", None)
    runtime = project.get("runtime")
    if isinstance(runtime, dict):
        options = dict(runtime.get("options") or {})
        virtualenv = virtualenv_option(directory)
        if virtualenv is not None:
            options["virtualenv"] = virtualenv
        else:
            options.pop("virtualenv", None)
        if options:
            runtime["options"] = options
        else:
            runtime.pop("options", None)
    return yaml.safe_dump(project, sort_keys=False, default_flow_style=False)


def ensure_project(directory: Path, *, portable: bool = True) -> list[str]:
    """Write ``Pulumi.yaml`` and ``__main__.py`` into ``directory`` unless it has a project.

    ``portable`` (the default, for ``stack init``) writes no path of this machine; the
    engine's own project passes ``False`` (see the module docstring). Returns the names
    written (empty when a ``Pulumi.yaml`` is already there: a user's own project is never
    touched). A ``__main__.py`` without a ``Pulumi.yaml`` is someone else's program:
    refused rather than overwritten.
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
    write_text_atomic(project_file_text(directory if portable else None), project_file)
    return ["Pulumi.yaml", "__main__.py"]


def is_checkout_project(directory: Path) -> bool:
    """The greentic-iac checkout (``main`` resolves there), not a wheel's data directory."""
    return (directory / "greentic_iac" / "program" / "__main__.py").is_file()
