"""``up``, ``destroy``, ``drift`` and ``preview --engine pulumi``: the Pulumi engine behind
the preflight gate.

Each verb runs in the same order: load the environment; the grant gate (the same grant a
state mutation of the environment needs, audited allowed or denied; ``--skip-preflight``
never skips it); refuse a target whose ``Target.engine`` is not Pulumi (the local one's
``greentic:local:*`` resources are applied by ``local up``); run the preflight gate (the
environment's checks plus the pulumi CLI) unless ``--skip-preflight``, which is audited;
then the engine. ``up`` compiles the plan first (a plan with error findings never reaches
Pulumi) and records it as the applied baseline only after the engine succeeded;
``destroy`` removes the baseline.
``up`` and ``destroy`` are audited with their outcome, and the grant they ran under.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from greentic_iac.cli.context import Context, Rendered
from greentic_iac.errors import GreenticError, InvalidInputError
from greentic_iac.spec import EnvironmentState

if TYPE_CHECKING:
    from greentic_iac.plan.target import Target
    from greentic_iac.pulumi.engine import EngineResult, Operation

LOCAL_TOKEN_PREFIX = "greentic:local:"  # noqa: S105 (a type token prefix)
DRIFT_EXIT_CODE = 5


def refuse_local(state: EnvironmentState, verb: str) -> None:
    """A target the Pulumi engine doesn't apply (``Target.engine`` is not ``"pulumi"``) has
    no Pulumi stack: point at the engine that applies it, ``local up`` (exit 2)."""
    deployer = state.environment.deployer()
    if deployer is None:
        return
    from greentic_iac.targets import target_for

    engine = target_for(state).engine
    if engine == "pulumi":
        return
    environment_id = state.environment.environment_id
    applied_by = (
        f"its {LOCAL_TOKEN_PREFIX}* resources are not Pulumi resources"
        if engine == "local"
        else f"its engine is {engine!r}, not Pulumi"
    )
    raise InvalidInputError(
        f"environment_id: {environment_id} uses the {engine} target ({deployer.kind}); "
        f"{applied_by}, so `{verb}` does not apply to it: use "
        f"`greentic-iac local up {environment_id}` (and `local down`)"
    )


def grant_gate(ctx: Context, verb: str) -> EnvironmentState:
    """The environment, once its grant allows ``verb``: checked before any pulumi call,
    preflight included (preflight runs ``pulumi version``). Raises AuthorizationError."""
    state = ctx.environment_state()
    ctx.grant = ctx.store.require_grant(state.environment.environment_id, verb).grant
    return state


def preflight_gate(ctx: Context, state: EnvironmentState, verb: str) -> dict[str, Any] | None:
    """Run the gate, or record that it was skipped. Returns the report's counts when it ran.

    Raises PreflightError (exit 3) with every failing check and its hint before any
    Pulumi call.
    """
    environment_id = state.environment.environment_id
    require_engine_extras(state, verb)
    if getattr(ctx.args, "skip_preflight", False):
        ctx.store.record(environment_id, verb, {"skip_preflight": True}, grant=ctx.grant)
        return None
    from greentic_iac.cli.commands.packs import tool_check_report
    from greentic_iac.preflight import DEFAULT_TIMEOUT, gate
    from greentic_iac.preflight.engine import with_engine_checks

    requested = getattr(ctx.args, "timeout", None)
    timeout = DEFAULT_TIMEOUT if requested is None else requested
    gated = "preview --engine pulumi" if verb == "preview" else verb
    report = with_engine_checks(
        tool_check_report(ctx, state.environment, timeout, verb=gated), timeout=timeout
    )
    gate(report)
    return {"failed_checks": report.failed_checks, "total_checks": report.total_checks}


def _engine_target(state: EnvironmentState) -> Target | None:
    # The deployer's Target, for its plug-in SDK (sdk_modules, install_hint); None unbound.
    if state.environment.deployer() is None:
        return None
    from greentic_iac.targets import target_for

    return target_for(state)


def _sdk_modules(target: Target | None) -> dict[str, str]:
    return dict(target.sdk_modules) if target is not None else {}


def _plugin_hints(target: Target | None, modules: list[str]) -> dict[str, str]:
    """The plug-in's modules (not an extra of greentic-iac) -> its ``Target.install_hint``."""
    from greentic_iac.extras import extra_for_module

    if target is None or not target.sdk_modules:
        return {}
    hint = target.install_hint or f"install the deployer plug-in serving {target.descriptor}"
    families = set(target.sdk_modules.values())
    return {m: hint for m in modules if m in families and extra_for_module(m) is None}


