"""The built-in ``example`` target: a tiny plan that exercises every emitter feature.

It exists so the Plan IR, the emitter, the exporter and the conformance kit can be tested
before (and independently of) the real AWS and Kubernetes targets. Per environment: an S3
bucket with a bucket policy that refers to the bucket (a ``$ref``), a Kubernetes namespace;
per active deployment: a ConfigMap in that namespace (parented to it) and a Gateway API
HTTPRoute splitting traffic over the deployment's revisions; per revision: a ConfigMap
that depends on its deployment's ConfigMap. Names come from ids only, so staging a
revision adds resources and renames none.
"""

from __future__ import annotations

import json
from typing import Any

from greentic_iac.plan.model import (
    DeploymentTraffic,
    Plan,
    PlanResource,
    ResourceOptions,
    RevisionTraffic,
    ref,
)
from greentic_iac.plan.names import logical_name
from greentic_iac.spec.lifecycle import RevisionLifecycle
from greentic_iac.spec.revision import Revision
from greentic_iac.spec.state import EnvironmentState
from greentic_iac.targets import context_tags

TARGET = "greentic.example"
# Kubernetes object names are DNS labels; S3 bucket names are at most 63 characters.
_K8S_NAME_LIMIT = 63
_BUCKET_LIMIT = 63


def _resource(**fields: Any) -> PlanResource:
    # Built from trusted, already-validated state by this module; skipping per-resource
    # validation keeps 1000 x 3 under the bench budget. Plan() still checks names and refs.
    return PlanResource.trusted(**fields)


def _sequence(revision: Revision) -> int:
    return revision.sequence


def _revision_is_live(lifecycle: RevisionLifecycle) -> bool:
    return lifecycle not in {RevisionLifecycle.ARCHIVED}


def _environment_resources(state: EnvironmentState) -> list[PlanResource]:
    env_id = state.environment.environment_id
    tags = context_tags(state, prefix="greentic:")
    bucket = logical_name("bucket", env_id)
    bucket_name = logical_name("greentic-artifacts", env_id, max_length=_BUCKET_LIMIT)
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [f"arn:aws:s3:::{bucket_name}", f"arn:aws:s3:::{bucket_name}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ],
    }
    namespace = logical_name("ns", env_id)
    return [
        _resource(
            type="aws:s3/bucket:Bucket",
            name=bucket,
            properties={"bucket": bucket_name, "forceDestroy": False, "tags": tags},
        ),
        _resource(
            type="aws:s3/bucketPolicy:BucketPolicy",
            name=logical_name("bucket-policy", env_id),
            properties={
                "bucket": ref(bucket, "id"),
                "policy": json.dumps(policy, sort_keys=True, separators=(",", ":")),
            },
        ),
        _resource(
            type="kubernetes:core/v1:Namespace",
            name=namespace,
            properties={
                "metadata": {
                    "name": logical_name("greentic", env_id, max_length=_K8S_NAME_LIMIT),
                    "labels": context_tags(state),
                }
            },
            options=ResourceOptions(protect=True),
        ),
    ]


def _deployment_resources(
    state: EnvironmentState, deployment_id: str, revisions_of: list[Revision]
) -> tuple[list[PlanResource], DeploymentTraffic]:
    env_id = state.environment.environment_id
    namespace = logical_name("ns", env_id)
    deployment = state.deployments[deployment_id]
    config = logical_name("cm", deployment_id)
    resources = [
        _resource(
            type="kubernetes:core/v1:ConfigMap",
            name=config,
            parent=namespace,
            properties={
                "metadata": {
                    "name": logical_name("greentic", deployment_id, max_length=_K8S_NAME_LIMIT),
                    "namespace": ref(namespace, "metadata.name"),
                    "labels": context_tags(state, deployment_id=deployment_id),
                },
                "data": {
                    "bundle": deployment.bundle_id,
                    "host": deployment.route_binding.host,
                    "pathPrefix": deployment.route_binding.path_prefix,
                    **state.deployment_config.get(deployment_id, {}),
                },
            },
        )
    ]
    backends: list[dict[str, Any]] = []
    revisions: list[RevisionTraffic] = []
    for revision in revisions_of:
        if not _revision_is_live(revision.lifecycle):
            continue
        weight = state.weight_of(revision)
        resources.append(
            _resource(
                type="kubernetes:core/v1:ConfigMap",
                name=logical_name("cm", deployment_id, revision.revision_id),
                depends_on=[config],
                properties={
                    "metadata": {
                        "name": logical_name(
                            "greentic", revision.revision_id, max_length=_K8S_NAME_LIMIT
                        ),
                        "namespace": ref(namespace, "metadata.name"),
                        "labels": context_tags(
                            state, deployment_id=deployment_id, revision_id=revision.revision_id
                        ),
                    },
                    "data": {
                        "bundleDigest": revision.bundle_digest,
                        "lifecycle": revision.lifecycle.value,
                        "sequence": str(revision.sequence),
                    },
                },
            )
        )
        backends.append(
            {
                "name": logical_name("svc", revision.revision_id, max_length=_K8S_NAME_LIMIT),
                "port": 8080,
                "weight": weight,
            }
        )
        revisions.append(
            RevisionTraffic(
                revision_id=revision.revision_id,
                requested_bps=weight,
                applied_weight=weight,
                effective_bps=float(weight),
            )
        )
    route = deployment.route_binding
    resources.append(
        _resource(
            type="kubernetes:gateway.networking.k8s.io/v1:HTTPRoute",
            name=logical_name("route", deployment_id),
            properties={
                "metadata": {
                    "name": logical_name("greentic", deployment_id, max_length=_K8S_NAME_LIMIT),
                    "namespace": ref(namespace, "metadata.name"),
                    "labels": context_tags(state, deployment_id=deployment_id),
                },
                "spec": {
                    "hostnames": [route.host],
                    "parentRefs": [{"name": "greentic-gateway"}],
                    "rules": [
                        {
                            "matches": [
                                {"path": {"type": "PathPrefix", "value": route.path_prefix}}
                            ],
                            "backendRefs": backends,
                        }
                    ],
                },
            },
        )
    )
    traffic = DeploymentTraffic(
        deployment_id=deployment_id, method="gateway-api-bps-exact", revisions=revisions
    )
    return resources, traffic


def compile_plan(state: EnvironmentState) -> Plan:
    """The example plan for ``state`` (pure, deterministic)."""
    env_id = state.environment.environment_id
    resources = _environment_resources(state)
    traffic: list[DeploymentTraffic] = []
    # One pass over the revisions (state.revisions_of per deployment would be quadratic).
    by_deployment: dict[str, list[Revision]] = {}
    for revision in state.revisions.values():
        by_deployment.setdefault(revision.deployment_id, []).append(revision)
    for deployment in state.active_deployments():
        revisions = sorted(by_deployment.get(deployment.deployment_id, []), key=_sequence)
        more, split = _deployment_resources(state, deployment.deployment_id, revisions)
        resources.extend(more)
        traffic.append(split)
    return Plan(
        environment_id=env_id,
        target=TARGET,
        resources=resources,
        traffic=traffic,
        outputs={
            "bucketArn": ref(logical_name("bucket", env_id), "arn"),
            "namespace": ref(logical_name("ns", env_id), "metadata.name"),
        },
    )
