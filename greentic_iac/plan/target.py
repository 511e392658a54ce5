"""The target protocol: everything a deployer plug-in offers the core, as plain data.

A deployer env-pack's manifest names its ``Target`` by import path (``target:
"package.module:TARGET"``). The core (``cli``, ``preview``, ``operations``, ``program``)
reaches a target only through this object, so adding a cloud is publishing a pack: the
built-in targets (local, AWS ECS, Kubernetes, example) are found the same way a plug-in is.

Only ``descriptor`` and ``compile`` are required. Every other member is optional: ``None``
(or an empty mapping) means "this deployer offers no X", and the verb that needs it says so
with exit 2. Members are plain callables and data, with no Pulumi or cloud SDK import, so a
target is loaded (and its limits checked at preview) without any engine installed.

Every hook and factory takes the environment state and a ``TargetContext`` (where the CLI
keeps its files, the time bound of one check, a progress printer and the verb's flags).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from greentic_iac.plan.model import Compiler, Finding, Plan
from greentic_iac.spec.allocations import AllocationContext
from greentic_iac.spec.state import EnvironmentState

# -- what every hook and factory is given ----------------------------------------------


def _no_progress(message: str) -> None:
    del message


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class TargetContext:
    """The caller's side of a call into a target.

    ``options`` carries the verb's flags by their argparse names (``role_name``,
    ``kubeconfig``, ``allow_unverified``, ...), so a target reads the ones it declares;
    ``rollout run`` adds ``prometheus_url`` (the rollout definition's) for a metric source.
    ``now`` is the wall clock a metric source reads for its windows (the rollout runner's
    own, so windows line up with its decisions and a test injects one clock for both).
    """

    greentic_home: Path
    timeout: float = 10.0
    progress: Callable[[str], None] = _no_progress
    options: Mapping[str, Any] = field(default_factory=dict)
    now: Callable[[], datetime] = _utc_now


# -- limits ---------------------------------------------------------------------------


class LimitCheck(Protocol):
    """The target's own checks on a plan: what it cannot realise (too many weighted
    target groups, a rule priority out of range, a Namespace deleted while in use).

    ``baseline`` is the applied plan when there is one (checks that need the change, not
    just the result). Error findings block preview and every verb that changes a split;
    they can't be overridden. Warning findings are listed among the preview's warnings.
    """

    def __call__(self, plan: Plan, baseline: Plan | None) -> list[Finding]: ...


# -- replacements -------------------------------------------------------------------


@dataclass(frozen=True)
class ReplaceRule:
    """Property paths (wire names, dot-separated) whose change makes the provider replace a
    resource of one type token instead of updating it in place (the offline preview's
    ``replace`` action). ``all_except``: the resource is immutable, every top-level
    property outside this set replaces it."""

    paths: tuple[str, ...] = ()
    all_except: frozenset[str] | None = None


# -- credentials ----------------------------------------------------------------------


@dataclass(frozen=True)
class PolicyDocument:
    """A least-privilege document for the deployer identity, printed verbatim.

    ``media_type`` says what it is (``application/json`` for an IAM policy,
    ``application/yaml`` for RBAC, ``text/plain`` for a role list).
    """

    text: str
    media_type: str
    file_name: str = "policy"


@dataclass(frozen=True)
class CredentialsReport:
    """``credentials validate``'s answer: ``result`` is the JSON envelope's body (it names
    the target), ``lines`` the text for a terminal; ``ok`` False exits 3 (preflight)."""

    ok: bool
    result: Mapping[str, Any]
    lines: list[str]


@dataclass(frozen=True)
class PackDocument:
    """One file of a rules pack: ``from_plan`` documents are re-derived from the plan by
    ``credentials validate --rules-pack`` and must match byte for byte."""

    name: str
    content: bytes
    purpose: str
    from_plan: bool = True


@dataclass(frozen=True)
class BootstrapResult:
    """What ``credentials bootstrap`` made: ``changes`` (human lines, empty when nothing
    changed), ``identity`` (recorded in the rules pack's manifest; no secret), the pack's
    documents, ``result`` (the verb's JSON fields after ``target`` and ``environment_id``;
    audited), ``private`` fields shown in the result but kept out of the audit log (a
    kubeconfig path) and ``notes`` (extra lines for a terminal)."""

    changes: list[str]
    identity: Mapping[str, Any]
    documents: list[PackDocument]
    result: Mapping[str, Any] = field(default_factory=dict)
    private: Mapping[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


class Credentials(Protocol):
    """Least privilege for the deployer, derived from the environment's plan."""

    def policy(self, plan: Plan, state: EnvironmentState) -> PolicyDocument: ...

    def validate(
        self, plan: Plan, state: EnvironmentState, context: TargetContext
    ) -> CredentialsReport: ...


class Bootstrap(Protocol):
    """Optional: create or converge the deployer identity with exactly the policy.

    ``flags`` are the ``credentials bootstrap`` options this target reads (argparse names);
    the CLI refuses the others, naming the flag. ``check_inputs`` judges those flags'
    values (``InvalidInputError`` naming the flag) before the grant, the preflight and any
    cloud call, so bad input exits 2 and touches nothing. ``pack_documents`` is what the
    rules pack holds for the current plan (at least its ``from_plan`` documents), and
    ``check_live`` compares the live identity the pack records with it (a list of
    problems, empty when it matches; reaching the cloud, bounded by the context).

    The CLI passes ``context.options["rules_pack"]`` (the pack directory, absolute) and
    ``context.options["provider_config"]`` (the stack's provider settings) besides the flags.
    """

    flags: frozenset[str]

    def check_inputs(self, state: EnvironmentState, context: TargetContext) -> None: ...

    def pack_documents(self, plan: Plan, state: EnvironmentState) -> list[PackDocument]: ...

    def bootstrap(
        self, plan: Plan, state: EnvironmentState, context: TargetContext
    ) -> BootstrapResult: ...

    def check_live(
        self,
        plan: Plan,
        state: EnvironmentState,
        identity: Mapping[str, Any],
        context: TargetContext,
    ) -> list[str]: ...


# -- export ---------------------------------------------------------------------------


class Exporter(Protocol):
    """One export format: the files (relative name -> bytes) for ``plan``.

    ``provider_config`` is the target's provider settings (``aws:region``, ...).
    """

    def __call__(self, plan: Plan, provider_config: Mapping[str, str]) -> dict[str, bytes]: ...


# -- hooks after a state change -------------------------------------------------------


class LifecycleHooks(Protocol):
    """What a target does at once when the store's state changes (the local target pushes
    the new runtime config to its running supervisor). A cloud target takes a change at
    the next ``up`` and offers none. Each returns a JSON-able detail for the verb's
    result, or None when it did nothing.
    """

    def after_change(
        self, state: EnvironmentState, context: TargetContext
    ) -> dict[str, Any] | None: ...

    def after_traffic_change(
        self, state: EnvironmentState, context: TargetContext
    ) -> dict[str, Any] | None: ...

    def after_warm(
        self, state: EnvironmentState, revision_id: str, context: TargetContext
    ) -> dict[str, Any] | None: ...

    def after_drain(
        self, state: EnvironmentState, revision_id: str, context: TargetContext
    ) -> dict[str, Any] | None: ...

    def after_stop(
        self, state: EnvironmentState, revision_id: str, context: TargetContext
    ) -> dict[str, Any] | None: ...


# -- allocations ----------------------------------------------------------------------


class AllocationHook(Protocol):
    """Choose values once per owner (listener-rule priorities) in every mutation's
    transaction: sees the state before and after the change and the allocation context
    (applied generation, shared claims). Returns the state with its allocations."""

    def __call__(
        self,
        before: EnvironmentState | None,
        after: EnvironmentState,
        context: AllocationContext | None = None,
    ) -> EnvironmentState: ...


# -- health and metrics ---------------------------------------------------------------


@dataclass(frozen=True)
class RevisionHealth:
    revision_id: str
    healthy: bool
    ready_replicas: int
    desired_replicas: int
    message: str = ""


class HealthSource(Protocol):
    """Is revision R serving healthily, and how many of its replicas are ready (each call
    bounded by the context's timeout). A source never raises for what it finds: an
    unreachable API or a missing object is an unhealthy answer whose message says why."""

    def revision_health(self, revision_id: str) -> RevisionHealth: ...


class HealthSourceFactory(Protocol):
    """``Target.health``: builds the source for one environment state (cheap: no call to
    the cloud until ``revision_health``)."""

    def __call__(self, state: EnvironmentState, context: TargetContext) -> HealthSource: ...


class MetricWindow(Protocol):
    """Figures of one revision over one analysis window (``greentic_iac.plan.metrics``
    has the two usual shapes: ``Counters`` and ``SummaryWindow``). ``quantile`` answers
    seconds, or None when the window holds no figure for it."""

    @property
    def requests(self) -> float: ...

    @property
    def errors(self) -> float: ...

    def quantile(self, q: float) -> float | None: ...


class MetricSource(Protocol):
    """``snapshot`` marks a window's start as JSON (stored in the rollout, so a resumed
    runner keeps its window); ``window`` answers the figures from that mark until now."""

    def snapshot(self, revision_ids: list[str]) -> dict[str, Any]: ...

    def window(
        self, start: dict[str, Any], revision_ids: list[str]
    ) -> Mapping[str, MetricWindow]: ...


class MetricSourceFactory(Protocol):
    """``Target.metrics``: builds the source of the built-in metrics (error_rate,
    request_count, latency_pNN) for one environment state. Cheap, like the health factory;
    it raises ``InvalidInputError`` naming the field when the environment (or the context's
    options) lacks what the source needs, which ``rollout start`` reports at once."""

    def __call__(self, state: EnvironmentState, context: TargetContext) -> MetricSource: ...


# -- the target -----------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """One deployer target. See the module docstring for the contract.

    - ``compile``: pure ``state -> Plan`` (no I/O).
    - ``limits``: the target's checks for preview and the verbs that change a split
      (``operations/split_limits.py`` runs them with ``baseline=None`` on the new state).
    - ``replace_rules``: per type token of its plans, what forces a replacement (the
      offline preview's ``replace``; the core knows the aws/kubernetes providers' rules, a
      plug-in brings its provider's).
    - ``traffic_method``: the name the plan's ``traffic[].method`` carries (how basis
      points become the target's weights); the plan's ``traffic`` section is the rounding
      report (requested against effective bps per revision).
    - ``engine``: ``"pulumi"`` (``up``/``destroy``/``preview --engine pulumi`` and the
      ``pulumi-python`` export apply) or ``"local"`` (``local up`` runs it on this machine).
    - ``provider_config``: the Pulumi provider settings a stack config pins
      (``aws:region``); never a secret.
    - ``sdk_modules``: type-token prefix -> the Python module family the emitter imports
      (``{"gcp:": "pulumi_gcp"}``) and ``install_hint`` naming what to install for it.
    - ``exports``: extra export formats by name (``k8s-yaml``); the core adds
      ``pulumi-python`` when ``engine`` is ``"pulumi"``. File names are plain (no ``/``).
    - ``health``: the health source's factory (``revisions warm`` on a cloud target, the
      rollout runner's canary check).
    - ``metrics``: the metric source's factory for a rollout's built-in metrics; without
      one, ``rollout start``/``run`` refuse an analysis of built-in metrics (exit 2).
    """

    descriptor: str
    compile: Compiler
    limits: LimitCheck | None = None
    replace_rules: Mapping[str, ReplaceRule] = field(default_factory=dict)
    traffic_method: str | None = None
    engine: str = "pulumi"
    provider_config: Callable[[EnvironmentState], dict[str, str]] | None = None
    sdk_modules: Mapping[str, str] = field(default_factory=dict)
    install_hint: str | None = None
    credentials: Credentials | None = None
    bootstrap: Bootstrap | None = None
    exports: Mapping[str, Exporter] = field(default_factory=dict)
    hooks: LifecycleHooks | None = None
    reconcile_allocations: AllocationHook | None = None
    health: HealthSourceFactory | None = None
    metrics: MetricSourceFactory | None = None
    summary: str = ""


def no_member_message(target: Target, what: str) -> str:
    """The one wording of "this deployer offers no X" the CLI prints (exit 2)."""
    return f"deployer {target.descriptor} offers no {what}"
