"""Whether output to a stream may carry colour: one rule for every verb.

A terminal gets colour; a pipe or a file never does; ``NO_COLOR`` (any non-empty value,
https://no-color.org) and ``TERM=dumb`` turn it off even on a terminal. Tables (rich) and
the text preview both ask here, so they can't disagree.
"""

from __future__ import annotations

import os
from typing import TextIO


def colour_allowed(stream: TextIO) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())
