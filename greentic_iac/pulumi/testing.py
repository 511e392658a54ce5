"""The conformance kit: run a Pulumi program in-process under capturing mocks.

Every target's golden-plan tests call ``assert_registered_matches_plan(plan)``: it runs the
real SDK with ``pulumi.runtime.set_mocks``, records what each resource registered (type,
name, wire inputs, parent, dependencies, options) and compares it with the plan. The mocks
refuse type tokens outside ``greentic_iac.plan.type_tokens.SUPPORTED_TYPES`` (and the
emitter's own ``greentic:index:Deployment`` component, and the plan's tokens under its
target's plug-in prefixes, ``Target.sdk_modules``) and every run starts from a fresh
root stack, so runs don't leak into each other. Each registration keeps its URN and its
aliases resolved to URNs the way the engine resolves alias specs, so a test can check that
an old stack's URNs are reached through the aliases. No Pulumi CLI, no
network. The bench uses the same runner (``run_under_mocks``) to time emission.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

from greentic_iac.plan.model import Plan, PlanResource
from greentic_iac.plan.type_tokens import SUPPORTED_TYPES, plugin_sdk_class
from greentic_iac.plan.wire import expected_wire_inputs, lookup_path, output_path, snake_to_camel
from greentic_iac.pulumi.deployments import (
    COMPONENT_TYPE,
    DEPLOYMENTS_OUTPUT,
    component_name,
    deployment_outputs,
    grouped_roots,
)

MOCK_PROJECT = "greentic-iac"
STACK_TYPE = "pulumi:pulumi:Stack"


def mock_output_value(resource: str, output: str) -> str:
    """The deterministic value the mocks give an output the inputs don't already carry."""
    if output == "id":
        return f"{resource}-id"
    return f"mock://{resource}/{output}"


@dataclass
class Registration:
    """What one resource registered with the (mock) engine."""

    type: str
    name: str
    inputs: dict[str, Any]
    state: dict[str, Any]
    parent: str | None
    dependencies: list[str]
    protect: bool
    delete_before_replace: bool
    ignore_changes: list[str]
    additional_secret_outputs: list[str]
    urn: str = ""
    # The aliases, each resolved to the URN it names.
    aliases: list[str] = field(default_factory=list)


@dataclass
class Capture:
    """Everything a mocked run registered, by logical name, plus the stack outputs; the
    emitter's deployment components are kept apart from the plan's resources."""

    registrations: dict[str, Registration] = field(default_factory=dict)
    stack_outputs: dict[str, Any] = field(default_factory=dict)
    components: dict[str, Registration] = field(default_factory=dict)

    def urns(self) -> dict[str, str]:
        """``{logical name: URN}`` of the plan's resources."""
        return {name: registered.urn for name, registered in self.registrations.items()}

    def output_of(self, resource: str, output: str) -> Any:
        """The value the mocks produced for ``resource``'s ``output`` (wire names, dotted);
        a placeholder naming the ref when the resource or output was never registered, so a
        comparison reports a difference instead of crashing."""
        registered = self.registrations.get(resource)
        try:
            return lookup_path(registered.state if registered else {}, output_path(output))
        except (KeyError, TypeError):
            return f"<unresolved ref {resource}.{output}>"


def _name_of(urn: str) -> str:
    return urn.rsplit("::", 1)[-1]


def _qualified_type(urn: str) -> str:
    """The type chain of ``urn`` (``parent$child``)."""
    return urn.split("::")[2]


def engine_urn(stack: str, project: str, parent: str, type_: str, name: str) -> str:
    """A URN as the Pulumi engine forms it: ``parent``'s type chain ``$`` the type, with no
    chain for a child of the root stack (or of no parent)."""
    if parent and _qualified_type(parent) != STACK_TYPE:
        type_ = f"{_qualified_type(parent)}${type_}"
    return f"urn:pulumi:{stack}::{project}::{type_}::{name}"


def alias_urns(request: Any, stack: str, project: str) -> list[str]:
    """The URNs ``request``'s aliases name, resolved as the engine resolves alias specs:
    a field left empty is the resource's own (name, type, stack, project, parent)."""
    urns: list[str] = []
    for alias in request.aliases:
        if alias.WhichOneof("alias") == "urn":
            urns.append(alias.urn)
            continue
        spec = alias.spec
        parent = "" if spec.noParent else spec.parentUrn or request.parent
        urns.append(
            engine_urn(
                spec.stack or stack,
                spec.project or project,
                parent,
                spec.type or request.type,
                spec.name or request.name,
            )
        )
    return urns


