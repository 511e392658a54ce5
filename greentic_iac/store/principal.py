"""Who is mutating: the audit log's ``principal`` and the subject grants are matched against.

The principal is what the caller cannot set by exporting a variable: the OS account of the
process (uid -> name through the password database, never ``$USER``/``$LOGNAME``) and the
host name, ``user@host``.

CI systems describe their job in environment variables, and anyone can export those, so
they are recorded as *claims*, never as the principal:

- GitHub Actions (``GITHUB_ACTIONS=true``): subject ``github:<GITHUB_ACTOR>@<GITHUB_REPOSITORY>``
- GitLab CI (``GITLAB_CI=true``): subject ``gitlab:<GITLAB_USER_LOGIN>@<CI_PROJECT_PATH>``
- any other CI (``CI=true``): subject ``ci:<user>@<host>``

A claim satisfies a principal-scoped grant only when that grant trusts its issuer
(``trust_claims``, see ``greentic_iac.store.authz``). Verifying a CI job's OIDC token
(``ACTIONS_ID_TOKEN_REQUEST_URL``) would turn the GitHub claim into a proven identity; that
is not implemented, and a configured token is noted in the claim, not trusted.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Claim:
    """An identity the environment asserts and nothing has verified."""

    issuer: str  # "github", "gitlab" or "ci": what a grant's trust_claims names
    subject: str  # matched against a grant's principals when the grant trusts the issuer
    evidence: str  # for the audit log: "claimed GITHUB_ACTOR=octo, GITHUB_REPOSITORY=a/b"


@dataclass(frozen=True)
class Principal:
    name: str  # user@host, from the uid and the host name
    claims: tuple[Claim, ...] = field(default=())

    def claim_notes(self) -> list[str] | None:
        """The claims as audit-log strings (None when there are none)."""
        return [f"{c.issuer}: {c.evidence}" for c in self.claims] or None


def os_user() -> str:
    """The account name of this process's uid (``uid<N>`` if the database has no entry)."""
    if not hasattr(os, "getuid"):  # pragma: no cover (Windows has no uid)
        import getpass

        return getpass.getuser()
    uid = os.getuid()
    try:
        import pwd

        return pwd.getpwuid(uid).pw_name
    except (KeyError, ImportError):
        return f"uid{uid}"


def _claimed(env: Mapping[str, str], *names: str) -> str:
    parts = [f"{name}={env.get(name, '')}" for name in names]
    return "claimed " + ", ".join(parts)


def _claims(env: Mapping[str, str], local: str) -> tuple[Claim, ...]:
    claims = []
    if env.get("GITHUB_ACTIONS") == "true":
        actor = env.get("GITHUB_ACTOR", "unknown")
        repository = env.get("GITHUB_REPOSITORY", "unknown")
        evidence = _claimed(env, "GITHUB_ACTOR", "GITHUB_REPOSITORY")
        if env.get("ACTIONS_ID_TOKEN_REQUEST_URL"):
            evidence += " (an OIDC token is available but not verified)"
        claims.append(Claim("github", f"github:{actor}@{repository}", evidence))
    if env.get("GITLAB_CI") == "true":
        login = env.get("GITLAB_USER_LOGIN", "unknown")
        project = env.get("CI_PROJECT_PATH", "unknown")
        evidence = _claimed(env, "GITLAB_USER_LOGIN", "CI_PROJECT_PATH")
        claims.append(Claim("gitlab", f"gitlab:{login}@{project}", evidence))
    if env.get("CI", "").lower() == "true":
        claims.append(Claim("ci", f"ci:{local}", "claimed CI=true"))
    return tuple(claims)


def identify(environ: Mapping[str, str] | None = None) -> Principal:
    """The principal of this process and the CI claims its environment makes."""
    env = os.environ if environ is None else environ
    local = f"{os_user()}@{socket.gethostname()}"
    return Principal(local, _claims(env, local))


def current_principal(environ: Mapping[str, str] | None = None) -> str:
    """The principal's name (``user@host``); claims are not part of it."""
    return identify(environ).name
