"""The supervisor record: ``<env_dir>/runtime/supervisor.json`` (mode 0600).

It is how a later CLI call finds a running runtime (pid, router URL, control URL and its
bearer token) and, if the supervisor died, which process groups to clean up. The token is
a per-run random value guarding the control API on 127.0.0.1; it is not a state secret and
lives only as long as the run.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from greentic_iac.files import write_bytes_atomic


class ChildRecord(BaseModel):
    model_config = ConfigDict(extra="ignore")

    pid: int
    pgid: int
    start_ticks: int | None = None
    port: int | None = None


class SupervisorRecord(BaseModel):
    model_config = ConfigDict(extra="ignore")

    pid: int
    start_ticks: int | None = None
    environment_id: str
    status: str = Field(description="starting | running | stopping | failed")
    error: str | None = None
    error_kind: str | None = Field(default=None, description="conflict | invalid | other")
    router_url: str | None = None
    port: int | None = None
    control_url: str | None = None
    token: str | None = None
    started_at: float
    children: dict[str, ChildRecord] = Field(default_factory=dict)


def write_record(path: Path, record: SupervisorRecord) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = json.dumps(record.model_dump(mode="json"), indent=2, sort_keys=True).encode()
    write_bytes_atomic(path, data, mode=0o600)


def read_record(path: Path) -> SupervisorRecord | None:
    """The record, or None when there is none (or it is unreadable: treated as absent)."""
    try:
        data: Any = json.loads(path.read_bytes())
        return SupervisorRecord.model_validate(data)
    except (OSError, ValueError, ValidationError):
        return None