def _make_mocks_and_monitor(
    outputs_wanted: dict[str, set[str]], capture: Capture, accepted_types: Collection[str]
) -> Any:
    from pulumi.runtime import mocks as pulumi_mocks
    from pulumi.runtime import rpc

    lock = threading.Lock()

    class CapturingMocks(pulumi_mocks.Mocks):
        def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str, dict[str, Any]]:
            known = args.typ in SUPPORTED_TYPES or args.typ in accepted_types
            if not known and args.typ != COMPONENT_TYPE:
                raise TypeError(f"mock engine: unsupported resource type {args.typ!r}")
            state = dict(args.inputs)
            for output in outputs_wanted.get(args.name, ()):
                state.setdefault(output, mock_output_value(args.name, output))
            return f"{args.name}-id", state

        def call(self, args: pulumi_mocks.MockCallArgs) -> tuple[dict[str, Any], None]:
            raise TypeError(f"mock engine: unexpected provider call {args.token!r}")

    class CapturingMonitor(pulumi_mocks.MockMonitor):
        def make_urn(self, parent: str, type_: str, name: str) -> str:
            # The engine's URN (the SDK mock keeps only the parent's last type and the
            # stack's): the parent's whole type chain, none for a child of the stack.
            from pulumi.runtime.settings import get_project, get_stack

            return engine_urn(get_stack(), get_project(), parent, type_, name)

        def RegisterResource(self, request: Any) -> Any:
            response = super().RegisterResource(request)  # type: ignore[no-untyped-call]
            if request.type == STACK_TYPE:
                return response
            registered = self.resources[response.urn]
            inputs = rpc.deserialize_properties(request.object)
            parent = _name_of(request.parent) if request.parent else None
            from pulumi.runtime.settings import get_project, get_stack

            target = capture.components if request.type == COMPONENT_TYPE else capture.registrations
            with lock:
                target[request.name] = Registration(
                    type=request.type,
                    name=request.name,
                    inputs=inputs,
                    state=dict(registered.state),
                    parent=None if request.parent.split("::")[-2:-1] == [STACK_TYPE] else parent,
                    dependencies=sorted({_name_of(urn) for urn in request.dependencies}),
                    protect=bool(request.protect),
                    delete_before_replace=bool(request.deleteBeforeReplace),
                    ignore_changes=list(request.ignoreChanges),
                    additional_secret_outputs=list(request.additionalSecretOutputs),
                    urn=response.urn,
                    aliases=alias_urns(request, get_stack(), get_project()),
                )
            return response

        def RegisterResourceOutputs(self, request: Any) -> Any:
            if request.urn.split("::")[-2] == STACK_TYPE:
                outputs = rpc.deserialize_properties(request.outputs)
                with lock:
                    capture.stack_outputs.update(outputs)
            return super().RegisterResourceOutputs(request)  # type: ignore[no-untyped-call]

    mocks = CapturingMocks()
    return mocks, CapturingMonitor(mocks)


def _ensure_event_loop() -> None:
    """Pulumi's sync helpers use the thread's current loop; ``asyncio.run`` elsewhere in the
    same process (aiohttp tests, probes) leaves none set, so give the thread a fresh one."""
    import asyncio

    try:
        loop = asyncio.get_event_loop_policy().get_event_loop()
    except RuntimeError:
        loop = None
    if loop is None or loop.is_closed():
        asyncio.set_event_loop(asyncio.new_event_loop())


def run_under_mocks(
    program: Callable[[], Any],
    *,
    stack: str = "test",
    outputs_wanted: dict[str, set[str]] | None = None,
    accepted_types: Collection[str] = (),
) -> Capture:
    """Run ``program`` (a function that creates resources) under fresh capturing mocks.

    ``outputs_wanted`` names, per logical name, the outputs the mocks must produce when the
    inputs don't carry them (``arn``, ``dnsName``); ``id`` is always produced.
    ``accepted_types`` are tokens beyond the built-in table the mocks take (a plug-in's).
    Exceptions from the program or from the mock engine (an unsupported type) propagate.
    """
    from pulumi.runtime import mocks as pulumi_mocks
    from pulumi.runtime import settings
    from pulumi.runtime.stack import run_in_stack
    from pulumi.runtime.sync_await import _sync_await

    _ensure_event_loop()
    capture = Capture()
    mocks, monitor = _make_mocks_and_monitor(outputs_wanted or {}, capture, accepted_types)
    # A fresh root stack per run: set_mocks only creates one when none is set.
    settings.ROOT.set(None)
    settings.SETTINGS.rpc_manager.clear()
    settings.SETTINGS.outputs.clear()
    pulumi_mocks.set_mocks(mocks, project=MOCK_PROJECT, stack=stack, preview=False, monitor=monitor)
    settings.ROOT.set(None)
    _sync_await(run_in_stack(program))
    settings.ROOT.set(None)
    return capture


def wanted_outputs(plan: Plan) -> dict[str, set[str]]:
    """Per resource, the wire-name outputs the plan's refs read (first segment of a dotted
    output), so the mocks produce them."""
    from greentic_iac.plan.model import iter_refs

    wanted: dict[str, set[str]] = {}
    sources = [r.properties for r in plan.resources] + [plan.outputs]
    for source in sources:
        for resource, output in iter_refs(source):
            wanted.setdefault(resource, set()).add(snake_to_camel(output.split(".")[0]))
    return wanted


