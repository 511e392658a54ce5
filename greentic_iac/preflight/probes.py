"""Credential and reachability probes: can we actually act, not just is a binary there.

Each probe is a function of its requirement and a ``ProbeContext`` returning one
``CheckOutcome``; every external call goes through ``run_bounded`` so a probe costs at most
its timeout. The AWS probe runs boto3 in a child interpreter for the same reason (and so it
sees exactly the caller's environment). ``KNOWN_PROBES`` is what manifests may name.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from greentic_iac.preflight.outcome import CheckOutcome, CheckStatus
from greentic_iac.preflight.platforms import Platform
from greentic_iac.preflight.process import ProcessResult, run_bounded, truncate
from greentic_iac.preflight.tools import install_hint
from greentic_iac.spec.checks import ProbeRequirement

_STS_CHILD = Path(__file__).with_name("sts_identity_child.py")


@dataclass(frozen=True)
class ProbeContext:
    timeout: float
    env: Mapping[str, str]
    search_path: str | None
    platform: Platform

    def which(self, tool: str) -> str | None:
        return shutil.which(tool, path=self.search_path)


ProbeFunction = Callable[[ProbeRequirement, ProbeContext], CheckOutcome]


@dataclass(frozen=True)
class ProbeSpec:
    name: str
    run: ProbeFunction
    summary: str
    required_params: frozenset[str] = frozenset()
    optional_params: frozenset[str] = frozenset()
    # The CLI the probe shells out to; when it must exist and is missing while the same run
    # also checks that tool, the probe is skipped instead of failing twice.
    cli: str | None = None
    cli_required: bool = True
    # What to do when the probe fails (login command and the like).
    fix_hint: str = ""


def probe_check_name(probe: str) -> str:
    return f"probe:{probe}"


def _outcome(
    requirement: ProbeRequirement,
    status: CheckStatus,
    *,
    found: str | None = None,
    required: str | None = None,
    hint: str | None = None,
    detail: str | None = None,
) -> CheckOutcome:
    return CheckOutcome(
        check=probe_check_name(requirement.probe),
        status=status,
        found=found,
        required=required,
        hint=None if status is CheckStatus.OK else hint,
        detail=detail,
    )


def _process_failure(
    requirement: ProbeRequirement,
    result: ProcessResult,
    context: ProbeContext,
    *,
    required: str | None,
    hint: str,
) -> CheckOutcome | None:
    """The outcome for a run that did not start, timed out; None when it ran to an exit."""
    command = " ".join(Path(result.argv[0]).name.split() + list(result.argv[1:]))
    if result.start_error is not None:
        return _outcome(
            requirement,
            CheckStatus.FAILED,
            required=required,
            hint=hint,
            detail=f"`{command}` could not run: {result.start_error}",
        )
    if result.timed_out:
        return _outcome(
            requirement,
            CheckStatus.TIMEOUT,
            required=required,
            hint=hint,
            detail=f"`{command}` did not finish within {context.timeout:g} s and was killed; "
            f"printed: {truncate(result.combined) or '(nothing)'}",
        )
    return None


def _missing_cli(
    requirement: ProbeRequirement, tool: str, context: ProbeContext, required: str | None
) -> CheckOutcome:
    return _outcome(
        requirement,
        CheckStatus.FAILED,
        required=required,
        hint=install_hint(tool, context.platform, requirement.purpose),
        detail=f"{tool} not found on PATH",
    )


# --- aws-caller-identity ---------------------------------------------------------------

_AWS_FIX = (
    "configure AWS credentials: `aws configure`, `aws sso login --profile <p>` with "
    "AWS_PROFILE, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY; AWS_ENDPOINT_URL for an emulator"
)


def probe_aws_caller_identity(requirement: ProbeRequirement, context: ProbeContext) -> CheckOutcome:
    env = dict(context.env)
    # Off EC2 the instance-metadata provider would spend seconds retrying before boto3
    # admits there are no credentials; a machine that relies on it can set the variable.
    env.setdefault("AWS_EC2_METADATA_DISABLED", "true")
    env.setdefault("AWS_METADATA_SERVICE_TIMEOUT", "1")
    env.setdefault("AWS_METADATA_SERVICE_NUM_ATTEMPTS", "1")
    for param, variable in (
        ("profile", "AWS_PROFILE"),
        ("region", "AWS_REGION"),
        ("endpoint_url", "AWS_ENDPOINT_URL"),
    ):
        if requirement.params.get(param):
            env[variable] = str(requirement.params[param])
    required = "an AWS identity (sts:GetCallerIdentity)"
    argv = [sys.executable, "-I", str(_STS_CHILD), f"{context.timeout:g}"]
    result = run_bounded(argv, timeout=context.timeout, env=env)
    failure = _process_failure(requirement, result, context, required=required, hint=_AWS_FIX)
    if failure is not None:
        return failure
    report = _last_json_line(result.stdout)
    if not isinstance(report, dict):
        return _outcome(
            requirement,
            CheckStatus.FAILED,
            required=required,
            hint=_AWS_FIX,
            detail=f"STS probe printed no report: {truncate(result.combined) or '(nothing)'}",
        )
    profile = env.get("AWS_PROFILE")
    where = f" (profile {profile})" if profile else ""
    if not report.get("ok"):
        return _outcome(
            requirement,
            CheckStatus.FAILED,
            required=required,
            hint=_AWS_FIX,
            detail=f"no usable AWS credentials{where}: {truncate(str(report.get('error')))}",
        )
    return _outcome(
        requirement,
        CheckStatus.OK,
        found=str(report.get("arn")),
        required=required,
        detail=f"account {report.get('account')}, arn {report.get('arn')}{where}, "
        f"region {report.get('region')}, endpoint {report.get('endpoint')}",
    )


def _last_json_line(text: str) -> Any:
    for line in reversed(text.strip().splitlines()):
        try:
            return json.loads(line)
        except ValueError:
            continue
    return None


# --- kubectl-can-i ---------------------------------------------------------------------


def probe_kubectl_can_i(requirement: ProbeRequirement, context: ProbeContext) -> CheckOutcome:
    params = requirement.params
    verb, resource = str(params["verb"]), str(params["resource"])
    namespace = params.get("namespace")
    scope = f" in namespace {namespace}" if namespace else ""
    required = f"allowed to {verb} {resource}{scope}"
    kubectl = context.which("kubectl")
    if kubectl is None:
        return _missing_cli(requirement, "kubectl", context, required)
    argv = [kubectl, "auth", "can-i", verb, resource]
    if namespace:
        argv += ["-n", str(namespace)]
    if params.get("context"):
        argv += ["--context", str(params["context"])]
    # Let kubectl give up on an unreachable API server itself, before we have to kill it.
    argv.append(f"--request-timeout={max(1, math.floor(context.timeout))}s")
    fix = (
        f"ask a cluster admin for a Role/ClusterRole binding that allows `{verb} {resource}`"
        f"{scope}, or select the right context (`kubectl config use-context`)"
    )
    result = run_bounded(argv, timeout=context.timeout, env=context.env)
    failure = _process_failure(requirement, result, context, required=required, hint=fix)
    if failure is not None:
        return failure
    words = result.stdout.strip().split()
    answer = words[0].lower() if words else ""
    if answer == "yes" and result.returncode == 0:
        return _outcome(requirement, CheckStatus.OK, found="yes", required=required)
    if answer == "no":
        return _outcome(
            requirement,
            CheckStatus.FAILED,
            found="no",
            required=required,
            hint=fix,
            detail=truncate(result.combined),
        )
    return _outcome(
        requirement,
        CheckStatus.FAILED,
        required=required,
        hint="check KUBECONFIG and `kubectl config current-context`; the cluster must be reachable",
        detail=f"kubectl auth can-i exited {result.returncode}: "
        f"{truncate(result.combined) or '(no output)'}",
    )


# --- kubectl-namespace -----------------------------------------------------------------
# With namespace_mode existing no stack creates or deletes the Namespace (several
# environments of a tenant share it, or a cluster admin made it), so an apply into a missing
# one would fail object by object. Asked with the environment's own context, bounded.


def probe_kubectl_namespace(requirement: ProbeRequirement, context: ProbeContext) -> CheckOutcome:
    params = requirement.params
    namespace = str(params["namespace"])
    must_exist = str(params.get("mode") or "owned") == "existing" or params.get("create") is False
    required = f"namespace {namespace} exists" if must_exist else f"namespace {namespace}"
    kubectl = context.which("kubectl")
    if kubectl is None:
        return _missing_cli(requirement, "kubectl", context, required)
    argv = [kubectl, "get", "namespace", namespace, "-o", "name"]
    if params.get("context"):
        argv += ["--context", str(params["context"])]
    argv.append(f"--request-timeout={max(1, math.floor(context.timeout))}s")
    hint = (
        f"namespace_mode existing: the namespace must exist before the apply; create it "
        f"(`kubectl create namespace {namespace}`, by whoever owns it), or set namespace_mode "
        "owned so this environment's stack creates and owns its own namespace"
    )
    result = run_bounded(argv, timeout=context.timeout, env=context.env)
    failure = _process_failure(requirement, result, context, required=required, hint=hint)
    if failure is not None:
        return failure
    output = result.combined
    if result.returncode == 0 and f"namespace/{namespace}" in result.stdout:
        return _outcome(requirement, CheckStatus.OK, found="exists", required=required)
    if "NotFound" in output or "not found" in output:
        status = CheckStatus.FAILED if must_exist else CheckStatus.OK
        found = "absent" if must_exist else "absent (the stack creates it)"
        return _outcome(
            requirement, status, found=found, required=required, hint=hint, detail=truncate(output)
        )
    return _outcome(
        requirement,
        CheckStatus.FAILED,
        required=required,
        hint="check KUBECONFIG and `kubectl config current-context`; the cluster must be reachable",
        detail=f"kubectl get namespace exited {result.returncode}: "
        f"{truncate(output) or '(no output)'}",
    )


# --- gcloud-auth-list ------------------------------------------------------------------

_GCLOUD_FIX = (
    "log in: `gcloud auth login`, or `gcloud auth activate-service-account --key-file=<key>`"
)


def probe_gcloud_auth_list(requirement: ProbeRequirement, context: ProbeContext) -> CheckOutcome:
    required = "an active gcloud account"
    gcloud = context.which("gcloud")
    if gcloud is None:
        return _missing_cli(requirement, "gcloud", context, required)
    env = {**context.env, "CLOUDSDK_CORE_DISABLE_PROMPTS": "1"}
    result = run_bounded(
        [gcloud, "auth", "list", "--format=json"], timeout=context.timeout, env=env
    )
    failure = _process_failure(requirement, result, context, required=required, hint=_GCLOUD_FIX)
    if failure is not None:
        return failure
    try:
        accounts = json.loads(result.stdout)
    except ValueError:
        accounts = None
    if result.returncode != 0 or not isinstance(accounts, list):
        return _outcome(
            requirement,
            CheckStatus.FAILED,
            required=required,
            hint=_GCLOUD_FIX,
            detail=f"`gcloud auth list` exited {result.returncode}: "
            f"{truncate(result.combined) or '(no output)'}",
        )
    active = [
        str(entry.get("account"))
        for entry in accounts
        if isinstance(entry, dict) and entry.get("status") == "ACTIVE"
    ]
    if not active:
        return _outcome(
            requirement,
            CheckStatus.FAILED,
            required=required,
            hint=_GCLOUD_FIX,
            detail=f"no active account ({len(accounts)} credentialed)",
        )
    return _outcome(
        requirement,
        CheckStatus.OK,
        found=active[0],
        required=required,
        detail=f"active account {active[0]}",
    )


# --- az-account-show -------------------------------------------------------------------

_AZ_FIX = "log in: `az login` (or `az login --service-principal ...`), then `az account set`"


def probe_az_account_show(requirement: ProbeRequirement, context: ProbeContext) -> CheckOutcome:
    required = "a selected Azure subscription"
    az = context.which("az")
    if az is None:
        return _missing_cli(requirement, "az", context, required)
    env = {**context.env, "AZURE_CORE_COLLECT_TELEMETRY": "0"}
    result = run_bounded([az, "account", "show", "-o", "json"], timeout=context.timeout, env=env)
    failure = _process_failure(requirement, result, context, required=required, hint=_AZ_FIX)
    if failure is not None:
        return failure
    try:
        account = json.loads(result.stdout)
    except ValueError:
        account = None
    if result.returncode != 0 or not isinstance(account, dict):
        return _outcome(
            requirement,
            CheckStatus.FAILED,
            required=required,
            hint=_AZ_FIX,
            detail=f"`az account show` exited {result.returncode}: "
            f"{truncate(result.combined) or '(no output)'}",
        )
    user = account.get("user")
    user_name = user.get("name") if isinstance(user, dict) else None
    subscription = f"{account.get('name')} ({account.get('id')})"
    return _outcome(
        requirement,
        CheckStatus.OK,
        found=str(user_name or account.get("id")),
        required=required,
        detail=f"user {user_name}, subscription {subscription}",
    )


# --- pulumi-backend --------------------------------------------------------------------


def file_backend_path(url: str, cwd: Path | None = None) -> Path:
    """The directory behind ``file://~``, ``file:///abs/dir`` or ``file://relative/dir``."""
    rest = url.removeprefix("file://")
    if rest == "~" or rest.startswith("~/"):
        return Path(rest).expanduser()
    path = Path(rest)
    return path if path.is_absolute() else (cwd or Path.cwd()) / path


