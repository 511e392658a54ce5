"""Regenerate the k8s deployer's settings schema: ``python -m greentic_iac.targets.k8s.schema``.

The file lives beside the env-pack manifest (``envpacks/schemas/``); a test fails when it
is stale, and ``make golden`` rewrites it too.
"""

from __future__ import annotations

from pathlib import Path

from greentic_iac.resources import data_dir
from greentic_iac.targets.k8s.settings import SETTINGS_SCHEMA_FILE, settings_json_schema_text


def schema_path() -> Path:
    return data_dir("envpacks") / "schemas" / SETTINGS_SCHEMA_FILE


def main() -> None:
    path = schema_path()
    path.write_text(settings_json_schema_text(), encoding="utf-8")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
