"""``doctor secrets PATH``: the secret-leak scanner as a linter CI can gate on (seed P0.2).

Exit codes follow linters (ruff, gitleaks, detect-secrets-hook): 0 when clean, 1 when secret
shapes were found (the report lists every one: file, line, kind and a redacted fingerprint,
never the value), 2 when the scan could not run or finish (missing path, corrupt archive,
limits or time budget exceeded: the scanner fails closed, so an unscanned file is never
reported clean).
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from greentic_iac.cli.context import Context, Rendered
from greentic_iac.errors import InvalidInputError

FINDINGS_EXIT_CODE: Final = 1


def secrets(ctx: Context, _: None) -> Rendered:
    from greentic_iac.bundles import scan_path

    path = Path(ctx.args.path)
    if not path.exists():
        raise InvalidInputError(f"{path}: no such file or directory")
    findings = sorted(scan_path(path))
    result = {
        "path": str(path),
        "clean": not findings,
        "count": len(findings),
        "findings": [finding.to_dict() for finding in findings],
    }
    exit_code = FINDINGS_EXIT_CODE if findings else 0
    if not findings:
        return Rendered(f"{path}: no secrets found", result=result)
    lines = [finding.describe() for finding in findings]
    lines.append(f"{len(findings)} secret(s) found in {path}; remove them and rotate the keys")
    return Rendered("\n".join(lines), exit_code, result)
