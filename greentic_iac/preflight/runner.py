"""Run a list of tool and probe requirements concurrently, each within the timeout.

The runner is the one entry point the CLI needs: it takes requirements (as env-pack
manifests declare them, placeholders already filled) and returns one outcome per
requirement, in order. Checks run in parallel threads, each bounded by ``run_bounded``;
a last guard reports anything still unfinished at ``timeout + 0.9 s`` as ``timeout``, so a
run is never slower than its timeout plus a second, however many checks it holds.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from greentic_iac.errors import InvalidInputError
from greentic_iac.preflight.outcome import CheckOutcome, CheckStatus
from greentic_iac.preflight.placeholders import has_placeholders
from greentic_iac.preflight.platforms import Platform, detect_platform
from greentic_iac.preflight.probes import PROBE_CATALOG, ProbeContext, probe_check_name
from greentic_iac.preflight.tools import check_tool, tool_check_name
from greentic_iac.preflight.validation import validate_requirement
from greentic_iac.spec.checks import ProbeRequirement, ToolRequirement

Requirement = ToolRequirement | ProbeRequirement

DEFAULT_TIMEOUT = 10.0
_GUARD = 0.9
_MAX_WORKERS = 16

log = logging.getLogger(__name__)


def check_name(requirement: Requirement) -> str:
    if isinstance(requirement, ToolRequirement):
        return tool_check_name(requirement.tool)
    return probe_check_name(requirement.probe)


def _run_one(requirement: Requirement, context: ProbeContext) -> CheckOutcome:
    if isinstance(requirement, ToolRequirement):
        return check_tool(
            requirement,
            timeout=context.timeout,
            env=context.env,
            search_path=context.search_path,
            platform=context.platform,
        )
    check = probe_check_name(requirement.probe)
    try:
        validate_requirement(requirement)
    except InvalidInputError as error:
        return CheckOutcome(
            check=check,
            status=CheckStatus.FAILED,
            detail=str(error),
            hint="fix the env-pack manifest",
        )
    if has_placeholders(requirement.params):
        return CheckOutcome(
            check=check,
            status=CheckStatus.FAILED,
            detail=f"params still hold placeholders: {requirement.params}",
            hint="fill them from the binding's settings (envpacks.preflight_for_settings) first",
        )
    return PROBE_CATALOG[requirement.probe].run(requirement, context)


def _guarded(requirement: Requirement, context: ProbeContext) -> CheckOutcome:
    try:
        return _run_one(requirement, context)
    except Exception as error:
        # A bug in one check must not hide the others' results.
        log.exception("preflight check %s crashed", check_name(requirement))
        return CheckOutcome(
            check=check_name(requirement),
            status=CheckStatus.FAILED,
            detail=f"internal error in the check: {type(error).__name__}: {error}",
            hint="please report this as a greentic-iac bug",
        )


def _skip_for_missing_cli(
    requirement: Requirement, context: ProbeContext, tools_checked: set[str]
) -> CheckOutcome | None:
    """Skip a probe whose CLI is missing when the same run reports that tool already."""
    if not isinstance(requirement, ProbeRequirement):
        return None
    spec = PROBE_CATALOG.get(requirement.probe)
    if spec is None or spec.cli is None or not spec.cli_required:
        return None
    try:
        validate_requirement(requirement)
    except InvalidInputError:
        return None  # a manifest bug is reported as such, not hidden behind the skip
    if has_placeholders(requirement.params):
        return None
    if spec.cli not in tools_checked or context.which(spec.cli) is not None:
        return None
    return CheckOutcome(
        check=probe_check_name(requirement.probe),
        status=CheckStatus.SKIPPED,
        detail=f"{spec.cli} not found; see {tool_check_name(spec.cli)}",
    )


def run_requirements(
    requirements: Sequence[Requirement],
    *,
    timeout: float = DEFAULT_TIMEOUT,
    env: Mapping[str, str] | None = None,
    path: str | None = None,
    platform: Platform | None = None,
) -> list[CheckOutcome]:
    """One ``CheckOutcome`` per requirement, in order; returns within ``timeout`` + 1 s.

    ``env`` is the environment tools and probes run with (default: this process's);
    ``path`` overrides only where executables are looked up (default: ``env["PATH"]``);
    ``platform`` picks which install hint comes first (default: detected). Identical
    requirements run once. Raises InvalidInputError only for a non-positive timeout.
    """
    if not timeout > 0:
        raise InvalidInputError(f"timeout: must be a positive number of seconds, got {timeout}")
    run_env = dict(os.environ if env is None else env)
    context = ProbeContext(
        timeout=timeout,
        env=run_env,
        search_path=path if path is not None else run_env.get("PATH", os.defpath),
        platform=platform or detect_platform(),
    )
    tools_checked = {r.tool for r in requirements if isinstance(r, ToolRequirement)}
    unique: dict[str, Requirement] = {}
    for requirement in requirements:
        unique.setdefault(requirement.canonical_json(), requirement)

    results: dict[str, CheckOutcome] = {}
    pending: dict[str, Future[CheckOutcome]] = {}
    deadline = time.monotonic() + timeout + _GUARD
    executor = ThreadPoolExecutor(
        max_workers=max(1, min(_MAX_WORKERS, len(unique))), thread_name_prefix="preflight"
    )
    try:
        for key, requirement in unique.items():
            skipped = _skip_for_missing_cli(requirement, context, tools_checked)
            if skipped is not None:
                results[key] = skipped
            else:
                pending[key] = executor.submit(_guarded, requirement, context)
        for key, future in pending.items():
            try:
                results[key] = future.result(timeout=max(deadline - time.monotonic(), 0.0))
            except FutureTimeout:
                results[key] = CheckOutcome(
                    check=check_name(unique[key]),
                    status=CheckStatus.TIMEOUT,
                    detail=f"did not finish within {timeout:g} s",
                    hint="retry with a longer --timeout, or check the tool by hand",
                )
    finally:
        executor.shutdown(wait=False, cancel_futures=True)
    return [results[requirement.canonical_json()] for requirement in requirements]
