"""The Kubernetes target's ``Credentials`` and ``Bootstrap`` members (``plan.target``).

They wrap ``credentials`` (the RBAC derived from the plan, the ``kubectl auth can-i``
checks) and ``bootstrap`` (the deployer ServiceAccount and its kubeconfig) in the protocol
the CLI speaks, so ``credentials policy|validate|bootstrap`` name no target. The kube
context comes from the stack's provider settings (``context.options["provider_config"]``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

import yaml

from greentic_iac.errors import InvalidInputError
from greentic_iac.files import write_bytes_atomic
from greentic_iac.plan.model import Plan
from greentic_iac.plan.target import (
    BootstrapResult,
    CredentialsReport,
    PackDocument,
    PolicyDocument,
    TargetContext,
)
from greentic_iac.spec.state import EnvironmentState

DESCRIPTOR: Final = "greentic.deployer.k8s"


def _kube_context(context: TargetContext) -> str | None:
    config = context.options.get("provider_config")
    value = config.get("kubernetes:context") if isinstance(config, Mapping) else None
    return value if isinstance(value, str) else None


class K8sCredentials:
    """The RBAC ``credentials policy`` prints, and ``credentials validate`` (can-i)."""

    def policy(self, plan: Plan, state: EnvironmentState) -> PolicyDocument:
        from greentic_iac.targets.k8s.credentials import rbac_role_for_plan

        return PolicyDocument(rbac_role_for_plan(plan), "application/yaml", "rbac.yaml")

    def validate(
        self, plan: Plan, state: EnvironmentState, context: TargetContext
    ) -> CredentialsReport:
        from greentic_iac.preflight import run_requirements
        from greentic_iac.targets.k8s.credentials import can_i_requirements

        kube_context = _kube_context(context)
        requirements = can_i_requirements(plan, context=kube_context)
        outcomes = run_requirements(requirements, timeout=context.timeout)
        checks = [
            {"purpose": requirement.purpose, **outcome.model_dump(mode="json", exclude_none=True)}
            for requirement, outcome in zip(requirements, outcomes, strict=True)
        ]
        ok = not any(outcome.blocking for outcome in outcomes)
        result = {"target": DESCRIPTOR, "context": kube_context, "ok": ok, "checks": checks}
        lines = [
            f"{outcome.status.value:8} {requirement.purpose}"
            + (f" ({outcome.hint})" if outcome.hint and outcome.blocking else "")
            for requirement, outcome in zip(requirements, outcomes, strict=True)
        ]
        return CredentialsReport(ok, result, lines)


def _kubeconfig_path(state: EnvironmentState, context: TargetContext) -> Path:
    given = context.options.get("kubeconfig")
    default = context.greentic_home / "secrets" / "kubeconfigs" / state.environment.environment_id
    return Path(given or default).absolute()


class K8sBootstrap:
    """The deployer ServiceAccount with exactly the printed RBAC, and a private kubeconfig
    (0600, never inside the rules pack: the pack is for review and holds no token)."""

    flags: frozenset[str] = frozenset({"kubeconfig"})

    def check_inputs(self, state: EnvironmentState, context: TargetContext) -> None:
        kubeconfig = _kubeconfig_path(state, context)
        pack = context.options.get("rules_pack")
        if isinstance(pack, Path) and pack in kubeconfig.parents:
            raise InvalidInputError(
                f"--kubeconfig: {kubeconfig} is inside the rules pack {pack}; the pack is for "
                "review and must hold no token: put the kubeconfig elsewhere"
            )

    def pack_documents(self, plan: Plan, state: EnvironmentState) -> list[PackDocument]:
        from greentic_iac.targets.k8s.bootstrap import identity_documents
        from greentic_iac.targets.k8s.credentials import rbac_role_for_plan

        identity = yaml.safe_dump_all(identity_documents(plan), sort_keys=False)
        return [
            PackDocument(
                "rbac.yaml",
                rbac_role_for_plan(plan).encode(),
                "the deployer's Role/ClusterRole (what `credentials policy` prints)",
            ),
            PackDocument(
                "identity.yaml",
                identity.encode(),
                "the ServiceAccount, its token Secret (no data) and the bindings to the roles",
            ),
        ]

    def bootstrap(
        self, plan: Plan, state: EnvironmentState, context: TargetContext
    ) -> BootstrapResult:
        from greentic_iac.targets.k8s.bootstrap import ACCOUNT_NAME, bootstrap_account

        kube_context = _kube_context(context)
        kubeconfig = _kubeconfig_path(state, context)
        account = bootstrap_account(plan, context=kube_context, timeout=context.timeout)
        kubeconfig_changed = not (
            kubeconfig.is_file() and kubeconfig.read_bytes() == account.kubeconfig
        )
        if kubeconfig_changed:
            kubeconfig.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            write_bytes_atomic(kubeconfig, account.kubeconfig, mode=0o600)
        changes = [*account.changes, *(["wrote kubeconfig"] if kubeconfig_changed else [])]
        identity = {
            "service_account": ACCOUNT_NAME,
            "namespace": account.namespace,
            "context": kube_context,
            "kubeconfig": str(kubeconfig),
        }
        return BootstrapResult(
            changes=changes,
            identity=identity,
            documents=self.pack_documents(plan, state),
            result={**account.to_json_dict(), "changes": changes},
            private={"kubeconfig": str(kubeconfig)},
            notes=[f"kubeconfig (0600, holds the token): {kubeconfig}"],
        )

    def check_live(
        self,
        plan: Plan,
        state: EnvironmentState,
        identity: Mapping[str, Any],
        context: TargetContext,
    ) -> list[str]:
        # The pack's RBAC is checked against the plan; `credentials validate` runs can-i
        # with the deployer's own context, so there is no separate live read here.
        return []


CREDENTIALS: Final = K8sCredentials()
BOOTSTRAP: Final = K8sBootstrap()
