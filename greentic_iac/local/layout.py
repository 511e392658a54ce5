"""Where the local runtime keeps its files inside an environment directory.

One place names them so the supervisor, the CLI-side helpers and the docs agree. The
runtime's own files live under ``<env_dir>/runtime/`` so they never mix with the store's
state documents; the cookie key and the supervisor record are created with mode 0600.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

RUNTIME_CONFIG_FILE: Final = "runtime-config.json"
RUNTIME_DIR: Final = "runtime"
DEFAULT_ROUTER_PORT: Final = 8787


@dataclass(frozen=True)
class RuntimeLayout:
    env_dir: Path

    @property
    def runtime_config(self) -> Path:
        return self.env_dir / RUNTIME_CONFIG_FILE

    @property
    def runtime_dir(self) -> Path:
        return self.env_dir / RUNTIME_DIR

    @property
    def supervisor_record(self) -> Path:
        """pid, router URL, control URL and token, children's process groups (0600)."""
        return self.runtime_dir / "supervisor.json"

    @property
    def cookie_key(self) -> Path:
        return self.runtime_dir / "cookie.key"

    @property
    def logs_dir(self) -> Path:
        return self.runtime_dir / "logs"

    @property
    def supervisor_log(self) -> Path:
        return self.logs_dir / "supervisor.log"

    def revision_log(self, revision_id: str) -> Path:
        return self.logs_dir / f"{revision_id}.log"
