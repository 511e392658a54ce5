"""``credentials bootstrap`` on AWS: the deployer role, made with admin credentials.

The role gets exactly one inline policy, ``iam_policy_for_plan(plan)`` (what
``credentials policy`` prints), and a trust policy for either the CI's OIDC provider
(``AssumeRoleWithWebIdentity`` with the audience and a subject pattern) or one named
principal (``AssumeRole``). Each step reads first and writes only what differs, so a
second run reports no change. A role of the same name that greentic-iac did not create
for this environment is a conflict, never adopted: the tag says whose it is. On a role
that is ours, any other inline or attached policy is removed, so the role can do what the
rules pack says and nothing more.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from dataclasses import dataclass, field
from typing import Any, Final

from greentic_iac.errors import ConflictError, InvalidInputError, PreflightError

POLICY_NAME: Final = "greentic-iac-deployer"
OWNER_TAG: Final = "greentic-iac:environment"
DEFAULT_AUDIENCE: Final = "sts.amazonaws.com"
_ROLE_NAME = re.compile(r"^[\w+=,.@-]{1,64}$")
_PRINCIPAL = re.compile(r"^arn:aws[\w-]*:(iam|sts)::\d{12}:[\w+=,.@/-]+$")
_OIDC_PROVIDER = re.compile(r"^arn:aws[\w-]*:iam::\d{12}:oidc-provider/([\w.:/-]+)$")


def default_role_name(environment_id: str) -> str:
    return f"greentic-iac-deployer-{environment_id}"[:64]


def validate_role_name(name: str) -> str:
    if not _ROLE_NAME.fullmatch(name):
        raise InvalidInputError(
            f"--role-name: {name!r} is not an IAM role name (1-64 of A-Z a-z 0-9 +=,.@_-)"
        )
    return name


def trust_policy(
    *,
    principal: str | None,
    oidc_provider: str | None,
    oidc_subject: str | None,
    oidc_audience: str = DEFAULT_AUDIENCE,
) -> dict[str, Any]:
    """Who may assume the deployer role: exactly one of a principal or an OIDC provider."""
    if (principal is None) == (oidc_provider is None):
        raise InvalidInputError(
            "--principal: give exactly one of --principal ARN or --oidc-provider ARN "
            "(with --oidc-subject) to say who may assume the deployer role"
        )
    if principal is not None:
        if not _PRINCIPAL.fullmatch(principal):
            raise InvalidInputError(f"--principal: {principal!r} is not an IAM principal ARN")
        statement: dict[str, Any] = {
            "Sid": "AssumeByPrincipal",
            "Effect": "Allow",
            "Principal": {"AWS": principal},
            "Action": "sts:AssumeRole",
        }
        return {"Version": "2012-10-17", "Statement": [statement]}
    assert oidc_provider is not None
    matched = _OIDC_PROVIDER.fullmatch(oidc_provider)
    if matched is None:
        raise InvalidInputError(
            f"--oidc-provider: {oidc_provider!r} is not an IAM OIDC provider ARN "
            "(arn:aws:iam::ACCOUNT:oidc-provider/HOST)"
        )
    if not oidc_subject:
        raise InvalidInputError(
            "--oidc-subject: required with --oidc-provider (e.g. "
            "repo:ORG/REPO:ref:refs/heads/main): without it any workflow of the provider "
            "could assume the role"
        )
    host = matched.group(1)
    statement = {
        "Sid": "AssumeByCiOidc",
        "Effect": "Allow",
        "Principal": {"Federated": oidc_provider},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {
            "StringEquals": {f"{host}:aud": oidc_audience},
            "StringLike": {f"{host}:sub": oidc_subject},
        },
    }
    return {"Version": "2012-10-17", "Statement": [statement]}


@dataclass
class RoleBootstrap:
    """What ``bootstrap_role`` did: ``changes`` is empty when the role already matched."""

    role_name: str
    role_arn: str = ""
    changes: list[str] = field(default_factory=list)

    def to_json_dict(self) -> dict[str, Any]:
        return {"role_name": self.role_name, "role_arn": self.role_arn, "changes": self.changes}


def _document(raw: Any) -> Any:
    """IAM returns policy documents URL-encoded (boto3 decodes some, not all)."""
    if isinstance(raw, str):
        return json.loads(urllib.parse.unquote(raw))
    return raw


def _compact(document: dict[str, Any]) -> str:
    # IAM counts the policy size without whitespace; send the compact form.
    return json.dumps(document, separators=(",", ":"))


def _tags(role: dict[str, Any], iam: Any, role_name: str) -> dict[str, str]:
    tags = role.get("Tags")
    if tags is None:
        tags = iam.list_role_tags(RoleName=role_name).get("Tags", [])
    return {str(t["Key"]): str(t["Value"]) for t in tags}


def bootstrap_role(
    iam: Any,
    *,
    environment_id: str,
    role_name: str,
    trust: dict[str, Any],
    policy: dict[str, Any],
) -> RoleBootstrap:
    """Create or converge the role on ``iam`` (a boto3 IAM client). Idempotent.

    Raises ConflictError for a role of that name that isn't this environment's, and
    PreflightError when an IAM call is refused (the admin credentials can't do it).
    """
    from botocore.exceptions import BotoCoreError, ClientError

    result = RoleBootstrap(role_name)
    try:
        try:
            role = iam.get_role(RoleName=role_name)["Role"]
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "NoSuchEntity":
                raise
            role = iam.create_role(
                RoleName=role_name,
                AssumeRolePolicyDocument=_compact(trust),
                Description=f"greentic-iac deployer for environment {environment_id}",
                Tags=[
                    {"Key": OWNER_TAG, "Value": environment_id},
                    {"Key": "app.kubernetes.io/managed-by", "Value": "greentic-iac"},
                ],
            )["Role"]
            result.changes.append("created role")
        else:
            owner = _tags(role, iam, role_name).get(OWNER_TAG)
            if owner != environment_id:
                raise ConflictError(
                    f"--role-name: role {role_name} exists and is not greentic-iac's deployer "
                    f"for {environment_id} (tag {OWNER_TAG} is {owner!r}); pick another name"
                )
            if _document(role.get("AssumeRolePolicyDocument")) != trust:
                iam.update_assume_role_policy(RoleName=role_name, PolicyDocument=_compact(trust))
                result.changes.append("updated trust policy")
        result.role_arn = str(role["Arn"])
        _converge_policies(iam, role_name, policy, result)
    except (BotoCoreError, ClientError) as error:
        raise PreflightError(
            f"IAM: {type(error).__name__}: {str(error).splitlines()[0][:200]} "
            "(bootstrap needs admin credentials: iam:CreateRole, iam:PutRolePolicy, ...)"
        ) from None
    return result


def _converge_policies(
    iam: Any, role_name: str, policy: dict[str, Any], result: RoleBootstrap
) -> None:
    from botocore.exceptions import ClientError

    names = iam.list_role_policies(RoleName=role_name).get("PolicyNames", [])
    for other in sorted(n for n in names if n != POLICY_NAME):
        iam.delete_role_policy(RoleName=role_name, PolicyName=other)
        result.changes.append(f"removed inline policy {other}")
    attached = iam.list_attached_role_policies(RoleName=role_name).get("AttachedPolicies", [])
    for item in attached:
        iam.detach_role_policy(RoleName=role_name, PolicyArn=item["PolicyArn"])
        result.changes.append(f"detached {item['PolicyArn']}")
    current: Any = None
    if POLICY_NAME in names:
        try:
            current = _document(
                iam.get_role_policy(RoleName=role_name, PolicyName=POLICY_NAME)["PolicyDocument"]
            )
        except ClientError:
            current = None
    if current != policy:
        iam.put_role_policy(
            RoleName=role_name, PolicyName=POLICY_NAME, PolicyDocument=_compact(policy)
        )
        result.changes.append("put inline policy" if current is None else "updated inline policy")


def live_policy_matches(iam: Any, role_name: str, policy: dict[str, Any]) -> str:
    """``match``, ``differs`` or ``unreadable``: the role's inline policy against ``policy``."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        raw = iam.get_role_policy(RoleName=role_name, PolicyName=POLICY_NAME)["PolicyDocument"]
    except (BotoCoreError, ClientError):
        return "unreadable"
    return "match" if _document(raw) == policy else "differs"
