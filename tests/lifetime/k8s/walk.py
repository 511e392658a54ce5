"""Operators driving several Kubernetes environments of one tenant on one cluster.

``Tenant`` holds the environments' states (changed only through the operation functions
the CLI verbs call: ``bundles add``, ``revisions stage``/``warm``/``drain``/``deactivate``/
``archive``, ``traffic set``, ``env-packs update``), one Pulumi ``Stack`` per environment
and the shared ``Cluster``. Every accepted change is compiled, replayed into the cluster in
Pulumi's order, and checked: the step applied, no stack lost an object it still has in its
plan, and the weights in the live route objects are the plan's. A change whose plan the
preview would refuse (an error finding) is not applied and not kept, as an operator would
back it out.
"""

from __future__ import annotations

import hashlib
from typing import Any

from greentic_iac.envpacks import EnvPackRegistry
from greentic_iac.envpacks.bindings import EnvPackBindingPayload, update_env_pack
from greentic_iac.errors import GreenticError
from greentic_iac.operations import rollout as ops
from greentic_iac.plan import Plan
from greentic_iac.spec import (
    CapabilitySlot,
    Cloud,
    DeploymentCtx,
    Environment,
    EnvironmentState,
    EnvPackBinding,
    PackDescriptor,
    Platform,
    RevisionLifecycle,
    RouteBinding,
    TenantCtx,
    TrafficPolicy,
)
from greentic_iac.spec.answers import BundleAddPayload, RevisionStagePayload, TrafficSetPayload
from greentic_iac.targets.k8s import compile_plan, naming
from greentic_iac.targets.k8s.limits import namespace_delete_findings
from tests.lifetime.k8s.api_model import ApiError, Cluster, identity_of
from tests.lifetime.k8s.replay import Stack
from tests.lifetime.k8s.routing_model import live_weights

TENANT = "acme"
DEPLOYER = "greentic.deployer.k8s@1.0.0"
ROUTING = {
    "gateway": {"mode": "gateway", "gateway_name": "public", "gateway_namespace": "gateway"},
    "nginx": {"mode": "nginx"},
    "alb": {"mode": "alb", "group_name": "greentic-acme"},
}
# The tenant's shared namespace, made by a cluster admin (namespace_mode existing uses it).
SHARED_NAMESPACE = "greentic-acme"
ADMIN = "cluster-admin"


def namespace_manifest(name: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}


def base_settings(mode: str) -> dict[str, Any]:
    return {
        "kube_context": "lifetime",
        "image": {"repository": "ghcr.io/acme/{bundle_id}"},
        "routing": ROUTING[mode],
    }


def new_environment(environment_id: str, settings: dict[str, Any]) -> EnvironmentState:
    environment = Environment(
        environment_id=environment_id,
        tenant=TenantCtx(tenant=TENANT),
        deployment=DeploymentCtx(cloud=Cloud.AWS, region="eu-west-1", platform=Platform.K8S),
        packs=[
            EnvPackBinding(
                slot=CapabilitySlot.DEPLOYER,
                kind=PackDescriptor.parse(DEPLOYER),
                pack_ref="builtin://greentic.deployer.k8s",
                settings=settings,
            )
        ],
    )
    return EnvironmentState(
        environment=environment, policy=TrafficPolicy(trust_override_header=True)
    )


def merged(settings: dict[str, Any], change: dict[str, Any]) -> dict[str, Any]:
    """``change`` deep-merged into ``settings``; a None value removes the key."""
    out = dict(settings)
    for key, value in change.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict) and key != "routing":
            out[key] = merged(out[key], value)
        else:
            out[key] = value
    return out


class StepFailed(AssertionError):
    pass


