"""Turn the Pulumi engine's event stream into progress lines and a result summary.

The Automation API hands every engine event to one callback. ``EventCollector`` is that
callback: it writes one short line per resource step and per error diagnostic to a
progress sink (stderr in the CLI, so stdout stays the JSON envelope), keeps the first
error message (an engine failure becomes one line, not a wall of CLI output), and keeps
the summary event's change counts. It reads the events' attributes only, so tests can
feed it plain stand-ins.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

Progress = Callable[[str], None]

# Operation -> the symbol Pulumi's own display uses.
_SYMBOLS = {
    "create": "+",
    "update": "~",
    "delete": "-",
    "replace": "+-",
    "create-replacement": "++",
    "delete-replaced": "--",
    "read": ">",
    "refresh": "~",
    "import": "=",
}
# Steps that are bookkeeping, not changes worth a line.
_QUIET_OPS = frozenset({"same", "discard", "discard-replaced", "remove-pending-replace"})


def _value(item: Any) -> str:
    """An enum member's value, or the string itself."""
    return str(getattr(item, "value", item))


def resource_name(urn: str) -> str:
    """``urn:pulumi:prod::greentic-iac::aws:lb/listener:Listener::web`` -> ``web``."""
    return urn.rsplit("::", 1)[-1] if urn else "?"


def first_line(text: str) -> str:
    for line in text.splitlines():
        stripped = line.strip()
        if stripped:
            return stripped
    return ""


class EventCollector:
    """The ``on_event`` callback of one engine operation (thread-safe: the API calls it
    from its log-watcher thread or gRPC pool)."""

    def __init__(self, operation: str, progress: Progress) -> None:
        self.operation = operation
        self.progress = progress
        self.changes: dict[str, int] | None = None
        self.first_error: str | None = None
        self.steps = 0
        # Each resource step worth a line, as {"op", "type", "name"} (what `up`'s
        # confirmation lists from Pulumi's preview).
        self.resources: list[dict[str, str]] = []
        self.started = time.monotonic()
        self._lock = threading.Lock()

    def _elapsed(self) -> str:
        return f"{time.monotonic() - self.started:.1f}s"

    def __call__(self, event: Any) -> None:
        with self._lock:
            self._handle(event)

    def _handle(self, event: Any) -> None:
        if getattr(event, "prelude_event", None) is not None:
            self.progress(f"pulumi {self.operation}: started")
        pre = getattr(event, "resource_pre_event", None)
        if pre is not None and pre.metadata is not None:
            op = _value(pre.metadata.op)
            if op not in _QUIET_OPS:
                self.steps += 1
                self.resources.append(
                    {
                        "op": op,
                        "type": str(pre.metadata.type),
                        "name": resource_name(pre.metadata.urn),
                    }
                )
                symbol = _SYMBOLS.get(op, "*")
                # The running count and the elapsed time: a long apply shows it is moving.
                self.progress(
                    f"  {symbol} {op:<8} {pre.metadata.type}  {resource_name(pre.metadata.urn)}"
                    f"  [{self.steps} · {self._elapsed()}]"
                )
        failed = getattr(event, "res_op_failed_event", None)
        if failed is not None and failed.metadata is not None:
            self.progress(f"  ! failed   {resource_name(failed.metadata.urn)}")
        diagnostic = getattr(event, "diagnostic_event", None)
        if diagnostic is not None and _value(diagnostic.severity) == "error":
            message = first_line(str(diagnostic.message))
            if message:
                if self.first_error is None:
                    self.first_error = message
                self.progress(f"  error: {message}")
        summary = getattr(event, "summary_event", None)
        if summary is not None:
            self.changes = {
                _value(op): int(count) for op, count in (summary.resource_changes or {}).items()
            }
            counts = ", ".join(f"{op} {n}" for op, n in sorted(self.changes.items())) or "none"
            steps = f"{self.steps} step{'' if self.steps == 1 else 's'}"
            self.progress(f"pulumi {self.operation}: done ({counts}); {steps} in {self._elapsed()}")