def _file_backend_problem(directory: Path) -> str | None:
    """None when ``directory`` is (or can be created as) a writable directory."""
    if directory.exists():
        if not directory.is_dir():
            return f"{directory} exists and is not a directory"
        if not os.access(directory, os.W_OK | os.X_OK):
            return f"{directory} is not writable"
        return None
    ancestor = directory.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir() or not os.access(ancestor, os.W_OK | os.X_OK):
        return f"{directory} does not exist and {ancestor} is not writable"
    return None


def probe_pulumi_backend(requirement: ProbeRequirement, context: ProbeContext) -> CheckOutcome:
    backend = str(
        requirement.params.get("backend") or context.env.get("PULUMI_BACKEND_URL") or ""
    ).strip()
    required = f"state backend {backend or 'Pulumi Cloud (default)'} reachable and writable"
    fix = f"`pulumi login {backend}`" if backend else "`pulumi login`"
    notes: list[str] = []
    if backend.startswith("file://"):
        directory = file_backend_path(backend)
        problem = _file_backend_problem(directory)
        if problem is not None:
            return _outcome(
                requirement,
                CheckStatus.FAILED,
                required=required,
                detail=problem,
                hint=f"create the directory or point the backend elsewhere ({fix})",
            )
        created = "" if directory.exists() else " (will be created)"
        notes.append(f"directory {directory} writable{created}")
    pulumi = context.which("pulumi")
    if pulumi is None:
        if backend.startswith("file://"):
            notes.append("`pulumi whoami` not run: pulumi CLI not found")
            return _outcome(
                requirement,
                CheckStatus.OK,
                found=backend,
                required=required,
                detail="; ".join(notes),
            )
        return _missing_cli(requirement, "pulumi", context, required)
    env = {**context.env, "PULUMI_SKIP_UPDATE_CHECK": "true"}
    if backend:
        env["PULUMI_BACKEND_URL"] = backend
    result = run_bounded([pulumi, "whoami", "--non-interactive"], timeout=context.timeout, env=env)
    failure = _process_failure(requirement, result, context, required=required, hint=fix)
    if failure is not None:
        return failure
    user = result.stdout.strip().splitlines()[0].strip() if result.stdout.strip() else ""
    if result.returncode != 0 or not user:
        return _outcome(
            requirement,
            CheckStatus.FAILED,
            required=required,
            hint=fix,
            detail="; ".join(
                [
                    *notes,
                    f"`pulumi whoami` exited {result.returncode}: "
                    f"{truncate(result.combined) or '(no output)'}",
                ]
            ),
        )
    notes.append(f"pulumi whoami: {user}")
    return _outcome(
        requirement,
        CheckStatus.OK,
        found=backend or user,
        required=required,
        detail="; ".join(notes),
    )


