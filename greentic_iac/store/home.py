"""Where the local store lives: ``--home``, else ``$GREENTIC_HOME``, else ``~/.greentic``."""

from __future__ import annotations

import os
from pathlib import Path


def greentic_home(explicit: Path | None = None) -> Path:
    if explicit is not None:
        return Path(explicit).expanduser()
    configured = os.environ.get("GREENTIC_HOME")
    if configured:
        return Path(configured).expanduser()
    return Path.home() / ".greentic"