def engine_modules(state: EnvironmentState) -> list[str]:
    """The SDK modules the Pulumi engine imports for this environment's plan."""
    from greentic_iac.extras import modules_for_tokens
    from greentic_iac.operations.planning import compile_environment

    tokens = sorted({resource.type for resource in compile_environment(state).resources})
    return modules_for_tokens(tokens, _sdk_modules(_engine_target(state)))


def require_engine_extras(state: EnvironmentState, verb: str) -> None:
    """Exit 2 naming the extra (``[pulumi]``, ``[aws]``, ``[k8s]``), or the plug-in's
    ``install_hint``, before any probe runs, when the SDKs the engine needs for this plan's
    resources are not installed."""
    from greentic_iac.extras import require_modules

    purpose = f"{verb} {state.environment.environment_id}"
    modules = engine_modules(state)
    hints = _plugin_hints(_engine_target(state), modules)
    require_modules(purpose, ["pulumi", *modules], install_hints=hints)


def extras(ctx: Context, _: None) -> dict[str, Any]:
    """``env extras ENV``: which greentic-iac extras ``up``/``preview --engine pulumi`` need
    for this environment (a CI job installs just those), and which are missing here. A
    plug-in's SDK is no extra: it is listed under ``plugin_install`` with its hint."""
    from greentic_iac.extras import extras_for_modules, is_installed

    state = ctx.environment_state()
    modules = engine_modules(state)
    hints = _plugin_hints(_engine_target(state), modules)
    needed = extras_for_modules([module for module in modules if module not in hints])
    result: dict[str, Any] = {
        "environment_id": state.environment.environment_id,
        "modules": modules,
        "extras": needed,
        "pip_extras": f"[{','.join(needed)}]" if needed else "",
        "missing": [module for module in modules if not is_installed(module)],
    }
    if hints:
        result["plugin_install"] = sorted(set(hints.values()))
    return result


def _target(ctx: Context, state: EnvironmentState) -> Any:
    from greentic_iac.pulumi.engine import stack_target

    return stack_target(state, ctx.greentic_home, store_url=ctx.store_url)


def _run(ctx: Context, state: EnvironmentState, operation: Operation) -> EngineResult:
    from greentic_iac.pulumi.engine import run_operation, stderr_progress

    return run_operation(_target(ctx, state), operation, stderr_progress, stream_output=ctx.debug)


def _compile(state: EnvironmentState) -> Any:
    from greentic_iac.operations.planning import compile_environment

    plan = compile_environment(state)
    local = sorted({r.type for r in plan.resources if r.type.startswith(LOCAL_TOKEN_PREFIX)})
    if local:
        raise InvalidInputError(
            f"environment_id: the plan of {state.environment.environment_id} holds "
            f"{', '.join(local)} resources, which only `greentic-iac local up` applies"
        )
    return plan


def _audited(ctx: Context, state: EnvironmentState, verb: str, run: Any) -> dict[str, Any]:
    """Run ``run()``; record its result (or its one-line error) in the audit log."""
    environment_id = state.environment.environment_id
    try:
        result: dict[str, Any] = run()
    except GreenticError as error:
        ctx.store.record(
            environment_id,
            verb,
            {"error": str(error).splitlines()[0]},
            outcome="error",
            grant=ctx.grant,
        )
        raise
    recorded = {"changes": result["changes"]}
    if verb == "up":
        # What `status` compares the state's generation with (the plan hash names the plan).
        recorded.update(generation=state.generation, plan_hash=result["baseline"]["content_hash"])
    ctx.store.record(environment_id, verb, recorded, grant=ctx.grant)
    return result


def _review_document(ctx: Context, state: EnvironmentState, plan: Any, verb: str) -> dict[str, Any]:
    """The offline preview of ``plan`` against the applied baseline, with the traffic
    policy re-checked as ``preview`` does (a refusal is exit 2 before anything runs)."""
    from greentic_iac.operations.baseline import applied_baseline
    from greentic_iac.preview import build_preview, first_refusal

    environment_id = state.environment.environment_id
    baseline = applied_baseline(ctx.greentic_home, environment_id)
    override = bool(getattr(ctx.args, "override_policy", False))
    document = build_preview(state, plan, baseline, override_policy=override)
    refusal = first_refusal(document)
    if refusal is not None:
        raise InvalidInputError(refusal.replace("preview refused", f"{verb} refused", 1))
    if document["policy"]["overridden"]:
        ctx.store.record(
            environment_id,
            verb,
            {
                "override_policy": True,
                "violations": document["policy"]["violations"],
                "plan_hash": document["plan_hash"],
            },
            grant=ctx.grant,
        )
    return document


