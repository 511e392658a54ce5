"""Read verbs must not import pulumi, boto3, aiohttp or jinja2 (bench/cli.py measures speed)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

HEAVY = ("pulumi", "boto3", "botocore", "aiohttp", "jinja2")

PROBE = f"""
import json, sys
from greentic_iac.cli.main import run
code = run(sys.argv[1:])
sys.stdout.flush()
heavy = sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r}))
sys.stderr.write('HEAVY=' + json.dumps(heavy) + '\\n')
sys.exit(code)
"""


@pytest.mark.parametrize(
    "argv", [["env", "list"], ["env", "show", "local"], ["revisions", "list", "local"]]
)
def test_read_verbs_import_no_heavy_modules(argv: list[str], home: Path, cli: object) -> None:
    init = subprocess.run(
        [sys.executable, "-c", PROBE, "--home", str(home), "--output", "json", "env", "init"],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert init.returncode == 0, init.stderr
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, "--home", str(home), "--output", "json", *argv],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    heavy = json.loads(proc.stderr.strip().splitlines()[-1].removeprefix("HEAVY="))
    assert heavy == [], f"{' '.join(argv)} imported {heavy}"
