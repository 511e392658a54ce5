"""Tables for a person at a terminal (rich is imported only on this path)."""

from __future__ import annotations

import json
import sys
from typing import Any


def _cell(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True)
    return "" if value is None else str(value)


def _explode(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per inner item when every row nests a list of objects (``env tool-check``'s
    outcomes per binding), so a person reads columns rather than JSON inside a cell."""
    columns = list(dict.fromkeys(k for row in rows for k in row))
    nested = next(
        (
            column
            for column in columns
            if all(
                isinstance(row.get(column), list)
                and all(isinstance(item, dict) for item in row[column])
                for row in rows
            )
            and any(row[column] for row in rows)
        ),
        None,
    )
    if nested is None:
        return rows
    exploded: list[dict[str, Any]] = []
    for row in rows:
        base = {key: value for key, value in row.items() if key != nested}
        exploded.extend({**base, **item} for item in row[nested] or [{}])
    return exploded


def _table(title: str | None, columns: list[tuple[str, bool]], **options: Any) -> Any:
    """A rich table of ``columns`` (name, right-aligned) whose cells fold, never cut: rich
    shrinks a table to the terminal, and an id that wraps in its cell is still whole on the
    screen, where an ellipsis would lose what a person copies."""
    from rich.table import Table

    table = Table(title=title, **options)
    for name, right in columns:
        table.add_column(name, justify="right" if right else "left", overflow="fold")
    return table


def print_table(noun: str, op: str, result: dict[str, Any], *, wide: bool = False) -> None:
    """``result`` as tables: the verb's curated view (cli/table_views.py; ``wide`` adds its
    extra columns) or, for any other verb, a field/value table and a table of its rows."""
    from rich.console import Console

    from greentic_iac.cli.table_views import views_of
    from greentic_iac.cli.terminal import colour_allowed

    # No styling at all off a terminal or under NO_COLOR (rich alone would keep bold).
    console = Console(color_system="auto" if colour_allowed(sys.stdout) else None)
    views = views_of(noun, op, result, wide)
    if views is not None:
        for view in views:
            if not view.rows:
                console.print(f"no {view.title}")
                continue
            table = _table(
                view.title, [(c.removeprefix(">"), c.startswith(">")) for c in view.columns]
            )
            for cells in view.rows:
                table.add_row(*(escape(cell) for cell in cells))
            console.print(table)
        return
    rows_key = next(
        (
            k
            for k, v in result.items()
            if isinstance(v, list) and v and all(isinstance(r, dict) for r in v)
        ),
        None,
    )
    scalars = {k: v for k, v in result.items() if k != rows_key}
    if scalars:
        table = _table(f"{noun} {op}", [("field", False), ("value", False)], show_header=False)
        for key, value in scalars.items():
            table.add_row(f"[bold]{escape(key)}[/bold]", escape(_cell(value)))
        console.print(table)
    if rows_key is not None:
        rows = _explode(result[rows_key])
        names = list(dict.fromkeys(k for row in rows for k in row))
        table = _table(rows_key, [(name, False) for name in names])
        for row in rows:
            table.add_row(*(escape(_cell(row.get(name))) for name in names))
        console.print(table)


def escape(text: str) -> str:
    from rich.markup import escape as rich_escape

    return rich_escape(text)
