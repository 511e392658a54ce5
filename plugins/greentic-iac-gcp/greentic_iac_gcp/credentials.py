"""Least privilege for the Cloud Run deployer: IAM roles from the plan, and a credentials check.

``policy`` lists the predefined roles the deployer identity needs on the project, derived
from the resource types the plan holds (a plan without secrets asks for no Secret Manager
role), one per line with the reason; ``text/plain`` so it pipes straight into
``gcloud projects add-iam-policy-binding``. Predefined roles are coarser than a custom role
can be; docs/cloud-run.md gives the permissions each is for.

``validate`` checks, without any Google Cloud call, what Pulumi's Google provider and the
``gcloud`` CLI will use: Application Default Credentials (``GOOGLE_APPLICATION_CREDENTIALS``,
else the file ``gcloud auth application-default login`` writes) and an active ``gcloud``
account (the core's ``gcloud-auth-list`` probe, bounded by the context's timeout). It never
reads a credential's secret fields, only the file's ``type``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from greentic_iac.plan import Plan
from greentic_iac.plan.target import CredentialsReport, PolicyDocument, TargetContext
from greentic_iac.preflight.outcome import CheckOutcome, CheckStatus
from greentic_iac.preflight.platforms import detect_platform
from greentic_iac.preflight.probes import ProbeContext, probe_gcloud_auth_list
from greentic_iac.spec import EnvironmentState
from greentic_iac.spec.checks import ProbeRequirement
from greentic_iac_gcp import tokens as c
from greentic_iac_gcp.compiler import TARGET

# (role, why), in the order printed; each is asked for only when the plan needs it.
_ROLES_BY_TYPE: Final[dict[str, tuple[tuple[str, str], ...]]] = {
    c.T_SERVICE: (
        ("roles/run.developer", "create, update and delete the revisions' Cloud Run services"),
        ("roles/iam.serviceAccountUser", "run the services as the runtime service account"),
    ),
    c.T_INVOKER: (("roles/run.admin", "grant roles/run.invoker on each revision's service"),),
    c.T_ACCOUNT: (("roles/iam.serviceAccountAdmin", "create the runtime service account"),),
    c.T_SECRET_ACCESS: (
        (
            "roles/secretmanager.admin",
            "grant the runtime account access to the referenced "
            "secrets (setIamPolicy on each secret; no secret value is read)",
        ),
    ),
    c.T_URL_MAP: (
        (
            "roles/compute.loadBalancerAdmin",
            "serverless NEGs, backend services, URL "
            "maps, target proxies, forwarding rules, addresses and managed certificates",
        ),
    ),
}
_ALWAYS: Final = (
    ("roles/serviceusage.serviceUsageConsumer", "call the project's APIs (quota is billed to it)"),
)
_ADC_TYPES: Final = frozenset(
    {"service_account", "authorized_user", "external_account", "impersonated_service_account"}
)
_ADC_FIX: Final = (
    "`gcloud auth application-default login`, or GOOGLE_APPLICATION_CREDENTIALS=<key file> "
    "(a service account key or a workload identity federation config)"
)


def required_roles(plan: Plan) -> list[tuple[str, str]]:
    """The roles the plan needs, each once, with the first reason that asked for it."""
    types = {resource.type for resource in plan.resources}
    roles: dict[str, str] = dict(_ALWAYS)
    for token, needed in _ROLES_BY_TYPE.items():
        if token in types:
            for role, why in needed:
                roles.setdefault(role, why)
    if "roles/run.admin" in roles:
        # run.admin includes everything run.developer grants.
        roles.pop("roles/run.developer", None)
    return sorted(roles.items())


def _project(state: EnvironmentState) -> str:
    binding = state.environment.deployer()
    settings = binding.settings if binding is not None else {}
    return str(settings.get("project", "<project>"))


def gcloud_config_dir(env: Mapping[str, str], platform: str) -> Path:
    """Where gcloud keeps its configuration (``CLOUDSDK_CONFIG`` overrides)."""
    if env.get("CLOUDSDK_CONFIG"):
        return Path(env["CLOUDSDK_CONFIG"])
    if platform == "windows" and env.get("APPDATA"):
        return Path(env["APPDATA"]) / "gcloud"
    return Path(env.get("HOME", str(Path.home()))) / ".config" / "gcloud"


def application_default_credentials(env: Mapping[str, str], platform: str) -> CheckOutcome:
    """Which ADC file the Google provider would use, and whether it is one (its ``type``)."""
    explicit = env.get("GOOGLE_APPLICATION_CREDENTIALS")
    source = "GOOGLE_APPLICATION_CREDENTIALS"
    path = Path(explicit) if explicit else None
    if path is None:
        path = gcloud_config_dir(env, platform) / "application_default_credentials.json"
        source = "gcloud application-default login"
    required = "Application Default Credentials"
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return CheckOutcome(
            check="adc",
            status=CheckStatus.FAILED,
            required=required,
            hint=_ADC_FIX,
            detail=f"no credentials file at {path} ({source})",
        )
    except (OSError, ValueError) as exc:
        return CheckOutcome(
            check="adc",
            status=CheckStatus.FAILED,
            required=required,
            hint=_ADC_FIX,
            detail=f"{path} is not a readable JSON credentials file ({exc.__class__.__name__})",
        )
    kind = document.get("type") if isinstance(document, dict) else None
    if kind not in _ADC_TYPES:
        return CheckOutcome(
            check="adc",
            status=CheckStatus.FAILED,
            required=required,
            hint=_ADC_FIX,
            detail=f"{path} has type {kind!r}, not one of {', '.join(sorted(_ADC_TYPES))}",
        )
    return CheckOutcome(
        check="adc", status=CheckStatus.OK, found=str(kind), required=required, detail=str(path)
    )


@dataclass(frozen=True)
class CloudRunCredentials:
    """``Target.credentials`` for ``greentic.deployer.cloud-run``."""

    def policy(self, plan: Plan, state: EnvironmentState) -> PolicyDocument:
        project = _project(state)
        lines = [
            f"# IAM roles for the greentic-iac deployer of {plan.environment_id} on project "
            f"{project}",
            f"# grant each: gcloud projects add-iam-policy-binding {project} "
            "--member=<deployer> --role=<role>",
        ]
        lines += [f"{role}  # {why}" for role, why in required_roles(plan)]
        return PolicyDocument(
            text="\n".join(lines) + "\n",
            media_type="text/plain",
            file_name=f"{plan.environment_id}-roles.txt",
        )

    def validate(
        self, plan: Plan, state: EnvironmentState, context: TargetContext
    ) -> CredentialsReport:
        env = dict(context.options.get("env") or os.environ)
        platform = detect_platform()
        adc = application_default_credentials(env, platform)
        probe = ProbeRequirement(
            probe="gcloud-auth-list", purpose="an active gcloud account for credentials validate"
        )
        gcloud = probe_gcloud_auth_list(
            probe,
            ProbeContext(
                timeout=context.timeout,
                env=env,
                search_path=env.get("PATH"),
                platform=platform,
            ),
        )
        checks = [adc, gcloud]
        ok = all(check.status is CheckStatus.OK for check in checks)
        roles = [role for role, _ in required_roles(plan)]
        result: dict[str, Any] = {
            "target": TARGET,
            "environment_id": plan.environment_id,
            "project": _project(state),
            "ok": ok,
            "account": gcloud.found,
            "checks": [check.model_dump(mode="json") for check in checks],
            "roles": roles,
            "note": "the roles are not compared with the project's IAM policy; "
            f"check with `gcloud projects get-iam-policy {_project(state)}`",
        }
        lines = [
            f"{'ok' if check.status is CheckStatus.OK else 'FAILED'}  {check.check}: "
            f"{check.found or check.detail or ''}"
            + (f"\n    fix: {check.hint}" if check.hint else "")
            for check in checks
        ]
        lines.append(f"roles the deployer needs: {', '.join(roles)}")
        return CredentialsReport(ok=ok, result=result, lines=lines)
