"""Golden previews: each case (state, plan, baseline) -> its text, markdown and JSON report.

Regenerate with ``GREENTIC_REGENERATE_GOLDEN=1 .venv/bin/pytest -q tests/unit/preview`` and
review the diff.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from greentic_iac.preview import build_preview, render
from tests.unit.preview.cases import CASES

GOLDEN = Path(__file__).parent / "golden"
REGENERATE = os.environ.get("GREENTIC_REGENERATE_GOLDEN") == "1"
SUFFIX = {"text": "txt", "markdown": "md", "json": "json"}


def _document(case: str) -> dict[str, object]:
    state, plan, baseline = CASES[case]()
    return build_preview(state, plan, baseline)


@pytest.mark.parametrize("fmt", sorted(SUFFIX))
@pytest.mark.parametrize("case", sorted(CASES))
def test_report_matches_golden(case: str, fmt: str) -> None:
    text = render(_document(case), fmt)
    path = GOLDEN / f"{case}.{SUFFIX[fmt]}"
    if REGENERATE:
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"{path.name} is missing: regenerate (see the module docstring)"
    assert path.read_text(encoding="utf-8") == text, f"{path.name} is stale: regenerate"


def test_every_golden_file_has_a_case() -> None:
    stems = {p.name.split(".")[0] for p in GOLDEN.iterdir()}
    assert stems == set(CASES)


@pytest.mark.parametrize("case", sorted(CASES))
def test_json_format_is_exactly_the_document(case: str) -> None:
    document = _document(case)
    assert json.loads(render(document, "json")) == document
    assert document["schema_version"] == "greentic.preview.v1"
    assert set(document) == {
        "schema_version", "environment_id", "target", "baseline", "plan_hash", "changed",
        "refused", "summary", "resources", "traffic", "limits", "policy", "warnings", "names",
        "generation",
    }  # fmt: skip
