"""Who is mutating: the audit log's ``principal`` and the subject grants are matched against.

On a workstation it is ``user@host``. In CI the job's identity is more useful than the
runner's account, so well-known CI variables win:

- GitHub Actions (``GITHUB_ACTIONS=true``): ``github:<GITHUB_ACTOR>@<GITHUB_REPOSITORY>``
- GitLab CI (``GITLAB_CI=true``): ``gitlab:<GITLAB_USER_LOGIN>@<CI_PROJECT_PATH>``
- any other CI (``CI=true``): ``ci:<user>@<host>``
"""

from __future__ import annotations

import getpass
import os
import socket
from collections.abc import Mapping


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid{os.getuid()}" if hasattr(os, "getuid") else "unknown"


def current_principal(environ: Mapping[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    if env.get("GITHUB_ACTIONS") == "true":
        actor = env.get("GITHUB_ACTOR", "unknown")
        return f"github:{actor}@{env.get('GITHUB_REPOSITORY', 'unknown')}"
    if env.get("GITLAB_CI") == "true":
        login = env.get("GITLAB_USER_LOGIN", "unknown")
        return f"gitlab:{login}@{env.get('CI_PROJECT_PATH', 'unknown')}"
    local = f"{_user()}@{socket.gethostname()}"
    if env.get("CI", "").lower() == "true":
        return f"ci:{local}"
    return local
