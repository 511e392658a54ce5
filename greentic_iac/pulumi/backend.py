"""Where Pulumi keeps an environment's stack state, and how its secrets are encrypted.

The Automation API runs the ``pulumi`` CLI, which reads both from its environment. This
module decides them once, in one documented order (docs/apply.md), so ``up``, ``destroy``,
``drift`` and ``preview --engine pulumi`` always talk to the same backend:

1. the environment's own config key ``pulumi.backend_url`` (``config set``), so two
   environments in one home can live in different backends;
2. ``PULUMI_BACKEND_URL`` from the caller's environment (what the Pulumi CLI itself honours);
3. the default: a local file backend at ``file://$GREENTIC_HOME/pulumi-state`` (created).

The secrets provider is ``pulumi.secrets_provider`` when set; otherwise ``passphrase`` for a
file backend and Pulumi's own default (the service's key) for any other. A passphrase
provider needs a passphrase: ``PULUMI_CONFIG_PASSPHRASE`` or ``PULUMI_CONFIG_PASSPHRASE_FILE``
when the caller set one, else a generated one kept in ``$GREENTIC_HOME/secrets/
pulumi-passphrase`` (mode 0600). Only the file's *path* is handed to Pulumi; the value never
passes through this process's arguments, logs or results.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from greentic_iac.errors import InvalidInputError

BACKEND_CONFIG_KEY = "pulumi.backend_url"
SECRETS_PROVIDER_CONFIG_KEY = "pulumi.secrets_provider"
BACKEND_VARIABLE = "PULUMI_BACKEND_URL"
PASSPHRASE_VARIABLE = "PULUMI_CONFIG_PASSPHRASE"  # noqa: S105 (variable names)
PASSPHRASE_FILE_VARIABLE = "PULUMI_CONFIG_PASSPHRASE_FILE"  # noqa: S105
STATE_DIRECTORY = "pulumi-state"
PASSPHRASE_FILE = Path("secrets") / "pulumi-passphrase"
PASSPHRASE_PROVIDER = "passphrase"  # noqa: S105 (a provider name)

_BACKEND_SCHEMES = ("file://", "s3://", "gs://", "azblob://", "https://", "http://")


@dataclass(frozen=True)
class Backend:
    """The backend and secrets provider of one environment's stack.

    ``env_vars`` is what the Pulumi CLI needs on top of the caller's environment; it holds
    paths and URLs, never a passphrase.
    """

    url: str
    secrets_provider: str | None
    # Where the URL came from: "environment config", "PULUMI_BACKEND_URL" or "default".
    source: str
    env_vars: dict[str, str] = field(default_factory=dict)

    @property
    def is_local_file(self) -> bool:
        return self.url.startswith("file://")

    def describe(self) -> dict[str, str | None]:
        """A summary safe to print: the URL, its source and the provider's name."""
        return {"url": self.url, "source": self.source, "secrets_provider": self.secrets_provider}


def default_backend_url(home: Path) -> str:
    return f"file://{(home / STATE_DIRECTORY).resolve()}"


def passphrase_path(home: Path) -> Path:
    return home / PASSPHRASE_FILE


def ensure_passphrase_file(home: Path) -> Path:
    """The generated passphrase file, created once with mode 0600 in a 0700 directory.

    ``O_EXCL`` makes two concurrent first runs agree on one passphrase: the loser reads
    the winner's file. An existing file with wider permissions is tightened, not replaced
    (replacing it would lock every stack encrypted with it).
    """
    path = passphrase_path(home)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        if path.stat().st_mode & 0o077:
            path.chmod(0o600)
        if not path.read_text(encoding="utf-8").strip():
            raise InvalidInputError(f"{path}: the Pulumi passphrase file is empty") from None
        return path
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(secrets.token_urlsafe(32) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return path


def _check_url(url: str, where: str) -> str:
    url = url.strip()
    if not url.startswith(_BACKEND_SCHEMES):
        raise InvalidInputError(
            f"{where}: {url!r} is not a Pulumi backend URL "
            f"(expected one of {', '.join(_BACKEND_SCHEMES)})"
        )
    return url


def resolve_backend(
    home: Path,
    environment_config: Mapping[str, str],
    environ: Mapping[str, str] | None = None,
) -> Backend:
    """The backend for an environment (see the module docstring for the order).

    Creates the default state directory and, for a passphrase provider without a
    caller-supplied passphrase, the passphrase file. Raises InvalidInputError for a
    malformed backend URL, naming where it came from.
    """
    environ = os.environ if environ is None else environ
    configured = environment_config.get(BACKEND_CONFIG_KEY)
    if configured:
        url, source = _check_url(configured, f"config {BACKEND_CONFIG_KEY}"), "environment config"
    elif environ.get(BACKEND_VARIABLE):
        url, source = _check_url(environ[BACKEND_VARIABLE], BACKEND_VARIABLE), BACKEND_VARIABLE
    else:
        url, source = default_backend_url(home), "default"
    if url.startswith("file://"):
        Path(url.removeprefix("file://")).expanduser().mkdir(parents=True, exist_ok=True)

    provider = environment_config.get(SECRETS_PROVIDER_CONFIG_KEY) or (
        PASSPHRASE_PROVIDER if url.startswith("file://") else None
    )
    env_vars = {BACKEND_VARIABLE: url, "PULUMI_SKIP_UPDATE_CHECK": "true"}
    caller_has_passphrase = bool(
        environ.get(PASSPHRASE_VARIABLE) or environ.get(PASSPHRASE_FILE_VARIABLE)
    )
    if provider == PASSPHRASE_PROVIDER and not caller_has_passphrase:
        env_vars[PASSPHRASE_FILE_VARIABLE] = str(ensure_passphrase_file(home))
    return Backend(url=url, secrets_provider=provider, source=source, env_vars=env_vars)
