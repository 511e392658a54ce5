"""Read and write ``runtime-config.json`` (seed B0), validated both ways.

The router trusts this file to route live traffic, so it is checked when written and
again when read: the spec model's invariants (weights sum to 10000 bps, no duplicate
revision, one bundle per deployment), plus what only the runtime cares about: the file
belongs to this environment directory, only ready revisions carry weight, and every pack
ref that is a path stays inside the environment directory after resolving symlinks.
Writes are atomic (temp file, fsync, rename, fsync the directory) so the router's watcher
never sees half a file.
"""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import ValidationError

from greentic_iac.errors import InvalidInputError, NotFoundError, StateCorruptError
from greentic_iac.files import write_bytes_atomic
from greentic_iac.local.layout import RuntimeLayout
from greentic_iac.local.settings import local_runtime_settings
from greentic_iac.spec import RevisionLifecycle, RuntimeConfig, format_validation_error

# A pack ref with a scheme other than file:// is not a path (builtin://, oci://, https://).
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://")
_MAX_CONFIG_BYTES = 16 * 1024 * 1024


def runtime_config_problem(env_dir: Path, config: RuntimeConfig) -> str | None:
    """The first runtime-level problem with ``config`` (a field path and why), or None."""
    if env_dir.name != config.environment_id:
        return (
            f"environment_id: {config.environment_id!r} does not match the environment "
            f"directory {env_dir.name!r}"
        )
    try:
        local_runtime_settings(config.settings)
    except InvalidInputError as exc:
        return str(exc)
    root = env_dir.resolve()
    for d_index, deployment in enumerate(config.deployments):
        for r_index, revision in enumerate(deployment.revisions):
            where = f"deployments[{d_index}].revisions[{r_index}]"
            if revision.weight_bps > 0 and revision.lifecycle != RevisionLifecycle.READY:
                return (
                    f"{where}.weight_bps: revision {revision.revision_id} is "
                    f"{revision.lifecycle.value}; only ready revisions may carry weight"
                )
            if revision.command is not None and not revision.command:
                return f"{where}.command: must not be empty"
            for slot, pack_ref in sorted(revision.pack_refs.items()):
                if _SCHEME.match(pack_ref) and not pack_ref.startswith("file://"):
                    continue
                raw = pack_ref.removeprefix("file://")
                resolved = (root / raw).resolve()
                if not resolved.is_relative_to(root):
                    return (
                        f"{where}.pack_refs.{slot}: {pack_ref!r} resolves outside the "
                        "environment directory"
                    )
    return None


def _validated(env_dir: Path, config: RuntimeConfig, *, source: str) -> RuntimeConfig:
    try:
        # Re-validate: a caller may hold a model built with model_construct or mutated.
        checked = RuntimeConfig.model_validate(config.to_json_dict())
    except ValidationError as exc:
        raise InvalidInputError(f"{source}: {format_validation_error(exc)}") from None
    problem = runtime_config_problem(env_dir, checked)
    if problem:
        raise InvalidInputError(f"{source}: {problem}")
    return checked


def write_runtime_config(env_dir: Path, config: RuntimeConfig) -> Path:
    """Validate ``config`` and write it atomically to ``<env_dir>/runtime-config.json``.

    Raises InvalidInputError (nothing is written) when the config is invalid.
    """
    path = RuntimeLayout(env_dir).runtime_config
    checked = _validated(env_dir, config, source=str(path))
    env_dir.mkdir(parents=True, exist_ok=True)
    data = (checked.model_dump_json(indent=2) + "\n").encode()
    return write_bytes_atomic(path, data, mode=0o600, sync_directory=True)


def parse_runtime_config(env_dir: Path, data: bytes) -> RuntimeConfig:
    """Parse and validate the bytes of a runtime config read from ``env_dir``."""
    path = RuntimeLayout(env_dir).runtime_config
    try:
        config = RuntimeConfig.model_validate_json(data)
    except ValidationError as exc:
        raise StateCorruptError(f"{path}: {format_validation_error(exc)}") from None
    problem = runtime_config_problem(env_dir, config)
    if problem:
        raise StateCorruptError(f"{path}: {problem}")
    return config


def read_runtime_config(env_dir: Path) -> RuntimeConfig:
    """Read and validate ``<env_dir>/runtime-config.json``.

    Raises NotFoundError when it does not exist, StateCorruptError when it is invalid.
    """
    path = RuntimeLayout(env_dir).runtime_config
    try:
        with path.open("rb") as handle:
            data = handle.read(_MAX_CONFIG_BYTES + 1)
    except FileNotFoundError:
        raise NotFoundError(
            f"{path}: no runtime config; run `greentic-iac local up` to materialise it"
        ) from None
    if len(data) > _MAX_CONFIG_BYTES:
        raise StateCorruptError(f"{path}: larger than {_MAX_CONFIG_BYTES} bytes")
    return parse_runtime_config(env_dir, data)