_SPECS = (
    ProbeSpec(
        name="aws-caller-identity",
        run=probe_aws_caller_identity,
        summary="STS GetCallerIdentity through boto3 (AWS_PROFILE, AWS_REGION, "
        "AWS_ENDPOINT_URL honoured); reports account and ARN",
        optional_params=frozenset({"profile", "region", "endpoint_url"}),
        fix_hint=_AWS_FIX,
    ),
    ProbeSpec(
        name="kubectl-can-i",
        run=probe_kubectl_can_i,
        summary="`kubectl auth can-i VERB RESOURCE -n NAMESPACE` answers yes",
        required_params=frozenset({"verb", "resource"}),
        optional_params=frozenset({"namespace", "context"}),
        cli="kubectl",
        fix_hint="ask a cluster admin for RBAC that allows the verb on the resource",
    ),
    ProbeSpec(
        name="kubectl-namespace",
        run=probe_kubectl_namespace,
        summary="`kubectl get namespace NAMESPACE` finds it (required with namespace_mode "
        "existing; reported only for an owned namespace the stack creates)",
        required_params=frozenset({"namespace"}),
        optional_params=frozenset({"context", "mode", "create"}),
        cli="kubectl",
        fix_hint="create the namespace, or let the environment own it (namespace_mode owned)",
    ),
    ProbeSpec(
        name="gcloud-auth-list",
        run=probe_gcloud_auth_list,
        summary="`gcloud auth list --format=json` has an ACTIVE account",
        cli="gcloud",
        fix_hint=_GCLOUD_FIX,
    ),
    ProbeSpec(
        name="az-account-show",
        run=probe_az_account_show,
        summary="`az account show -o json` returns the selected subscription",
        cli="az",
        fix_hint=_AZ_FIX,
    ),
    ProbeSpec(
        name="pulumi-backend",
        run=probe_pulumi_backend,
        summary="the state backend (params.backend or PULUMI_BACKEND_URL) is usable: a file:// "
        "directory exists and is writable or creatable; `pulumi whoami` succeeds where the "
        "CLI exists (required for non-file backends)",
        optional_params=frozenset({"backend"}),
        cli="pulumi",
        cli_required=False,
        fix_hint="`pulumi login <backend>`",
    ),
)

PROBE_CATALOG: Mapping[str, ProbeSpec] = MappingProxyType({spec.name: spec for spec in _SPECS})
KNOWN_PROBES: frozenset[str] = frozenset(PROBE_CATALOG)
