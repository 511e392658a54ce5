"""Secret values behind the ``secrets`` verbs, chosen by the environment's secrets pack.

The local dev-store keeps values in ``$GREENTIC_HOME/secrets/<env>.json`` (directory 0700,
file 0600), outside ``environments/`` so no state file, backup or audit line ever holds a
value. Cloud packs hold references only; their values live in the cloud's own store.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from greentic_iac.cli.context import Context
from greentic_iac.errors import GreenticError, NotFoundError, StateCorruptError
from greentic_iac.spec import CapabilitySlot, EnvironmentState

DEV_STORE = "greentic.secrets.dev-store"


class SecretsBackend(Protocol):
    kind: str

    def put(self, name: str, value: str) -> bool: ...
    def get(self, name: str) -> str: ...
    def names(self) -> list[str]: ...


@dataclass
class DevStore:
    path: Path
    kind: str = DEV_STORE

    def _read(self) -> dict[str, str]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError):
            raise StateCorruptError(f"{self.path}: the dev secret store is unreadable") from None
        if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
            raise StateCorruptError(f"{self.path}: the dev secret store is not a name -> value map")
        return data

    def put(self, name: str, value: str) -> bool:
        data = self._read()
        created = name not in data
        data[name] = value
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=self.path.parent, prefix=".dev-store-")
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle, indent=2, sort_keys=True)
                handle.flush()
                os.fsync(handle.fileno())
            Path(temp).replace(self.path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        return created

    def get(self, name: str) -> str:
        data = self._read()
        if name not in data:
            raise NotFoundError(f"name: secret {name!r} is not set")
        return data[name]

    def names(self) -> list[str]:
        return sorted(self._read())


def backend_for(ctx: Context, state: EnvironmentState) -> SecretsBackend:
    binding = state.environment.pack_for_slot(CapabilitySlot.SECRETS)
    if binding is None:
        raise NotFoundError(
            f"environment {state.environment.environment_id} has no secrets pack bound "
            "(bind one with `env-packs add`)"
        )
    if binding.kind.path == DEV_STORE:
        environment_id = state.environment.environment_id
        return DevStore(ctx.greentic_home / "secrets" / f"{environment_id}.json")
    raise GreenticError(
        f"secrets through {binding.kind.path} are references only in this version: store the "
        "value in that backend directly and reference it by ARN/name in the pack settings"
    )
