"""The HTML preview opened in headless Chromium: the split bars as the browser lays them out.

Two loads of the same report: the report as shipped (``--dump-dom``: the bars survive the
browser's parser, one segment per revision, widths from bps), and a copy with a measuring
script appended by this test only (the report itself has no script), which writes each
segment's laid-out width as a fraction of its bar into the DOM before it is dumped.
Skips, saying why, where no Chromium is installed (``.ci/run`` installs Debian's).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
from html import escape
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from greentic_iac.preview.html import render_html

pytestmark = pytest.mark.integration

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
TIMEOUT_SECONDS = 90

DEPLOYMENT_A = "01J9ZQ6W3K8Y2V5T7R4N1M0PA0"
DEPLOYMENT_B = "01J9ZQ6W3K8Y2V5T7R4N1M0PB0"
SPLITS = {
    # deployment -> [(revision, before_bps, after_bps)]
    DEPLOYMENT_A: [
        ("01J9ZQ6W3K8Y2V5T7R4N1M0PA1", 10000, 7000),
        ("01J9ZQ6W3K8Y2V5T7R4N1M0PA2", 0, 2500),
        ("01J9ZQ6W3K8Y2V5T7R4N1M0PA3", 0, 500),
    ],
    DEPLOYMENT_B: [
        ("01J9ZQ6W3K8Y2V5T7R4N1M0PB1", 9900, 5000),
        ("01J9ZQ6W3K8Y2V5T7R4N1M0PB2", 100, 5000),
    ],
}

# Test-only instrumentation: record what the layout engine made of each segment.
MEASURE = """<script>
for (const bar of document.querySelectorAll('.traffic-bar')) {
  const total = bar.getBoundingClientRect().width;
  bar.setAttribute('data-rendered-width', String(total));
  for (const segment of bar.querySelectorAll('.segment')) {
    const width = segment.getBoundingClientRect().width;
    segment.setAttribute('data-rendered-fraction', String(width / total));
  }
}
</script>
"""


def preview_document() -> dict[str, Any]:
    return {
        "schema_version": "greentic.preview.v1",
        "environment_id": "prod-eu",
        "target": "greentic.deployer.aws-ecs",
        "baseline": {"source": "applied", "path": "/x/applied-plan.json", "content_hash": None},
        "plan_hash": "sha256:" + "c" * 64,
        "changed": True,
        "refused": False,
        "summary": {"create": 2, "update": 2, "unchanged": 10, "traffic_changes": 2},
        "resources": [],
        "traffic": [
            {
                "deployment_id": deployment,
                "method": "alb-weight-0-999",
                "changed": True,
                "revisions": [
                    {
                        "revision_id": revision,
                        "before_bps": before,
                        "after_bps": after,
                        "applied_weight": after // 10,
                        "effective_bps": float(after),
                    }
                    for revision, before, after in revisions
                ],
            }
            for deployment, revisions in SPLITS.items()
        ],
        "limits": [],
        "policy": {"violations": [], "overridden": False},
        "warnings": [],
    }


def find_browser() -> str:
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    pytest.skip(f"chromium not installed: none of {', '.join(BROWSERS)} on PATH")


def dump_dom(browser: str, page: Path, width: int = 1200) -> str:
    """The DOM after load, from a throwaway profile; the browser's process group is
    killed if it overruns, and the profile removed either way."""
    with tempfile.TemporaryDirectory(prefix="greentic-chromium-") as profile:
        argv = [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-extensions",
            f"--user-data-dir={profile}",
            f"--window-size={width},900",
            "--dump-dom",
            page.as_uri(),
        ]
        process = subprocess.Popen(
            argv,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        try:
            stdout, stderr = process.communicate(timeout=TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            pytest.fail(f"chromium did not finish within {TIMEOUT_SECONDS}s")
        finally:
            # Chromium's helpers share its session; none may outlive the test.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode == 0, stderr[-2000:]
    assert "<html" in stdout, stderr[-2000:]
    return stdout


class Bars(HTMLParser):
    """Each .traffic-bar and the .segment elements inside it, from the dumped DOM."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.bars: list[dict[str, Any]] = []
        self._depth = 0
        self._bar_depth: int | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._depth += 1
        attributes = {name: value or "" for name, value in attrs}
        classes = attributes.get("class", "").split()
        if "traffic-bar" in classes:
            self.bars.append({**attributes, "segments": []})
            self._bar_depth = self._depth
        elif "segment" in classes and self._bar_depth is not None:
            self.bars[-1]["segments"].append(attributes)

    def handle_endtag(self, tag: str) -> None:
        if self._bar_depth == self._depth:
            self._bar_depth = None
        self._depth -= 1


def bars_in(dom: str) -> list[dict[str, Any]]:
    parser = Bars()
    parser.feed(dom)
    parser.close()
    return parser.bars


def expected_bps(deployment: str, side: str) -> dict[str, int]:
    index = 1 if side == "before" else 2
    return {entry[0]: entry[index] for entry in SPLITS[deployment]}


