"""The local dev-store: secret values in one 0600 file per environment, outside the state.

Values live in ``$GREENTIC_HOME/secrets/<env>.json`` (directory 0700, file 0600), outside
``environments/`` so no state file, backup or audit line ever holds a value.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from greentic_iac.errors import StateCorruptError
from greentic_iac.files import write_bytes_atomic
from greentic_iac.secrets.backend import PutOutcome
from greentic_iac.secrets.errors import SecretNotFoundError

DEV_STORE = "greentic.secrets.dev-store"


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

    def put(self, name: str, value: str) -> PutOutcome:
        data = self._read()
        created = name not in data
        data[name] = value
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        text = json.dumps(data, indent=2, sort_keys=True)
        write_bytes_atomic(self.path, text.encode("utf-8"), mode=0o600)
        return PutOutcome(created=created, reference=f"{self.path}#{name}")

    def get(self, name: str) -> str:
        data = self._read()
        if name not in data:
            raise SecretNotFoundError(f"name: secret {name!r} is not set")
        return data[name]

    def names(self) -> list[str]:
        return sorted(self._read())
