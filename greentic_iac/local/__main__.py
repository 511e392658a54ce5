"""Process entry points of the local runtime: ``supervise`` and the simulated ``app``.

The CLI never runs these by hand; ``start_runtime`` spawns ``supervise`` and the
supervisor spawns ``app`` for every revision whose bundle declares no command.
"""

from __future__ import annotations

import sys


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in {"supervise", "app"}:
        print("usage: python -m greentic_iac.local {supervise|app} ...", file=sys.stderr)
        return 2
    command, rest = sys.argv[1], sys.argv[2:]
    if command == "app":
        from greentic_iac.local.bundle_app import main as app_main

        app_main(rest)
        return 0
    from greentic_iac.local.supervisor import main as supervise_main

    return supervise_main(rest)


if __name__ == "__main__":
    sys.exit(main())
