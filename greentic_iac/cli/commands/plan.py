"""``plan``, ``export`` and ``stack init``: an environment's plan, as data, as files, as a stack.

``plan ENV`` shows what the deployer's compiler makes of the environment (the same compile
the Pulumi program runs); ``export`` writes that plan as files for teams that deploy
without greentic-iac: ``pulumi-python`` (a standalone Pulumi program, the core's own, for
every target whose ``engine`` is ``pulumi``) or a format the environment's target offers
(``Target.exports``: the Kubernetes target's ``k8s-yaml``); ``stack init`` writes the stack
config so a user with the Pulumi CLI runs ``pulumi up -s <env>``.

Exports write into a directory the user names, so they follow one rule (docs/plan.md): the
directory must be missing, empty, or an earlier export of the same environment and format
(recognised by its ``.greentic-export.json`` record). A fresh export is built in a sibling
temporary directory and renamed into place, so a failure leaves nothing behind; a refresh
rewrites our files one by one (temp file + rename), removes the ones the new plan no longer
has, and leaves files the user added alone.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from greentic_iac.cli.context import Context, Rendered
from greentic_iac.errors import InvalidInputError
from greentic_iac.files import umask_mode, write_bytes_atomic
from greentic_iac.plan.io import write_text_atomic

if TYPE_CHECKING:
    from greentic_iac.plan.model import Plan
    from greentic_iac.plan.target import Target
    from greentic_iac.spec.state import EnvironmentState

EXPORT_RECORD: Final = ".greentic-export.json"
# The core's export, for every target that deploys through Pulumi.
PULUMI_PYTHON: Final = "pulumi-python"


def compile_state(state: EnvironmentState) -> Plan:
    from greentic_iac.operations.planning import compile_environment

    return compile_environment(state)


# -- plan -----------------------------------------------------------------------------------


def plan(ctx: Context, _: None) -> dict[str, Any] | Rendered:
    from greentic_iac.plan.io import plan_summary, plan_to_json, write_plan

    compiled = compile_state(ctx.environment_state())
    if ctx.args.json:
        sys.stderr.write(
            "warning: plan --json is now plan --canonical (--output json is the envelope)\n"
        )
    canonical = bool(ctx.args.canonical or ctx.args.json)
    out: str | None = ctx.args.out
    if out is not None:
        path = Path(out)
        if path.is_dir():
            raise InvalidInputError(f"--out {out}: is a directory; name the plan file to write")
        write_plan(compiled, path)
        if not canonical:
            return {
                "path": str(path),
                "content_hash": compiled.content_hash(),
                "resources": len(compiled.resources),
            }
    if canonical:
        return Rendered(plan_to_json(compiled))
    return plan_summary(compiled)


# -- export ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportResult:
    """What ``export`` wrote: file names relative to ``out``, in write order."""

    environment_id: str
    format: str
    out: Path
    content_hash: str
    files: list[str]
    removed: list[str]
    refreshed: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "environment_id": self.environment_id,
            "format": self.format,
            "out": str(self.out),
            "content_hash": self.content_hash,
            "files": self.files,
            "removed": self.removed,
            "refreshed": self.refreshed,
        }


def pulumi_python_files(
    compiled: Plan, provider_config: dict[str, str] | None = None
) -> dict[str, str]:
    """``__main__.py`` plus the project, stack and requirements files of a runnable project."""
    from greentic_iac.pulumi.export import pulumi_python_project

    return pulumi_python_project(compiled, provider_config or {})


def _previous_export(out: Path, environment_id: str, format_: str) -> dict[str, Any] | None:
    """The record of an earlier export into ``out``; refuses a directory that isn't one."""
    if not out.exists():
        return None
    if not out.is_dir():
        raise InvalidInputError(f"--out {out}: exists and is not a directory")
    entries = list(out.iterdir())
    if not entries:
        return None
    record_path = out / EXPORT_RECORD
    record: Any = None
    if record_path.is_file():
        try:
            record = json.loads(record_path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            record = None
    if not isinstance(record, dict):
        raise InvalidInputError(
            f"--out {out}: directory is not empty and holds no earlier greentic-iac export; "
            "choose a new or empty directory"
        )
    if record.get("environment_id") != environment_id or record.get("format") != format_:
        raise InvalidInputError(
            f"--out {out}: holds an export of {record.get('environment_id')} as "
            f"{record.get('format')}, not {environment_id} as {format_}; choose another directory"
        )
    return record


def _record_text(compiled: Plan, format_: str, files: list[str]) -> str:
    record = {
        "environment_id": compiled.environment_id,
        "format": format_,
        "content_hash": compiled.content_hash(),
        "files": files,
    }
    return json.dumps(record, indent=2, sort_keys=True) + "\n"


def export_formats(target: Target) -> list[str]:
    """The formats ``export`` offers for an environment of ``target``, core's first."""
    core = [PULUMI_PYTHON] if target.engine == "pulumi" else []
    return [*core, *(name for name in sorted(target.exports) if name not in core)]


def _offered(target: Target) -> str:
    formats = export_formats(target)
    if not formats:
        return "it offers no export format"
    return f"use --format {' or '.join(formats)}"


def _not_offered(compiled: Plan, format_: str, target: Target) -> InvalidInputError:
    where = (
        f"--format {format_}: environment {compiled.environment_id} deploys with "
        f"{target.descriptor}"
    )
    if format_ == PULUMI_PYTHON and target.engine == "local":
        return InvalidInputError(
            f"{where}, which runs on this machine (`greentic-iac local up`), not through "
            f"Pulumi; {_offered(target)}"
        )
    return InvalidInputError(f"{where}, which does not offer it; {_offered(target)}")


def export_files(
    compiled: Plan, format_: str, target: Target, provider_config: dict[str, str]
) -> dict[str, bytes]:
    """The export's files (plain names -> bytes), before the disk is touched: everything
    that can refuse the export (a format the target doesn't offer, a plan the exporter
    refuses) raises ``InvalidInputError`` here."""
    exporter = target.exports.get(format_)
    if exporter is not None:
        files = exporter(compiled, provider_config)
    elif format_ == PULUMI_PYTHON and target.engine == "pulumi":
        texts = pulumi_python_files(compiled, provider_config)
        files = {name: text.encode("utf-8") for name, text in texts.items()}
    else:
        raise _not_offered(compiled, format_, target)
    for name in files:
        # A plug-in's exporter names files in DIR, never elsewhere, never our record.
        if Path(name).name != name or name in {"", ".", "..", EXPORT_RECORD}:
            raise InvalidInputError(
                f"--format {format_}: the exporter of {target.descriptor} names the file "
                f"{name!r}; an export writes plain file names into --out"
            )
    return files


def _write_export(
    compiled: Plan, format_: str, directory: Path, files: dict[str, bytes]
) -> list[str]:
    """Write the export's files into ``directory`` (which exists); return their names."""
    for name, content in files.items():
        write_bytes_atomic(directory / name, content)
    names = list(files)
    write_text_atomic(_record_text(compiled, format_, names), directory / EXPORT_RECORD)
    return names


def export_plan(
    compiled: Plan,
    format_: str,
    out: Path,
    provider_config: dict[str, str] | None = None,
    target: Target | None = None,
) -> ExportResult:
    """Export ``compiled`` as ``format_`` into ``out`` under the directory rule above.

    ``target`` defaults to the one the plan's descriptor resolves to. Raises
    ``InvalidInputError`` (nothing written) for a format the target doesn't offer, a plan
    the exporter refuses, or a directory that isn't ours.
    """
    from greentic_iac.targets import target_by_descriptor

    found = target if target is not None else target_by_descriptor(compiled.target)
    if found is None:
        raise InvalidInputError(
            f"--format {format_}: plan {compiled.environment_id} is for {compiled.target}, "
            "which no installed deployer pack serves"
        )
    files = export_files(compiled, format_, found, provider_config or {})
    previous = _previous_export(out, compiled.environment_id, format_)
    if previous is None:
        out.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
        try:
            staging.chmod(umask_mode(0o777))
            names = _write_export(compiled, format_, staging, files)
            if out.exists():
                out.rmdir()  # empty (checked above); rename needs it gone
            staging.rename(out)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        removed: list[str] = []
    else:
        names = _write_export(compiled, format_, out, files)
        old = previous.get("files")
        stale = [n for n in old if isinstance(n, str)] if isinstance(old, list) else []
        removed = []
        for name in sorted(set(stale) - set(names)):
            candidate = out / name
            # Only plain file names we wrote ourselves: a hand-edited record can't steer this.
            if Path(name).name == name and candidate.is_file():
                candidate.unlink()
                removed.append(name)
    return ExportResult(
        environment_id=compiled.environment_id,
        format=format_,
        out=out,
        content_hash=compiled.content_hash(),
        files=names,
        removed=removed,
        refreshed=previous is not None,
    )


def export(ctx: Context, _: None) -> dict[str, Any]:
    from greentic_iac.targets import target_for

    format_: str | None = ctx.args.format
    out: str | None = ctx.args.out
    if format_ is None:
        target = target_for(ctx.environment_state(), lambda: ctx.registry)
        offered = ", ".join(export_formats(target)) or "none: it offers no export format"
        raise InvalidInputError(f"--format: required, one of {offered}")
    if out is None:
        raise InvalidInputError("--out: required, the directory to write the export into")
    from greentic_iac.pulumi.stack_config import provider_config

    state = ctx.environment_state()
    target = target_for(state, lambda: ctx.registry)
    compiled = compile_state(state)
    return export_plan(compiled, format_, Path(out), provider_config(state), target).to_dict()


# -- stack init -----------------------------------------------------------------------------


def _secret_names(ctx: Context, state: EnvironmentState) -> list[str]:
    """The secrets the environment's packs declare, as ``greentic:<name>`` config keys."""
    names: list[str] = []
    for binding in state.environment.packs:
        manifest = ctx.registry.manifest(binding.kind.path)
        if manifest is None:
            continue
        names += [name if ":" in name else f"greentic:{name}" for name in manifest.secrets]
    return sorted(set(names))


def stack_init(ctx: Context, _: None) -> dict[str, Any]:
    from greentic_iac.pulumi.project import ensure_project
    from greentic_iac.pulumi.stack_config import (
        portable_home,
        portable_store,
        render_stack_config,
        stack_config_path,
    )

    state = ctx.environment_state()
    directory = Path(ctx.args.dir) if ctx.args.dir else Path.cwd()
    if not directory.is_dir():
        raise InvalidInputError(f"--dir {directory}: no such directory")
    # The stack file gets committed: only a home inside DIR (as a relative path) or a
    # remote store URL is written; anything else is left to GREENTIC_HOME / GREENTIC_STORE.
    home = portable_home(ctx.greentic_home, directory) if ctx.home is not None else None
    store = portable_store(ctx.store_url)
    text = render_stack_config(
        state, home=home, store=store, secret_names=_secret_names(ctx, state)
    )
    stack_file = directory / stack_config_path(state.environment.environment_id)
    replaced = stack_file.exists()
    written = ensure_project(directory)
    stack_file.parent.mkdir(exist_ok=True)
    write_text_atomic(text, stack_file)
    written.append(stack_config_path(state.environment.environment_id))
    return {
        "environment_id": state.environment.environment_id,
        "dir": str(directory),
        "stack_config": str(stack_file),
        "replaced": replaced,
        "written": written,
        "next": f"pulumi up -s {state.environment.environment_id}",
        "store": _store_note(home, store),
    }


def _store_note(home: str | None, store: str | None) -> str:
    """Where ``pulumi up`` will find the store, in words, for the result."""
    if store:
        return f"greentic:store {store}"
    if home:
        return f"greentic:home {home} (relative to --dir)"
    return "GREENTIC_STORE, else GREENTIC_HOME, else ~/.greentic on the machine running pulumi"
