"""The plug-in's tests run where it is installed (``make venv`` installs it editable); the
core's suite passes without it, so without it these files are not collected at all."""

from __future__ import annotations

import importlib.util

collect_ignore_glob = [] if importlib.util.find_spec("greentic_iac_gcp") else ["test_*.py"]


def pytest_configure(config: object) -> None:
    # Importing pulumi_gcp.compute announces the SDK's own deprecated aliases; not ours.
    config.addinivalue_line(  # type: ignore[attr-defined]
        "filterwarnings", "ignore::DeprecationWarning:pulumi_gcp"
    )
