"""The core install (no extras) runs every verb that needs no cloud SDK, and a verb that
needs one exits 2 naming the extra to install, never with a ModuleNotFoundError.

The venv holds exactly requirements-core.lock plus the built package. The verbs run in one
interpreter of that venv (a driver calling the CLI's ``run`` per argv, as the console script
does) because every start-up costs a second or two on a loaded machine; one call goes
through the real console script.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.support.lock_venv import CORE_LOCK, ROOT, install_checkout, tree_size, venv_from_lock

CORE_SIZE_LIMIT = 100 * 1024 * 1024

DRIVER = r"""
import contextlib, importlib.util, io, json, sys
from greentic_iac.cli.main import run

sdks = [m for m in ("boto3", "botocore", "pulumi", "pulumi_aws", "pulumi_kubernetes")
        if importlib.util.find_spec(m)]
# Every module must import without a cloud SDK (theirs are imported lazily, where used).
import importlib, pkgutil, greentic_iac
unimportable = {}
for module in pkgutil.walk_packages(greentic_iac.__path__, "greentic_iac."):
    try:
        importlib.import_module(module.name)
    except ModuleNotFoundError as error:
        unimportable[module.name] = error.name
results = []
for argv in json.load(sys.stdin):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run(argv)
    results.append({"argv": argv, "code": code, "stdout": out.getvalue(), "stderr": err.getvalue()})
print(json.dumps({"sdks": sdks, "unimportable": unimportable, "results": results}))
"""


def clean_environ(home: Path) -> dict[str, str]:
    environ = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("GREENTIC_", "AWS_", "PULUMI_", "VIRTUAL_ENV"))
        and key != "PYTHONPATH"
    }
    return environ | {"GREENTIC_HOME": str(home), "GREENTIC_GRANT": "prod-eu,zain-prod"}


@pytest.mark.integration
@pytest.mark.timeout(600)
def test_core_verbs_run_and_cloud_verbs_name_their_extra(tmp_path: Path) -> None:
    venv = tmp_path / "core"
    python = venv_from_lock(venv, CORE_LOCK)
    install_checkout(python)
    assert tree_size(venv) < CORE_SIZE_LIMIT

    home = tmp_path / "home"
    examples = ROOT / "examples"
    out = tmp_path / "out"
    ok = [
        ["env", "create", "--answers", str(examples / "aws-ecs" / "environment.json")],
        ["env", "create", "--answers", str(examples / "k8s" / "environment.json")],
        ["--output", "json", "env", "list"],
        ["--output", "json", "plan", "prod-eu"],
        *(
            ["preview", "zain-prod", "--format", fmt, "--out", f"{out}.{fmt}"]
            for fmt in ("text", "json", "markdown", "html")
        ),
        ["export", "zain-prod", "--format", "k8s-yaml", "--out", str(tmp_path / "k8s")],
        ["--output", "json", "env", "extras", "prod-eu"],
    ]
    refused = {
        "export": (["export", "prod-eu", "--format", "pulumi-python", "--out", str(out)], "[aws]"),
        "up": (["up", "prod-eu"], "[aws]"),
        "pulumi preview": (["preview", "zain-prod", "--engine", "pulumi"], "[k8s]"),
        "credentials": (["credentials", "validate", "prod-eu", "--timeout", "2"], "[aws]"),
        "s3 store": (["--store", "s3://bucket/prefix", "env", "list"], "[aws]"),
    }
    argvs = ok + [argv for argv, _ in refused.values()]
    proc = subprocess.run(
        [str(python), "-c", DRIVER],
        input=json.dumps(argvs),
        capture_output=True,
        text=True,
        timeout=300,
        env=clean_environ(home),
        cwd=tmp_path,
        check=True,
    )
    report = json.loads(proc.stdout)
    assert report["sdks"] == []  # the core venv really has no cloud SDK
    # Only the Pulumi program's entry point, which `pulumi` itself runs, needs the SDK.
    assert report["unimportable"] == {"greentic_iac.program.__main__": "pulumi"}
    results = report["results"]
    for result in results[: len(ok)]:
        assert result["code"] == 0, result
    environments = json.loads(results[2]["stdout"])["result"]["environments"]
    assert {"prod-eu", "zain-prod"} <= {e["environment_id"] for e in environments}
    assert any(t.startswith("aws:") for t in json.loads(results[3]["stdout"])["result"]["by_type"])
    for fmt in ("text", "json", "markdown", "html"):
        assert Path(f"{out}.{fmt}").stat().st_size > 0
    assert json.loads(results[-len(refused) - 1]["stdout"])["result"]["pip_extras"] == "[aws]"

    for (name, (_, extra)), result in zip(refused.items(), results[len(ok) :], strict=True):
        assert result["code"] == 2, (name, result)
        lines = result["stderr"].strip().splitlines()
        assert len(lines) == 1, (name, lines)
        assert lines[0].endswith(f"pip install 'greentic-iac{extra}'"), (name, lines)
        assert "ModuleNotFoundError" not in result["stderr"] + result["stdout"]
    assert not out.exists()

    # The console script itself: same exit code and one line.
    script = subprocess.run(
        [str(venv / "bin" / "greentic-iac"), *refused["export"][0]],
        capture_output=True,
        text=True,
        timeout=120,
        env=clean_environ(home),
        check=False,
    )
    assert script.returncode == 2
    assert script.stderr.strip() == (
        "error: export: needs pulumi_aws, which the core install leaves out: "
        "pip install 'greentic-iac[aws]'"
    )
