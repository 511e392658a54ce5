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


def print_table(noun: str, op: str, result: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    from greentic_iac.cli.terminal import colour_allowed

    # No styling at all off a terminal or under NO_COLOR (rich alone would keep bold).
    console = Console(color_system="auto" if colour_allowed(sys.stdout) else None)
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
        table = Table(title=f"{noun} {op}", show_header=False)
        table.add_column("field", style="bold")
        table.add_column("value")
        for key, value in scalars.items():
            table.add_row(key, _cell(value))
        console.print(table)
    if rows_key is not None:
        rows = _explode(result[rows_key])
        columns = list(dict.fromkeys(k for row in rows for k in row))
        table = Table(title=rows_key)
        for column in columns:
            table.add_column(column)
        for row in rows:
            table.add_row(*(_cell(row.get(c)) for c in columns))
        console.print(table)
