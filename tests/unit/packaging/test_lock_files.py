"""The three lock files agree: the core and [all] locks are the dev lock's pins cut to
those installs, so a venv built from either needs nothing make venv did not cache."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support.lock_venv import ALL_LOCK, CORE_LOCK, ROOT

PIN = re.compile(r"^([A-Za-z0-9._-]+)==(\S+)", re.MULTILINE)
CLOUD_SDKS = {"boto3", "botocore", "pulumi", "pulumi-aws", "pulumi-kubernetes"}


def pins(path: Path) -> dict[str, str]:
    return {name.lower(): version for name, version in PIN.findall(path.read_text())}


@pytest.mark.parametrize("lock", [CORE_LOCK, ALL_LOCK], ids=["core", "all"])
def test_each_cut_lock_pins_what_the_dev_lock_pins(lock: Path) -> None:
    dev = pins(ROOT / "requirements.lock")
    cut = pins(lock)
    assert cut
    assert {name: dev.get(name) for name in cut} == cut


def test_the_core_lock_has_no_cloud_sdk_and_the_all_lock_has_them_all() -> None:
    assert not CLOUD_SDKS & set(pins(CORE_LOCK))
    assert set(pins(ALL_LOCK)) >= CLOUD_SDKS
    assert {"aiohttp", "pydantic", "jinja2"} <= set(pins(CORE_LOCK))


def test_the_dev_lock_brings_the_workflow_linters() -> None:
    assert {"zizmor", "check-jsonschema"} <= set(pins(ROOT / "requirements.lock"))