def plugin_types(plan: Plan) -> set[str]:
    """The plan's tokens that its target's plug-in prefixes (``Target.sdk_modules``) cover."""
    from greentic_iac.pulumi.sdk import sdk_modules_for

    sdk_modules = sdk_modules_for(plan)
    return {r.type for r in plan.resources if plugin_sdk_class(r.type, sdk_modules) is not None}


def emit_under_mocks(plan: Plan, *, stack: str | None = None) -> Capture:
    """Run the emitter on ``plan`` under the capturing mocks."""
    from greentic_iac.pulumi.emitter import emit

    return run_under_mocks(
        lambda: emit(plan),
        stack=stack or plan.environment_id,
        outputs_wanted=wanted_outputs(plan),
        accepted_types=plugin_types(plan),
    )


def run_source_under_mocks(source: str, plan: Plan) -> Capture:
    """Execute an exported program's source under the capturing mocks."""
    code = compile(source, "<exported __main__.py>", "exec")

    def program() -> None:
        exec(code, {"__name__": "__main__"})  # noqa: S102 (our own rendered program)

    return run_under_mocks(
        program,
        stack=plan.environment_id,
        outputs_wanted=wanted_outputs(plan),
        accepted_types=plugin_types(plan),
    )


def _resource_differences(
    resource: PlanResource, got: Registration, expected_parent: str | None, capture: Capture
) -> list[str]:
    problems: list[str] = []
    where = f"{resource.name} ({resource.type})"
    if got.type != resource.type:
        problems.append(f"{where}: registered as type {got.type}")
    expected_inputs = expected_wire_inputs(resource, capture.output_of)
    if got.inputs != expected_inputs:
        problems.append(
            f"{where}: inputs differ:\n  plan:       {expected_inputs}\n  registered: {got.inputs}"
        )
    if got.parent != expected_parent:
        problems.append(f"{where}: parent {got.parent!r}, expected {expected_parent!r}")
    expected_deps = sorted(resource.references() | set(resource.depends_on))
    if got.dependencies != expected_deps:
        problems.append(f"{where}: dependencies {got.dependencies}, plan {expected_deps}")
    options = resource.options
    if got.protect != options.protect:
        problems.append(f"{where}: protect {got.protect}, plan {options.protect}")
    if got.delete_before_replace != options.delete_before_replace:
        problems.append(f"{where}: delete_before_replace differs from the plan")
    if sorted(got.ignore_changes) != sorted(options.ignore_changes):
        problems.append(f"{where}: ignore_changes {got.ignore_changes} differ from the plan")
    missing_secret = set(options.additional_secret_outputs) - set(got.additional_secret_outputs)
    if missing_secret:
        problems.append(f"{where}: additional_secret_outputs lack {sorted(missing_secret)}")
    return problems


def is_grouped(capture: Capture) -> bool:
    """Whether the run grouped deployments (the emitter does; an exported program may not)."""
    return bool(capture.components) or DEPLOYMENTS_OUTPUT in capture.stack_outputs


def differences(plan: Plan, capture: Capture) -> list[str]:
    """Human-readable differences between the plan and what was registered (empty if equal).

    A grouped run (``is_grouped``) must be grouped all the way: every component the plan
    implies and no other, each grouped resource under its own, the ``deployments`` output.
    """
    from greentic_iac.plan.wire import map_refs

    problems: list[str] = []
    grouped = grouped_roots(plan) if is_grouped(capture) else {}
    expected_components = sorted({component_name(d) for d in grouped.values()})
    if sorted(capture.components) != expected_components:
        problems.append(
            f"deployment components {sorted(capture.components)}, expected {expected_components}"
        )
    expected_names = {r.name for r in plan.resources}
    extra = sorted(set(capture.registrations) - expected_names)
    if extra:
        problems.append(f"registered but not in the plan: {extra}")
    for resource in plan.resources:
        got = capture.registrations.get(resource.name)
        if got is None:
            problems.append(f"{resource.name}: not registered")
            continue
        deployment = grouped.get(resource.name)
        expected_parent = component_name(deployment) if deployment else resource.parent
        problems += _resource_differences(resource, got, expected_parent, capture)
    expected_outputs = map_refs(plan.outputs, capture.output_of)
    if is_grouped(capture):
        expected_outputs[DEPLOYMENTS_OUTPUT] = map_refs(deployment_outputs(plan), capture.output_of)
    if capture.stack_outputs != expected_outputs:
        problems.append(
            f"stack outputs differ: plan {expected_outputs}, registered {capture.stack_outputs}"
        )
    return problems


def assert_registered_matches_plan(plan: Plan, capture: Capture | None = None) -> Capture:
    """Emit ``plan`` under the capturing mocks (unless ``capture`` is given) and assert that
    the registered resources equal the plan: types, names, wire inputs with refs resolved,
    parents, dependencies, options and stack outputs. Returns the capture for more checks.
    """
    capture = capture if capture is not None else emit_under_mocks(plan)
    problems = differences(plan, capture)
    if problems:
        raise AssertionError(
            f"registered resources differ from the plan ({len(problems)} problem(s)):\n"
            + "\n".join(problems)
        )
    return capture
