"""The local dev-store: secret values in one 0600 file per environment, outside the state.

Values live in ``$GREENTIC_HOME/secrets/<env>.json`` (directory 0700, file 0600), outside
``environments/`` so no state file, backup or audit line ever holds a value. ``rotate``
keeps the value it replaces in ``<env>.previous.json`` beside it (also 0600), one version
back; ``delete`` removes both at once (the dev-store has no recovery window).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from greentic_iac.errors import InvalidInputError, StateCorruptError
from greentic_iac.files import write_bytes_atomic
from greentic_iac.secrets.backend import DeleteOutcome, DeleteRequest, PutOutcome, RotateOutcome
from greentic_iac.secrets.errors import SecretNotFoundError

DEV_STORE = "greentic.secrets.dev-store"


@dataclass
class DevStore:
    path: Path
    kind: str = DEV_STORE

    @property
    def previous_path(self) -> Path:
        return self.path.with_name(f"{self.path.stem}.previous.json")

    def _read(self, path: Path | None = None) -> dict[str, str]:
        path = self.path if path is None else path
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError):
            raise StateCorruptError(f"{path}: the dev secret store is unreadable") from None
        if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
            raise StateCorruptError(f"{path}: the dev secret store is not a name -> value map")
        return data

    def _write(self, path: Path, data: dict[str, str]) -> None:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        text = json.dumps(data, indent=2, sort_keys=True)
        write_bytes_atomic(path, text.encode("utf-8"), mode=0o600)

    def put(self, name: str, value: str) -> PutOutcome:
        data = self._read()
        created = name not in data
        data[name] = value
        self._write(self.path, data)
        return PutOutcome(created=created, reference=f"{self.path}#{name}")

    def rotate(self, name: str, value: str) -> RotateOutcome:
        data = self._read()
        if name not in data:
            raise SecretNotFoundError(f"name: secret {name!r} is not set (use secrets put)")
        previous = self._read(self.previous_path)
        previous[name] = data[name]
        # The previous value is kept first: a crash between the two writes leaves the old
        # value current and kept, never the old value lost.
        self._write(self.previous_path, previous)
        data[name] = value
        self._write(self.path, data)
        return RotateOutcome(
            reference=f"{self.path}#{name}", previous=f"{self.previous_path}#{name}"
        )

    def delete(self, name: str, request: DeleteRequest) -> DeleteOutcome:
        if request.recovery_window_days is not None:
            raise InvalidInputError(
                "recovery_window_days: the dev-store has no recovery window (deletion is "
                "immediate); leave it out"
            )
        data = self._read()
        if name not in data:
            raise SecretNotFoundError(f"name: secret {name!r} is not set")
        previous = self._read(self.previous_path)
        if previous.pop(name, None) is not None:
            self._write(self.previous_path, previous)
        del data[name]
        self._write(self.path, data)
        return DeleteOutcome(reference=f"{self.path}#{name}")

    def get(self, name: str) -> str:
        data = self._read()
        if name not in data:
            raise SecretNotFoundError(f"name: secret {name!r} is not set")
        return data[name]

    def names(self) -> list[str]:
        return sorted(self._read())
