"""One entry point for every format: ``render(document, fmt)`` -> the report's text."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any, Final

from greentic_iac.errors import InvalidInputError
from greentic_iac.plan.io import write_text_atomic

FORMATS: Final = ("text", "json", "markdown", "html")


def render_json(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=False) + "\n"


def render(document: dict[str, Any], fmt: str, *, colour: bool = False) -> str:
    """The report in ``fmt`` (text, json, markdown or html); ``colour`` only affects text."""
    if fmt == "text":
        from greentic_iac.preview.text import render_text

        return render_text(document, colour=colour)
    if fmt == "json":
        return render_json(document)
    if fmt == "markdown":
        from greentic_iac.preview.markdown import render_markdown

        return render_markdown(document)
    if fmt == "html":
        # Jinja2 and the template load only for this format (imported by name: the HTML
        # renderer is a separate module with its own template).
        module = importlib.import_module("greentic_iac.preview.html")
        html: str = module.render_html(document)
        return html
    raise InvalidInputError(f"--format: {fmt!r} is not one of {', '.join(FORMATS)}")


def write_report(text: str, path: Path) -> Path:
    """Write the report for ``--out`` atomically: a CI step that posts it never reads half."""
    return write_text_atomic(text, path)
