"""``make demo``: the main job on the embedded default (the local environment)."""

from __future__ import annotations

import json

from greentic_iac.spec import local_environment


def main() -> None:
    environment = local_environment()
    print(json.dumps(environment.to_json_dict(), indent=2, sort_keys=True))


if __name__ == "__main__":
    main()
