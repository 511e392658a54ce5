"""Write the AWS ECS pack's settings JSON schema from the pydantic model.

The schema file in ``envpacks/schemas/`` is generated, never edited by hand:
``python -m greentic_iac.targets.aws_ecs.schema`` rewrites it, and a test fails when it is
stale, so the manifest's schema and the compiler's validation can't drift apart.
"""

from __future__ import annotations

import json
from pathlib import Path

from greentic_iac.resources import data_dir
from greentic_iac.targets.aws_ecs.settings import settings_json_schema

SCHEMA_FILE = "schemas/greentic.deployer.aws-ecs.settings.json"


def schema_text() -> str:
    return json.dumps(settings_json_schema(), indent=2, sort_keys=True) + "\n"


def schema_path() -> Path:
    return data_dir("envpacks") / SCHEMA_FILE


def main() -> None:
    schema_path().write_text(schema_text(), encoding="utf-8")


if __name__ == "__main__":
    main()
