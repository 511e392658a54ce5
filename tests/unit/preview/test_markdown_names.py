"""The PR comment as GitHub shows it: rendered with a GFM renderer (markdown-it-py's
``gfm-like`` preset: tables and strikethrough, HTML blocks passed through), then read as HTML.

Three deployments of the same environment must be told apart by their bundle ids, each
revision reads ``shop@3``, a deployment is named once (not on every row), the tables stay
narrow enough for a comment, and the ULIDs live in a collapsed ``<details>`` only.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from markdown_it import MarkdownIt

from greentic_iac.preview import Baseline, build_preview, render
from greentic_iac.targets.aws_ecs import compile_plan
from tests.targets.aws_ecs.cases import base_settings, ready, state_with

ULID = re.compile(r"\b[0-9A-HJKMNP-TV-Z]{26}\b", re.IGNORECASE)
# A GitHub comment column is ~ 780 px; at ~7 px per character a row of plain text this
# long still fits without the table scrolling sideways.
MAX_ROW_CHARS = 110


def _state(shop_weights: tuple[int, int]) -> object:
    deployments = [
        {"n": 1, "bundle": "shop", "host": "shop.example.com",
         "revisions": [ready(shop_weights[0]), ready(shop_weights[1]), ready(0)]},
        {"n": 2, "bundle": "billing", "host": "api.example.com", "path": "/billing",
         "revisions": [ready(10_000)]},
        {"n": 3, "bundle": "search", "host": "api.example.com", "path": "/search",
         "revisions": [ready(10_000)]},
    ]  # fmt: skip
    return state_with(base_settings(), deployments)


def _comment() -> str:
    before = compile_plan(_state((9_000, 1_000)))  # type: ignore[arg-type]
    state = _state((5_000, 5_000))
    document = build_preview(
        state,  # type: ignore[arg-type]
        compile_plan(state),  # type: ignore[arg-type]
        Baseline(plan=before, source="file", path="before.json"),
    )
    return render(document, "markdown")


class _Tables(HTMLParser):
    """Each table's rows (cell texts), and the text inside each ``<details>``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[list[list[str]]] = []
        self.details: list[str] = []
        self._in_details = 0
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "details":
            self._in_details += 1
            self.details.append("")
        elif tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "details":
            self._in_details -= 1
        elif tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        if self._in_details:
            self.details[-1] += data


def _rendered() -> _Tables:
    # linkify-it is not in the lock; autolinks change nothing this test reads.
    html = MarkdownIt("gfm-like", {"linkify": False}).render(_comment())
    parser = _Tables()
    parser.feed(html)
    return parser


def test_the_traffic_table_names_bundles_and_revisions_not_ulids() -> None:
    rendered = _rendered()
    [traffic] = rendered.tables
    header, *rows = traffic
    assert header == ["deployment", "revision", "before", "after", "weight", "effective"]
    cells = [cell for row in rows for cell in row]
    assert not any(ULID.search(cell) for cell in cells), "no ULID in a table cell"
    revisions = [row[1] for row in rows]
    assert revisions == ["shop@1", "shop@2", "shop@3", "billing@1", "search@1"]
    first_cells = [row[0] for row in rows]
    # Named once, on its first row, with the route that tells two api.example.com apart.
    assert sum("shop" in cell for cell in first_cells) == 1
    assert any("billing" in c and "api.example.com/billing" in c for c in first_cells)
    assert any("search" in c and "api.example.com/search" in c for c in first_cells)
    assert first_cells.count("") == 2  # shop's second and third rows


def test_rows_fit_a_comment_and_the_ids_are_in_a_collapsed_detail() -> None:
    rendered = _rendered()
    for table in rendered.tables:
        for row in table:
            assert len("  ".join(row)) <= MAX_ROW_CHARS, row
    comment = _comment()
    assert "<details><summary><b>Ids</b> (3 deployments)</summary>" in comment
    [ids] = [text for text in rendered.details if text.startswith("Ids")]
    assert len(ULID.findall(ids)) == 3 + 5  # every deployment and revision, whole
    for name in ("shop@1", "shop@2", "shop@3", "billing@1", "search@1"):
        assert name in ids
    # Outside <details> (the always-visible head and summary) there is no ULID at all.
    head = comment.split("<details", 1)[0]
    assert not ULID.search(head)