class Tenant:
    def __init__(self, registry: EnvPackRegistry, *, shared_namespace: bool = True) -> None:
        self.registry = registry
        self.cluster = Cluster()
        self.shared_namespace = shared_namespace
        if shared_namespace:
            self.cluster.create(ADMIN, namespace_manifest(SHARED_NAMESPACE))
        self.states: dict[str, EnvironmentState] = {}
        self.stacks: dict[str, Stack] = {}
        self.digests = 0

    # ------------------------------------------------------------------ verbs

    def env_create(self, environment_id: str, settings: dict[str, Any]) -> None:
        self.stacks[environment_id] = Stack(environment_id, self.cluster)
        self.commit(environment_id, new_environment(environment_id, settings))

    def bundles_add(self, environment_id: str, bundle_id: str, host: str, path: str) -> None:
        payload = BundleAddPayload(
            environment_id=environment_id,
            bundle_id=bundle_id,
            route_binding=RouteBinding(host=host, path_prefix=path),
        )
        self._try(environment_id, lambda s: ops.add_bundle(s, payload)[0])

    def revisions_stage(self, environment_id: str, pick: int) -> None:
        deployments = self.states[environment_id].active_deployments()
        if not deployments:
            return
        deployment = deployments[pick % len(deployments)]
        self.digests += 1
        digest = "sha256:" + hashlib.sha256(str(self.digests).encode()).hexdigest()
        payload = RevisionStagePayload(
            environment_id=environment_id,
            deployment_id=deployment.deployment_id,
            bundle_digest=digest,
        )
        self._try(environment_id, lambda s: ops.stage_revision(s, payload, digest)[0])

    def revisions_transition(self, environment_id: str, pick: int, verb: str) -> None:
        state = self.states[environment_id]
        revisions = sorted(state.revisions.values(), key=lambda r: (r.deployment_id, r.sequence))
        if not revisions:
            return
        revision = revisions[pick % len(revisions)]
        targets = {
            "warm": [RevisionLifecycle.WARMING, RevisionLifecycle.READY],
            "drain": [RevisionLifecycle.DRAINING],
            "deactivate": [RevisionLifecycle.INACTIVE],
            "archive": [RevisionLifecycle.ARCHIVED],
        }[verb]
        if verb == "warm" and revision.lifecycle == RevisionLifecycle.WARMING:
            targets = targets[1:]

        def change(current: EnvironmentState) -> EnvironmentState:
            for target in targets:
                current = ops.transition_revision(current, revision.revision_id, target)[0]
            return current

        self._try(environment_id, change)

    def traffic_set(self, environment_id: str, pick: int, weights: list[int]) -> None:
        state = self.states[environment_id]
        deployments = state.active_deployments()
        if not deployments:
            return
        deployment = deployments[pick % len(deployments)]
        ready = [
            r
            for r in state.revisions_of(deployment.deployment_id)
            if r.lifecycle == RevisionLifecycle.READY
        ]
        if not ready:
            return
        chosen = ready[-len(weights) :]
        raw = weights[-len(chosen) :]
        bps = [w * 10_000 // sum(raw) for w in raw]
        bps[-1] += 10_000 - sum(bps)
        payload = TrafficSetPayload.model_validate(
            {
                "environment_id": environment_id,
                "deployment_id": deployment.deployment_id,
                "entries": [
                    {"revision_id": r.revision_id, "weight_bps": b}
                    for r, b in zip(chosen, bps, strict=True)
                ],
            }
        )
        self._try(environment_id, lambda s: ops.set_traffic(s, payload)[0])

    def settings_update(self, environment_id: str, change: dict[str, Any]) -> None:
        def update(state: EnvironmentState) -> EnvironmentState:
            binding = state.environment.deployer()
            assert binding is not None
            payload = EnvPackBindingPayload(
                environment_id=environment_id,
                slot=CapabilitySlot.DEPLOYER,
                kind=binding.kind,
                pack_ref=binding.pack_ref,
                settings=merged(binding.settings, change),
            )
            environment, _ = update_env_pack(state.environment, payload, self.registry)
            return state.model_copy(update={"environment": environment})

        self._try(environment_id, update)

    def rollout(self, environment_id: str, pick: int, weights: list[int]) -> None:
        """What an operator does for a release: stage, warm, then shift weight to it."""
        deployments = self.states[environment_id].active_deployments()
        if not deployments:
            return
        deployment = deployments[pick % len(deployments)]
        index = deployments.index(deployment)
        self.revisions_stage(environment_id, index)
        newest = self.states[environment_id].revisions_of(deployment.deployment_id)[-1]
        if newest.lifecycle == RevisionLifecycle.STAGED:
            revisions = sorted(
                self.states[environment_id].revisions.values(),
                key=lambda r: (r.deployment_id, r.sequence),
            )
            self.revisions_transition(environment_id, revisions.index(newest), "warm")
        self.traffic_set(environment_id, index, weights)

    def retire(self, environment_id: str, pick: int) -> None:
        """drain, deactivate and archive a revision that no longer carries weight."""
        state = self.states[environment_id]
        revisions = sorted(state.revisions.values(), key=lambda r: (r.deployment_id, r.sequence))
        idle = [
            i
            for i, r in enumerate(revisions)
            if state.weight_of(r) == 0 and r.lifecycle != RevisionLifecycle.ARCHIVED
        ]
        if not idle:
            return
        index = idle[pick % len(idle)]
        for verb in ("drain", "deactivate", "archive"):
            self.revisions_transition(environment_id, index, verb)

    def destroy(self, environment_id: str) -> None:
        """``destroy`` of one stack; every other stack keeps every object it has."""
        stack = self.stacks[environment_id]
        try:
            stack.destroy()
        except ApiError as exc:
            raise StepFailed(f"destroy {environment_id}: {exc}") from None
        leftovers = [
            i for i, stored in self.cluster.objects.items() if stored.created_by == environment_id
        ]
        assert not leftovers, f"destroy {environment_id} left {leftovers}"
        self.check_every_stack(f"destroy {environment_id}")

    def up(self, environment_id: str) -> None:
        self.commit(environment_id, self.states[environment_id])

    # ------------------------------------------------------------------ apply and check

    def _try(self, environment_id: str, change: Any) -> None:
        try:
            new = change(self.states[environment_id])
        except GreenticError:
            return  # the verb refused it (exit 2/4): nothing changes
        self.commit(environment_id, new)

    def commit(self, environment_id: str, state: EnvironmentState) -> Plan | None:
        try:
            plan = compile_plan(state)
        except GreenticError:
            return None  # `plan` exits 2 naming the field; the operator backs it out
        stack = self.stacks[environment_id]
        if plan.errors or namespace_delete_findings(stack.applied, plan):
            return None  # preview refuses it; the operator backs the change out
        self.states[environment_id] = state
        draining = self.draining_templates(environment_id)
        try:
            stack.up(plan)
        except ApiError as exc:
            steps = "; ".join(f"{s} {n}" for s, n, _ in stack.steps[-6:])
            raise StepFailed(f"up {environment_id}: {exc} (last steps: {steps})") from None
        self.check_every_stack(f"up {environment_id}")
        self.check_weights(environment_id, plan)
        self.check_fixed_names(plan)
        after = self.draining_templates(environment_id)
        for identity, template in after.items():
            if identity in draining:
                assert template == draining[identity], f"{identity}: a draining pod template rolled"
        return plan

    def draining_templates(self, environment_id: str) -> dict[Any, Any]:
        """The pod template of each of the stack's Deployments whose revision is draining."""
        return {
            identity: stored.manifest["spec"]["template"]
            for identity, stored in self.cluster.objects.items()
            if identity[1] == "Deployment"
            and stored.created_by == environment_id
            and stored.manifest["metadata"]["annotations"].get("greentic.ai/lifecycle")
            == "draining"
        }

    @staticmethod
    def check_fixed_names(plan: Plan) -> None:
        """Names are fixed, so nothing may change under them that only a replace can: a
        Deployment's selector is its (deployment, revision) ids, the ids its name holds,
        and a Service never writes the clusterIP the API server allocates."""
        for resource in plan.resources:
            kind, spec = resource.properties["kind"], resource.properties.get("spec") or {}
            if kind == "Deployment":
                selector = spec["selector"]["matchLabels"]
                assert set(selector) == {"greentic.ai/deployment", "greentic.ai/revision"}
                assert (
                    selector["greentic.ai/revision"].lower()
                    in resource.properties["metadata"]["name"]
                )
            if kind == "Service":
                assert "clusterIP" not in spec

    def check_every_stack(self, step: str) -> None:
        for name, stack in self.stacks.items():
            missing = sorted(i for i in stack.identities() if i not in self.cluster.objects)
            assert not missing, f"after {step}: stack {name} lost {missing[:3]}"
        assert (
            not self.shared_namespace
            or (None, "Namespace", SHARED_NAMESPACE) in self.cluster.objects
        ), f"after {step}: the shared namespace {SHARED_NAMESPACE} was deleted"
        lost = [c for c in self.cluster.cascaded if c[0] != c[1]]
        assert not lost, f"after {step}: a Namespace delete took another's objects: {lost[:3]}"

    def check_weights(self, environment_id: str, plan: Plan) -> None:
        namespace = str(plan.outputs["namespace"])
        state = self.states[environment_id]
        live = live_weights(self.cluster, namespace, environment_id)
        for traffic in plan.traffic:
            deployment = state.deployments[traffic.deployment_id]
            expected = {
                naming.revision_object_name(
                    deployment, state.revisions[r.revision_id]
                ): r.applied_weight
                for r in traffic.revisions
                if r.applied_weight > 0
            }
            assert live.get(traffic.deployment_id) == expected, (
                f"{environment_id}: live weights {live.get(traffic.deployment_id)} != plan {expected}"
            )
            for service in expected:
                assert (namespace, "Service", service) in self.cluster.objects
        routed = {d for d, weights in live.items() if weights}
        assert routed == {t.deployment_id for t in plan.traffic}
        for resource in plan.resources:
            assert identity_of(resource.properties) in self.cluster.objects
