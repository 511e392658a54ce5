"""render_html: one self-contained file, the split as bars, everything escaped."""

from __future__ import annotations

import copy
from html.parser import HTMLParser
from typing import Any

import pytest

from greentic_iac.errors import InvalidInputError
from greentic_iac.preview.html import render_html


class Elements(HTMLParser):
    """Every start tag with its attributes, plus the text, in document order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {name: value or "" for name, value in attrs}))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(html: str) -> Elements:
    parser = Elements()
    parser.feed(html)
    parser.close()
    return parser


def segments(html: str, side: str) -> list[dict[str, str]]:
    return [
        attrs
        for tag, attrs in parse(html).elements
        if "segment" in attrs.get("class", "").split() and attrs.get("data-side") == side
    ]


def width_percent(style: str) -> float:
    assert style.startswith("width: ") and style.endswith("%"), style
    return float(style.removeprefix("width: ").removesuffix("%"))


def test_the_report_is_self_contained(document: dict[str, Any]) -> None:
    html = render_html(document)
    tags = {tag for tag, _ in parse(html).elements}
    assert "style" in tags
    assert not tags & {"script", "link", "img", "iframe", "object"}
    assert "http://" not in html and "https://" not in html
    assert html.startswith("<!DOCTYPE html>")


def test_one_segment_per_revision_on_each_side_with_width_from_bps(
    document: dict[str, Any],
) -> None:
    html = render_html(document)
    expected = {
        revision["revision_id"]: revision for revision in document["traffic"][0]["revisions"]
    }
    for side in ("before", "after"):
        found = segments(html, side)
        assert sorted(attrs["data-revision"] for attrs in found) == sorted(expected)
        for attrs in found:
            revision = expected[attrs["data-revision"]]
            bps = revision[f"{side}_bps"]
            assert attrs["data-bps"] == str(bps)
            assert attrs["data-before-bps"] == str(revision["before_bps"])
            assert attrs["data-after-bps"] == str(revision["after_bps"])
            assert width_percent(attrs["style"]) == pytest.approx(bps / 100)
        assert sum(width_percent(attrs["style"]) for attrs in found) == pytest.approx(100)


def test_a_revision_absent_on_one_side_draws_a_zero_width_segment(
    document: dict[str, Any],
) -> None:
    revisions = document["traffic"][0]["revisions"]
    revisions[0].update(before_bps=10000, after_bps=9999)
    revisions[1].update(before_bps=0, after_bps=1, applied_weight=None, effective_bps=None)
    html = render_html(document)
    new = revisions[1]["revision_id"]
    (before,) = [a for a in segments(html, "before") if a["data-revision"] == new]
    (after,) = [a for a in segments(html, "after") if a["data-revision"] == new]
    assert width_percent(before["style"]) == 0
    assert width_percent(after["style"]) == pytest.approx(0.01)


def test_summary_resources_and_forced_replacements_are_shown(document: dict[str, Any]) -> None:
    document["resources"][1]["action"] = "replace"
    document["resources"][1]["changes"][0]["forces_replace"] = True
    html = render_html(document)
    elements = parse(html).elements
    summary = {a["data-summary"] for _, a in elements if "data-summary" in a}
    assert summary == {"create", "update", "replace", "delete", "unchanged", "traffic_changes"}
    actions = [a["data-action"] for _, a in elements if "resource" in a.get("class", "").split()]
    assert actions == ["create", "replace"]
    assert "forces replace" in html
    assert ">26<" in html  # the unchanged count


def test_refusals_and_policy_override_are_explained(document: dict[str, Any]) -> None:
    document["refused"] = True
    document["limits"] = [{"code": "alb-max-target-groups", "message": "6 > 5", "subject": "01J9X"}]
    document["policy"] = {
        "violations": [{"code": "max-step", "message": "+49 points", "subject": None}],
        "overridden": True,
    }
    elements = parse(render_html(document)).elements
    ids = {a.get("id") for _, a in elements}
    assert {"refusals", "limits", "policy-violations"} <= ids
    (status,) = [a for _, a in elements if a.get("id") == "status"]
    assert "refused" in status["class"]


def test_an_unchanged_preview_says_so(document: dict[str, Any]) -> None:
    document.update(changed=False, resources=[], traffic=[])
    html = render_html(document)
    assert "no changes" in html
    assert "No resource changes." in html
    assert not segments(html, "after")


def test_every_string_is_escaped(document: dict[str, Any]) -> None:
    attack = '<script>alert("x")</script>'
    document["resources"][0]["name"] = attack
    document["resources"][0]["changes"][0]["after"] = {"html": attack}
    document["warnings"] = [{"code": "note", "message": attack, "subject": '"><img src=x>'}]
    document["traffic"][0]["method"] = '" onmouseover="alert(1)'
    html = render_html(document)
    tags = {tag for tag, _ in parse(html).elements}
    assert "script" not in tags and "img" not in tags
    assert "&lt;script&gt;" in html
    assert not any("onmouseover" in attrs for _, attrs in parse(html).elements)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d.update(schema_version="greentic.preview.v0"), "schema_version"),
        (lambda d: d.pop("environment_id"), "environment_id"),
        (
            lambda d: d["traffic"][0]["revisions"][1].update(after_bps=10001),
            "traffic[0].revisions[1].after_bps",
        ),
        (
            lambda d: d["traffic"][0]["revisions"][0].update(before_bps="50%"),
            "traffic[0].revisions[0].before_bps",
        ),
        (lambda d: d["resources"][1].update(action="explode"), "resources[1].action"),
        (lambda d: d["summary"].update(create=-1), "summary.create"),
        (lambda d: d.update(traffic={"not": "a list"}), "traffic"),
        (
            lambda d: d["traffic"][0]["revisions"][0].update(effective_bps=float("nan")),
            "traffic[0].revisions[0].effective_bps",
        ),
    ],
)
def test_a_malformed_document_names_the_field(
    document: dict[str, Any], change: Any, field: str
) -> None:
    broken = copy.deepcopy(document)
    change(broken)
    with pytest.raises(InvalidInputError) as error:
        render_html(broken)
    message = str(error.value)
    assert message.startswith(f"{field}:")
    assert "\n" not in message


def test_rendering_is_deterministic(document: dict[str, Any]) -> None:
    assert render_html(document) == render_html(copy.deepcopy(document))


def test_the_applied_baseline_is_named_without_the_home_path(document: dict[str, Any]) -> None:
    html = render_html(document)
    assert "/home/ops" not in html
    assert "applied-plan.json" in html
    against = copy.deepcopy(document)
    against["baseline"] = {**against["baseline"], "source": "file", "path": "plans/base.json"}
    assert "plans/base.json" in render_html(against)
