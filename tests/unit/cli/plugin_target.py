"""Two third-party-like deployer targets for the CLI's generic target paths.

``acme.deployer.tiny`` offers every member ``credentials``, ``export`` and ``preview`` reach:
a policy (a role list), a validation that reads a file in the greentic home (its "cloud"),
a bootstrap that writes that file, an export format and a limit. ``acme.deployer.bare``
offers only ``compile``. ``registry_with_plugins`` is the discovered registry plus both, as a
plug-in's entry point would add them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from greentic_iac.envpacks import EnvPackRegistry, ManifestHandler
from greentic_iac.envpacks.manifest import manifest_from_dict
from greentic_iac.errors import InvalidInputError
from greentic_iac.plan.model import Finding, Plan, PlanResource, Severity
from greentic_iac.plan.target import (
    BootstrapResult,
    CredentialsReport,
    PackDocument,
    PolicyDocument,
    Target,
    TargetContext,
)
from greentic_iac.spec.state import EnvironmentState

TINY: Final = "acme.deployer.tiny"
BARE: Final = "acme.deployer.bare"
BACKEND: Final = "acme:tiny:Backend"
# What the tiny "cloud" can route: at most two weighted backends per deployment.
MAX_WEIGHTED: Final = 2
ROLES_FILE: Final = "roles.txt"


def compile_plan(state: EnvironmentState, target: str = TINY) -> Plan:
    """One backend per revision, carrying its weight."""
    resources = []
    for deployment_id, split in sorted(state.traffic.items()):
        for entry in split.entries:
            resources.append(
                PlanResource(
                    type=BACKEND,
                    name=f"backend-{entry.revision_id.lower()}",
                    properties={"deployment": deployment_id, "weight": entry.weight_bps},
                )
            )
    return Plan(environment_id=state.environment.environment_id, target=target, resources=resources)


def compile_bare(state: EnvironmentState) -> Plan:
    return compile_plan(state, BARE)


def tiny_limits(plan: Plan, baseline: Plan | None) -> list[Finding]:
    weighted: dict[str, int] = {}
    for resource in plan.resources:
        if resource.type == BACKEND and resource.properties["weight"] > 0:
            deployment = resource.properties["deployment"]
            weighted[deployment] = weighted.get(deployment, 0) + 1
    return [
        Finding(
            severity=Severity.ERROR,
            code="tiny-max-weighted",
            message=f"{count} weighted backends; the tiny router takes at most {MAX_WEIGHTED}",
            subject=deployment,
        )
        for deployment, count in sorted(weighted.items())
        if count > MAX_WEIGHTED
    ]


def _roles(plan: Plan) -> str:
    return "".join(f"route {r.name}\n" for r in plan.resources)


def _cloud(context: TargetContext) -> Path:
    return context.greentic_home / "tiny-cloud.json"


class TinyCredentials:
    def policy(self, plan: Plan, state: EnvironmentState) -> PolicyDocument:
        return PolicyDocument(_roles(plan), "text/plain", ROLES_FILE)

    def validate(
        self, plan: Plan, state: EnvironmentState, context: TargetContext
    ) -> CredentialsReport:
        cloud = _cloud(context)
        granted = json.loads(cloud.read_text(encoding="utf-8"))["roles"] if cloud.exists() else ""
        ok = granted == _roles(plan)
        result = {"target": TINY, "ok": ok, "timeout": context.timeout}
        return CredentialsReport(ok, result, [f"tiny roles {'granted' if ok else 'missing'}"])


class TinyBootstrap:
    flags: frozenset[str] = frozenset({"role_name"})

    def check_inputs(self, state: EnvironmentState, context: TargetContext) -> None:
        name = context.options.get("role_name")
        if name is not None and not str(name).islower():
            raise InvalidInputError(f"--role-name: {name!r} must be lowercase for tiny")

    def pack_documents(self, plan: Plan, state: EnvironmentState) -> list[PackDocument]:
        return [PackDocument(ROLES_FILE, _roles(plan).encode(), "what the tiny role may route")]

    def bootstrap(
        self, plan: Plan, state: EnvironmentState, context: TargetContext
    ) -> BootstrapResult:
        role = context.options.get("role_name") or "tiny-deployer"
        cloud = _cloud(context)
        wanted = {"role": role, "roles": _roles(plan)}
        before = json.loads(cloud.read_text(encoding="utf-8")) if cloud.exists() else None
        changes = [] if before == wanted else ["granted roles"]
        if changes:
            cloud.write_text(json.dumps(wanted), encoding="utf-8")
        return BootstrapResult(
            changes=changes,
            identity={"role": role},
            documents=self.pack_documents(plan, state),
            result={"role": role, "changes": changes},
            private={"cloud": str(cloud)},
            notes=[f"tiny cloud: {cloud}"],
        )

    def check_live(
        self,
        plan: Plan,
        state: EnvironmentState,
        identity: Mapping[str, Any],
        context: TargetContext,
    ) -> list[str]:
        cloud = _cloud(context)
        live = json.loads(cloud.read_text(encoding="utf-8")) if cloud.exists() else {}
        if live.get("role") == identity.get("role") and live.get("roles") == _roles(plan):
            return []
        return [f"role {identity.get('role')}: the tiny cloud grants something else"]


def tiny_json(plan: Plan, provider_config: Mapping[str, str]) -> dict[str, bytes]:
    body = {"backends": [r.name for r in plan.resources], "config": dict(provider_config)}
    return {"backends.json": (json.dumps(body, indent=2) + "\n").encode()}


TARGET: Final = Target(
    descriptor=TINY,
    compile=compile_plan,
    limits=tiny_limits,
    credentials=TinyCredentials(),
    bootstrap=TinyBootstrap(),
    exports={"tiny-json": tiny_json},
)
BARE_TARGET: Final = Target(descriptor=BARE, compile=compile_bare, engine="local")


def _handler(path: str, target: str, module: str = __name__) -> ManifestHandler:
    document = {
        "descriptor_path": path,
        "slot": "deployer",
        "supported_versions": "^1.0",
        "summary": f"test deployer {path}",
        "settings_schema": {"type": "object"},
        "handler": "greentic_iac.envpacks.handler:ManifestHandler",
        "target": f"{module}:{target}",
    }
    return ManifestHandler(manifest_from_dict(document, source=f"<test {path}>"))


def broken_handler(path: str) -> ManifestHandler:
    """A deployer whose target can't be imported (a plug-in missing a dependency)."""
    return _handler(path, "TARGET", module="acme_missing_module.target")


def registry_with_plugins(discovered: EnvPackRegistry) -> EnvPackRegistry:
    discovered.register(_handler(TINY, "TARGET"), origin="test plug-in")
    discovered.register(_handler(BARE, "BARE_TARGET"), origin="test plug-in")
    return discovered
