"""Write the Cloud Run pack's settings JSON schema from the pydantic model.

``greentic.deployer.cloud-run.settings.json`` is generated, never edited by hand:
``python -m greentic_iac_gcp.schema`` rewrites it, and a test fails when it is stale, so
the manifest's schema and the compiler's validation can't drift apart.
"""

from __future__ import annotations

import json
from pathlib import Path

from greentic_iac_gcp.settings import settings_json_schema

SCHEMA_PATH = Path(__file__).with_name("greentic.deployer.cloud-run.settings.json")


def schema_text() -> str:
    return json.dumps(settings_json_schema(), indent=2, sort_keys=True) + "\n"


def main() -> None:
    SCHEMA_PATH.write_text(schema_text(), encoding="utf-8")


if __name__ == "__main__":
    main()
