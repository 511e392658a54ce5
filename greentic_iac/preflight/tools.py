"""Tool checks: is the binary on PATH, does it run, is it at least the version asked for.

Presence alone is not enough (the seed's lesson): a binary that exits non-zero, prints
something we cannot read, or hangs on ``--version`` fails here rather than halfway
through an apply.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping

from greentic_iac.preflight.catalog import KNOWN_TOOLS, TOOL_CATALOG, ToolSpec
from greentic_iac.preflight.outcome import CheckOutcome, CheckStatus
from greentic_iac.preflight.platforms import Platform
from greentic_iac.preflight.process import run_bounded, truncate
from greentic_iac.preflight.versions import Release, parse_min_version, release_of
from greentic_iac.spec.checks import ToolRequirement


def tool_check_name(tool: str) -> str:
    return f"tool:{tool}"


def install_hint(tool: str, platform: Platform, purpose: str | None = None) -> str:
    spec = TOOL_CATALOG[tool]
    needed = f" (needed for {purpose})" if purpose else ""
    return f"install {tool}{needed}: {spec.hints.render(platform)}"


def find_executable(spec: ToolSpec, search_path: str | None) -> str | None:
    for name in spec.executables:
        found = shutil.which(name, path=search_path)
        if found is not None:
            return found
    return None


def check_tool(
    requirement: ToolRequirement,
    *,
    timeout: float,
    env: Mapping[str, str],
    search_path: str | None,
    platform: Platform,
) -> CheckOutcome:
    """One ``tool:<name>`` outcome; never raises for anything the tool does."""
    check = tool_check_name(requirement.tool)
    required = f">= {requirement.min_version}" if requirement.min_version else "present"
    spec = TOOL_CATALOG.get(requirement.tool)
    if spec is None:
        return CheckOutcome(
            check=check,
            status=CheckStatus.FAILED,
            required=required,
            detail=f"unknown tool {requirement.tool!r}; known: {', '.join(sorted(KNOWN_TOOLS))}",
            hint="fix the env-pack manifest",
        )
    hint = install_hint(spec.name, platform, requirement.purpose)
    try:
        minimum = parse_min_version(requirement.min_version) if requirement.min_version else None
    except ValueError as error:
        return CheckOutcome(
            check=check,
            status=CheckStatus.FAILED,
            required=required,
            detail=str(error),
            hint="fix the env-pack manifest",
        )

    executable = find_executable(spec, search_path)
    if executable is None:
        return CheckOutcome(
            check=check,
            status=CheckStatus.FAILED,
            required=required,
            hint=hint,
            detail=f"{' or '.join(spec.executables)} not found on PATH",
        )

    return _version_outcome(
        spec,
        executable,
        minimum,
        check=check,
        required=required,
        hint=hint,
        timeout=timeout,
        env=env,
        platform=platform,
    )


def _version_outcome(
    spec: ToolSpec,
    executable: str,
    minimum: Release | None,
    *,
    check: str,
    required: str,
    hint: str,
    timeout: float,
    env: Mapping[str, str],
    platform: Platform,
) -> CheckOutcome:
    """Run the tool's version command and judge what it printed."""
    result = run_bounded(
        [executable, *spec.version_args], timeout=timeout, env={**env, **spec.quiet_env}
    )
    command = " ".join([spec.executables[0], *spec.version_args])
    if result.start_error is not None:
        return CheckOutcome(
            check=check,
            status=CheckStatus.FAILED,
            required=required,
            hint=hint,
            detail=f"{executable} could not run: {result.start_error}",
        )
    if result.timed_out:
        return CheckOutcome(
            check=check,
            status=CheckStatus.TIMEOUT,
            required=required,
            hint=hint,
            detail=f"`{command}` did not finish within {timeout:g} s and was killed; "
            f"printed: {truncate(result.combined) or '(nothing)'}",
        )
    if result.returncode != 0:
        return CheckOutcome(
            check=check,
            status=CheckStatus.FAILED,
            required=required,
            hint=hint,
            detail=f"`{command}` exited {result.returncode}: "
            f"{truncate(result.combined) or '(no output)'}",
        )
    version = spec.parser.parse(result.stdout, result.stderr)
    found_release = release_of(version) if version is not None else None
    if version is None or found_release is None:
        return CheckOutcome(
            check=check,
            status=CheckStatus.FAILED,
            required=required,
            hint=hint,
            detail=f"could not read a version from `{command}` ({executable}): "
            f"{truncate(result.combined) or '(no output)'}",
        )
    if minimum is not None and found_release < minimum:
        detail = f"{executable} is {version}, older than {minimum}"
        if found_release.major < minimum.major:
            detail = (
                f"{executable} is {spec.name} v{found_release.major} ({version}); "
                f"the pack needs v{minimum.major} (>= {minimum})"
            )
            if spec.major_upgrade_note:
                detail += f": {spec.major_upgrade_note}"
        return CheckOutcome(
            check=check,
            status=CheckStatus.FAILED,
            found=version,
            required=required,
            hint=f"upgrade {spec.name} to >= {minimum}: {spec.hints.render(platform)}",
            detail=detail,
        )
    return CheckOutcome(
        check=check, status=CheckStatus.OK, found=version, required=required, detail=executable
    )