def test_the_browser_keeps_one_segment_per_revision_with_bps_widths(tmp_path: Path) -> None:
    browser = find_browser()
    page = tmp_path / "report.html"
    page.write_text(render_html(preview_document()), encoding="utf-8")

    bars = bars_in(dump_dom(browser, page))

    assert sorted((bar["data-deployment"], bar["data-side"]) for bar in bars) == sorted(
        (deployment, side) for deployment in SPLITS for side in ("before", "after")
    )
    for bar in bars:
        want = expected_bps(bar["data-deployment"], bar["data-side"])
        got = {segment["data-revision"]: segment for segment in bar["segments"]}
        assert sorted(got) == sorted(want), "one segment per revision"
        for revision, bps in want.items():
            style = got[revision]["style"].replace(" ", "")
            assert style == f"width:{bps / 100:.2f}%;" or style == f"width:{bps / 100:.2f}%"
            assert got[revision][f"data-{bar['data-side']}-bps"] == str(bps)


def test_the_laid_out_segment_widths_are_proportional_to_bps(tmp_path: Path) -> None:
    browser = find_browser()
    html = render_html(preview_document())
    assert "<script" not in html  # the measuring script below is the test's, not the report's
    page = tmp_path / "measured.html"
    page.write_text(html.replace("</body>", MEASURE + "</body>"), encoding="utf-8")

    bars = bars_in(dump_dom(browser, page))

    assert len(bars) == 2 * len(SPLITS)
    for bar in bars:
        total = float(bar["data-rendered-width"])
        assert total > 100, "the bar has a real width on screen"
        tolerance = 1.5 / total  # sub-pixel rounding of each edge
        want = expected_bps(bar["data-deployment"], bar["data-side"])
        for segment in bar["segments"]:
            fraction = float(segment["data-rendered-fraction"])
            assert fraction == pytest.approx(want[segment["data-revision"]] / 10000, abs=tolerance)
        assert sum(float(s["data-rendered-fraction"]) for s in bar["segments"]) == pytest.approx(
            1.0, abs=tolerance
        )


# Test-only instrumentation: headless Chromium won't make a window narrower than 500 px, so
# the report is laid out in an iframe of the width under test; once it has loaded, the page
# width and every element sticking out past the iframe's viewport are written into the DOM.
MEASURE_FRAME = """<script>
window.addEventListener('load', () => {
  const doc = document.querySelector('iframe').contentDocument;
  const viewport = doc.documentElement.clientWidth;
  const outside = [];
  for (const element of doc.body.querySelectorAll('*')) {
    const right = element.getBoundingClientRect().right;
    if (right > viewport + 1) outside.push(element.tagName + ' ' + Math.round(right));
  }
  document.body.setAttribute('data-scroll-width', String(doc.documentElement.scrollWidth));
  document.body.setAttribute('data-viewport-width', String(viewport));
  document.body.setAttribute('data-outside', outside.join(', '));
});
</script>
"""


class BodyAttributes(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.attributes: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "body":
            self.attributes = {name: value or "" for name, value in attrs}


def named_document() -> dict[str, Any]:
    """A report with the names beside the ids: long bundle ids, hosts and logical names."""
    document = preview_document()
    for index, deployment in enumerate(document["traffic"]):
        deployment["bundle_id"] = f"customer-portal-checkout-{index}"
        deployment["route"] = f"checkout-{index}.eu-west-1.tenants.example.com/api/v2/cart"
        for number, revision in enumerate(deployment["revisions"], start=1):
            revision["name"] = f"customer-portal-checkout-{index}@{number}"
    document["resources"] = [
        {
            "action": "update",
            "name": f"rule-{DEPLOYMENT_A.lower()}-{'x' * 40}",
            "type": "aws:lb/listenerRule:ListenerRule",
            "subject": "customer-portal-checkout-0",
            "changes": [
                {"path": "actions[0].forward.targetGroups[0].weight", "before": 9,
                 "after": "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/"
                 + "t" * 60, "forces_replace": False},
            ],
        }
    ]  # fmt: skip
    return document


@pytest.mark.parametrize("width", [420, 1280])
def test_the_report_fits_the_window_at_phone_and_desktop_widths(tmp_path: Path, width: int) -> None:
    browser = find_browser()
    html = render_html(named_document())
    assert "customer-portal-checkout-0@1" in html and DEPLOYMENT_A in html
    frame = (
        f'<!DOCTYPE html><html><body style="margin:0"><iframe style="width:{width}px;'
        f'height:900px;border:0" srcdoc="{escape(html, quote=True)}"></iframe>'
        f"{MEASURE_FRAME}</body></html>"
    )
    page = tmp_path / f"width-{width}.html"
    page.write_text(frame, encoding="utf-8")

    parser = BodyAttributes()
    parser.feed(dump_dom(browser, page, width=max(width + 100, 1200)))
    scroll = int(parser.attributes["data-scroll-width"])
    viewport = int(parser.attributes["data-viewport-width"])

    assert width - 20 <= viewport <= width, "the iframe is the width under test"
    assert scroll <= viewport, f"the page is {scroll}px wide in a {viewport}px viewport"
    assert parser.attributes["data-outside"] == "", "elements past the right edge"
