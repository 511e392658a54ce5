"""Read verbs must not import pulumi, boto3, aiohttp or jinja2 (bench/cli.py measures speed).

``env list`` goes further: piped, it builds no pydantic model and loads neither ULIDs, rich
nor ``importlib.metadata`` (each costs a large share of Python's own start-up).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

HEAVY = ("pulumi", "boto3", "botocore", "aiohttp", "jinja2")
# Not loaded by a piped ``env list`` (checked by full dotted name).
LISTING_AVOIDS = (
    "pydantic",
    "pydantic_core",
    "ulid",
    "rich",
    "importlib.metadata",
    "jsonschema",
    "yaml",
    "greentic_iac.spec.state",
    "greentic_iac.envpacks",
)

PROBE = """
import json, sys
from greentic_iac.cli.main import run
code = run(sys.argv[1:])
sys.stdout.flush()
sys.stderr.write('MODULES=' + json.dumps(sorted(sys.modules)) + '\\n')
sys.exit(code)
"""


def _run_probe(home: Path, *argv: str) -> tuple[str, set[str]]:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, "--home", str(home), "--output", "json", *argv],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    last = proc.stderr.strip().splitlines()[-1]
    return proc.stdout, set(json.loads(last.removeprefix("MODULES=")))


@pytest.mark.parametrize(
    "argv", [["env", "list"], ["env", "show", "local"], ["revisions", "list", "local"]]
)
def test_read_verbs_import_no_heavy_modules(argv: list[str], home: Path, cli: object) -> None:
    _run_probe(home, "env", "init")
    _, modules = _run_probe(home, *argv)
    heavy = sorted({m.split(".")[0] for m in modules} & set(HEAVY))
    assert heavy == [], f"{' '.join(argv)} imported {heavy}"


def test_env_list_builds_no_models(home: Path, cli: object) -> None:
    _run_probe(home, "env", "init")
    stdout, modules = _run_probe(home, "env", "list")
    assert json.loads(stdout)["result"]["environments"][0]["environment_id"] == "local"
    loaded = sorted(modules & set(LISTING_AVOIDS))
    assert loaded == [], f"env list imported {loaded}"