def _check_reviewed_plan(ctx: Context, state: EnvironmentState, plan: Any) -> None:
    """``up --plan FILE``: the reviewed plan (a ``preview --format json`` document or a
    canonical plan) must be exactly the plan the state compiles to now, and a preview's
    generation the state's generation; otherwise the state moved since the review and the
    apply is a conflict (exit 4), as a stale saved plan is for ``terraform apply``."""
    import json
    from pathlib import Path

    from greentic_iac.errors import ConflictError

    path = Path(ctx.args.plan).expanduser()
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InvalidInputError(f"--plan {path}: file not found") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise InvalidInputError(f"--plan {path}: not a JSON plan or preview ({exc})") from None
    if not isinstance(document, dict):
        raise InvalidInputError(f"--plan {path}: not a JSON plan or preview")
    environment_id = state.environment.environment_id
    schema = document.get("schema_version")
    if schema == "greentic.preview.v1":
        reviewed_hash = document.get("plan_hash")
        generation = document.get("generation")
    elif schema == "greentic.plan.v1":
        from greentic_iac.plan.io import load_plan

        reviewed_hash = load_plan(path).content_hash()
        generation = None
    else:
        raise InvalidInputError(
            f"--plan {path}: schema_version {schema!r} is neither a preview "
            "(`preview --out plan.json`) nor a plan (`plan --out plan.json`)"
        )
    if document.get("environment_id") != environment_id:
        raise InvalidInputError(
            f"--plan {path}: the plan is for environment {document.get('environment_id')!r}, "
            f"not {environment_id!r}"
        )
    current = plan.content_hash()
    moved = isinstance(generation, int) and generation != state.generation
    if moved or reviewed_hash != current:
        made = f"generation {generation}" if isinstance(generation, int) else "another state"
        raise ConflictError(
            f"--plan {path}: the plan was made at {made} of {environment_id}, which is at "
            f"generation {state.generation} now (plan {current[:19]}…, reviewed "
            f"{str(reviewed_hash)[:19]}…); preview again and review the new plan"
        )


def up(ctx: Context, _: None) -> dict[str, Any]:
    return up_state(ctx, ctx.environment_state(), ask=True)


def up_state(ctx: Context, state: EnvironmentState, *, ask: bool = False) -> dict[str, Any]:
    """``up`` of a state already loaded (``revisions warm --apply`` applies through it; its
    ``--apply`` is the approval, so only ``up`` itself asks: ``ask``)."""
    from greentic_iac.cli.confirm import require_approval
    from greentic_iac.operations.baseline import baseline_path, save_baseline

    # The grant gate of `up` itself, before any pulumi call (warm --apply comes here too).
    ctx.grant = ctx.store.require_grant(state.environment.environment_id, "up").grant
    refuse_local(state, "up")
    plan = _compile(state)
    reviewed = getattr(ctx.args, "plan", None) is not None
    if reviewed:
        _check_reviewed_plan(ctx, state, plan)
    document = _review_document(ctx, state, plan, "up")
    preflight = preflight_gate(ctx, state, "up")
    environment_id = state.environment.environment_id
    if ask:
        require_approval(
            "up",
            environment_id,
            document,
            yes=bool(getattr(ctx.args, "yes", False)) or reviewed,
            json_output=getattr(ctx.args, "output", None) == "json",
            engine=lambda: _engine_review(ctx, state, "up"),
        )

    def run() -> dict[str, Any]:
        result: dict[str, Any] = _run(ctx, state, "up").to_dict()
        save_baseline(ctx.greentic_home, plan, state.generation)
        result["baseline"] = {
            "path": str(baseline_path(ctx.greentic_home, plan.environment_id)),
            "content_hash": plan.content_hash(),
        }
        return result

    result = _audited(ctx, state, "up", run)
    result["preflight"] = preflight
    return result


def _engine_review(ctx: Context, state: EnvironmentState, verb: str) -> dict[str, Any]:
    """Pulumi's preview of ``up`` (or ``destroy``) for its confirmation, through the
    Automation API path of ``preview --engine pulumi``, quiet but for one line on stderr.
    Raises GreenticError when the engine can't run (no pulumi CLI, a failing preview): the
    confirmation then falls back to the offline preview."""
    import shutil
    import sys

    from greentic_iac.pulumi.engine import EngineError, run_operation

    if shutil.which("pulumi") is None:
        raise EngineError("the pulumi CLI is not on PATH")
    environment_id = state.environment.environment_id
    sys.stderr.write(f"asking pulumi what `{verb} {environment_id}` would change...\n")
    sys.stderr.flush()
    operation: Operation = "preview-destroy" if verb == "destroy" else "preview"
    engine_result = run_operation(_target(ctx, state), operation, lambda _: None)
    return {
        "environment_id": environment_id,
        "verb": verb,
        "changes": engine_result.changes,
        "resources": list(engine_result.resources),
    }


