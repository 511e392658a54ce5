"""docs/preflight.md must list every tool and probe the catalog knows."""

from __future__ import annotations

from pathlib import Path

from greentic_iac.preflight import KNOWN_PROBES, KNOWN_TOOLS, TOOL_CATALOG

DOC = Path(__file__).resolve().parents[3] / "docs" / "preflight.md"


def test_every_check_is_documented_with_its_hints() -> None:
    text = DOC.read_text()
    for tool in KNOWN_TOOLS:
        assert f"| `{tool}` |" in text, tool
        hints = TOOL_CATALOG[tool].hints
        assert hints.url in text
        assert hints.brew in text and hints.scoop in text
    for probe in KNOWN_PROBES:
        assert f"| `{probe}` |" in text, probe
