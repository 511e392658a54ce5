"""The environment a revision process starts with: an allow-list, never the operator's own.

A bundle command is code from a bundle, so it must not see what the operator's shell holds
(cloud keys, ``GITHUB_TOKEN``, ``GREENTIC_GRANT``). It gets only what the docs promise:
the locale and search path it needs to run, the revision identity and ``PORT``, the
environment's config keys, the secrets its secrets pack resolves for it, and any variable
the deployer settings name in ``pass_environment``. Later layers win, so a config key cannot
fake the revision identity and an inherited variable cannot shadow a config key.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Final

from greentic_iac.errors import GreenticError
from greentic_iac.local.settings import ENV_NAME_PATTERN
from greentic_iac.secrets.chooser import dev_store_path
from greentic_iac.secrets.dev_store import DEV_STORE, DevStore

log = logging.getLogger("greentic_iac.local.process_env")

# What any program needs to start and format text; the values come from the supervisor.
BASE_NAMES: Final = ("PATH", "HOME", "LANG", "TZ")
_LOCALE_PREFIX: Final = "LC_"
_ENV_NAME: Final = re.compile(ENV_NAME_PATTERN)


def inherited(parent: Mapping[str, str], pass_environment: tuple[str, ...]) -> dict[str, str]:
    """The base names, ``LC_*`` and the allowed names that are set in ``parent``."""
    names = {*BASE_NAMES, *pass_environment}
    return {
        name: value
        for name, value in parent.items()
        if name in names or (name.startswith(_LOCALE_PREFIX) and _ENV_NAME.match(name))
    }


def resolved_secrets(
    env_dir: Path, environment_id: str, secrets_pack: str | None
) -> dict[str, str]:
    """The secrets the environment's pack holds, by name, for the local runtime.

    Only the dev-store is read here (a file beside the store, no network); names that are
    not environment variable names are skipped. Another pack's values are not fetched by
    the local runtime (a warning each time a process starts), so a revision sees none.
    """
    if secrets_pack is None:
        return {}
    if secrets_pack != DEV_STORE:
        log.warning(
            "secrets pack %s: the local runtime injects only %s secrets", secrets_pack, DEV_STORE
        )
        return {}
    # env_dir is <home>/environments/<id> (see local.sync.environment_dir).
    store = DevStore(dev_store_path(env_dir.parent.parent, environment_id))
    try:
        names = store.names()
        values = {name: store.get(name) for name in names if _ENV_NAME.match(name)}
    except GreenticError as exc:
        log.error("secrets of %s not injected: %s", environment_id, exc)
        return {}
    skipped = sorted(set(names) - set(values))
    if skipped:
        log.warning("secrets not injected (not environment variable names): %s", skipped)
    return values


def revision_environment(
    *,
    parent: Mapping[str, str],
    pass_environment: tuple[str, ...],
    config: Mapping[str, str],
    secrets: Mapping[str, str],
    revision: Mapping[str, str],
) -> dict[str, str]:
    """The whole environment of one revision process (the layers are in the docstring above)."""
    env = inherited(parent, pass_environment)
    env.update(config)
    env.update(secrets)
    env.update(revision)
    return env
