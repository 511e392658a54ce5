"""The offline preview's own golden documents render: the contract holds in both directions."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import pytest

from greentic_iac.preview.html import render_html

GOLDEN = sorted((Path(__file__).resolve().parents[1] / "preview" / "golden").glob("*.json"))


class Segments(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {name: value or "" for name, value in attrs}
        if "segment" in a.get("class", "").split():
            self.found.append((a["data-side"], a["data-revision"], a["data-bps"], a["style"]))


@pytest.mark.parametrize("path", GOLDEN, ids=[path.stem for path in GOLDEN])
def test_every_golden_preview_renders_its_split(path: Path) -> None:
    document = json.loads(path.read_text())
    parser = Segments()
    parser.feed(render_html(document))
    expected = [
        (side, revision["revision_id"], str(revision[f"{side}_bps"]))
        for deployment in document["traffic"]
        for side in ("before", "after")
        for revision in deployment["revisions"]
    ]
    assert [found[:3] for found in parser.found] == expected
    for _, _, bps, style in parser.found:
        assert style == f"width: {int(bps) / 100:.2f}%"
