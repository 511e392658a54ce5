"""Which package manager's install hint to show first on this machine.

A Linux user wants the ``apt`` line, a Mac user ``brew``, a Windows user ``scoop``; the
others stay in the hint (a Linux user may well run Homebrew) but come after.
"""

from __future__ import annotations

import sys
from typing import Literal

Platform = Literal["linux", "macos", "windows"]
PackageManager = Literal["apt", "brew", "scoop"]

PREFERRED_MANAGER: dict[Platform, PackageManager] = {
    "linux": "apt",
    "macos": "brew",
    "windows": "scoop",
}


def detect_platform(sys_platform: str | None = None) -> Platform:
    name = sys.platform if sys_platform is None else sys_platform
    if name == "darwin":
        return "macos"
    if name in {"win32", "cygwin", "msys"}:
        return "windows"
    return "linux"


def manager_order(platform: Platform) -> tuple[PackageManager, ...]:
    first = PREFERRED_MANAGER[platform]
    return (first, *(m for m in ("apt", "brew", "scoop") if m != first))
