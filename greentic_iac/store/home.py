"""Where the local store lives: ``--home``, else ``$GREENTIC_HOME``, else ``~/.greentic``.

A home sits inside a repository often enough (``.greentic/`` next to the code) that a
``git add .`` must not stage what the home holds besides state: dev secrets, the Pulumi
passphrase, the local runtime's cookie key, logs, Pulumi's own state and lock files. The
store writes a ``.gitignore`` for them into the home the first time it writes there.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

GITIGNORE = ".gitignore"
GITIGNORE_TEXT = """\
# Written by greentic-iac: what a greentic home holds besides environment state must never
# be committed. Patterns without a leading slash match at every depth
# (environments/<env>/runtime/ too). Edit freely: greentic-iac never overwrites this file.
secrets/
runtime/
logs/
pulumi-state/
.lock
*.lock
*.tmp
"""


def greentic_home(explicit: Path | None = None) -> Path:
    if explicit is not None:
        return Path(explicit).expanduser()
    configured = os.environ.get("GREENTIC_HOME")
    if configured:
        return Path(configured).expanduser()
    return Path.home() / ".greentic"


def ensure_home_gitignore(home: Path) -> None:
    """Create ``home/.gitignore`` unless one exists (the user's own is kept as it is)."""
    home.mkdir(parents=True, exist_ok=True)
    # O_EXCL: two first writers never truncate each other's file, and an existing one stays.
    with contextlib.suppress(FileExistsError):
        fd = os.open(home / GITIGNORE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(GITIGNORE_TEXT)