def _destroy_document(ctx: Context, state: EnvironmentState) -> dict[str, Any]:
    """What ``destroy`` removes: the applied baseline's resources, as a preview to nothing."""
    from greentic_iac.operations.baseline import applied_baseline
    from greentic_iac.plan.model import Plan
    from greentic_iac.preview import build_preview

    environment_id = state.environment.environment_id
    baseline = applied_baseline(ctx.greentic_home, environment_id)
    applied = baseline.plan
    nothing = Plan(
        environment_id=environment_id,
        target=applied.target if applied is not None else _target_path(state),
    )
    return build_preview(state, nothing, baseline, override_policy=True)


def _target_path(state: EnvironmentState) -> str:
    deployer = state.environment.deployer()
    return str(deployer.kind.path) if deployer is not None else "unknown"


def destroy(ctx: Context, _: None) -> dict[str, Any]:
    from greentic_iac.cli.confirm import require_approval
    from greentic_iac.operations.baseline import baseline_path

    state = grant_gate(ctx, "destroy")
    refuse_local(state, "destroy")
    preflight = preflight_gate(ctx, state, "destroy")
    environment_id = state.environment.environment_id
    if not getattr(ctx.args, "yes", False):
        require_approval(
            "destroy",
            environment_id,
            _destroy_document(ctx, state),
            yes=False,
            json_output=getattr(ctx.args, "output", None) == "json",
            engine=lambda: _engine_review(ctx, state, "destroy"),
        )

    def run() -> dict[str, Any]:
        result: dict[str, Any] = _run(ctx, state, "destroy").to_dict()
        path = baseline_path(ctx.greentic_home, state.environment.environment_id)
        result["baseline_removed"] = path.is_file()
        path.unlink(missing_ok=True)
        return result

    result = _audited(ctx, state, "destroy", run)
    result["preflight"] = preflight
    return result


def drift(ctx: Context, _: None) -> dict[str, Any] | Rendered:
    """Refresh preview-only: nothing in the stack's state or the cloud changes."""
    state = grant_gate(ctx, "drift")
    refuse_local(state, "drift")
    preflight = preflight_gate(ctx, state, "drift")
    engine_result = _run(ctx, state, "drift")
    result: dict[str, Any] = engine_result.to_dict()
    result["drift"] = engine_result.has_changes
    result["preflight"] = preflight
    # The last drift result is part of the environment's status.
    ctx.store.record(
        state.environment.environment_id,
        "drift",
        {"drift": engine_result.has_changes, "changes": result.get("changes")},
        grant=ctx.grant,
    )
    if ctx.args.detailed_exitcode and engine_result.has_changes:
        return Rendered(exit_code=DRIFT_EXIT_CODE, result=result)
    return result


def _text_summary(result: dict[str, Any]) -> str:
    changes = result["changes"]
    parts = [f"{count} to {op}" for op, count in changes.items() if op != "same" and count]
    lines = [
        f"pulumi preview of {result['environment_id']}: "
        + (", ".join(parts) if parts else "no changes"),
    ]
    if changes.get("same"):
        lines.append(f"{changes['same']} unchanged")
    return "\n".join(lines)


def _markdown_summary(result: dict[str, Any]) -> str:
    rows = "\n".join(f"| {op} | {count} |" for op, count in result["changes"].items())
    return (
        f"### pulumi preview of `{result['environment_id']}`\n\n"
        f"| operation | resources |\n| --- | ---: |\n{rows}\n"
    )


def pulumi_preview(ctx: Context) -> dict[str, Any] | Rendered:
    """``preview ENV --engine pulumi`` (called by the ``preview`` handler).

    ``--format`` json (or unset) gives the JSON envelope; text and markdown give a short
    summary; html is the offline preview's format only. ``--detailed-exitcode`` exits 5
    when the engine reports changes.
    """
    output_format = getattr(ctx.args, "format", None)
    if output_format == "html":
        raise InvalidInputError(
            "--format: html is a format of the offline preview; use json, text or markdown "
            "with --engine pulumi"
        )
    state = grant_gate(ctx, "preview --engine pulumi")
    refuse_local(state, "preview --engine pulumi")
    _compile(state)
    preflight = preflight_gate(ctx, state, "preview")
    engine_result = _run(ctx, state, "preview")
    result: dict[str, Any] = engine_result.to_dict()
    result["preflight"] = preflight
    exit_code = (
        DRIFT_EXIT_CODE
        if getattr(ctx.args, "detailed_exitcode", False) and engine_result.has_changes
        else 0
    )
    if output_format == "text":
        return Rendered(_text_summary(result), exit_code)
    if output_format == "markdown":
        return Rendered(_markdown_summary(result), exit_code)
    return Rendered(exit_code=exit_code, result=result) if exit_code else result
