"""Routing limits a Kubernetes plan must respect, checked on the plan's route objects.

The compiler refuses a split its routing mode can't express, but ``preview`` also diffs
plans it did not just compile (``--against FILE``, older baselines), so the limits are
checked again on what the plan would write:

- Gateway API: an HTTPRoute rule takes at most 16 backendRefs;
- ingress-nginx: one canary Ingress per host and path (a second one is ignored);
- AWS Load Balancer Controller: a forward action takes at most five weighted target groups,
  each weight 0-999 (the ALB's own limits); and, ALB-wide, the Ingresses of one
  IngressGroup (``group.name``; an Ingress without one is its own ALB) share one listener of
  at most 100 rules and one ALB of at most 100 target groups (ELB quotas "Rules per
  Application Load Balancer" and "Target groups per Application Load Balancer"). Each path of
  an Ingress is one listener rule; each (Ingress, Service, port) in its actions is one
  target group. Counted here per environment, on this plan; other environments in the same
  group are counted with it in the store's claim record (``group_claims``).
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any, Final

from greentic_iac.plan.model import Finding, Plan, PlanResource, Severity
from greentic_iac.targets.alb_weights import ALB_MAX_WEIGHT, ALB_MAX_WEIGHTED_TARGET_GROUPS
from greentic_iac.targets.k8s.routes import ALB, GATEWAY_MAX_BACKEND_REFS, NGINX

HTTPROUTE: Final = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute"
NAMESPACE: Final = "kubernetes:core/v1:Namespace"
INGRESS: Final = "kubernetes:networking.k8s.io/v1:Ingress"
ALB_MAX_RULES_PER_LISTENER: Final = 100
ALB_MAX_TARGET_GROUPS: Final = 100
_DEPLOYMENT_LABEL: Final = "greentic.ai/deployment"


def _error(code: str, message: str, subject: str) -> Finding:
    return Finding(severity=Severity.ERROR, code=code, message=message, subject=subject)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _httproute(resource: PlanResource) -> list[Finding]:
    findings = []
    for index, rule in enumerate(_list(_dict(resource.properties.get("spec")).get("rules"))):
        refs = _list(_dict(rule).get("backendRefs"))
        if len(refs) > GATEWAY_MAX_BACKEND_REFS:
            findings.append(
                _error(
                    "gateway-max-backend-refs",
                    f"spec.rules[{index}].backendRefs: {len(refs)} backends; a Gateway API "
                    f"HTTPRoute rule takes at most {GATEWAY_MAX_BACKEND_REFS}",
                    resource.name,
                )
            )
    return findings


def _canary_keys(resource: PlanResource) -> list[tuple[str, str, str]]:
    metadata = _dict(resource.properties.get("metadata"))
    annotations = _dict(metadata.get("annotations"))
    if annotations.get(f"{NGINX}/canary") != "true":
        return []
    spec = _dict(resource.properties.get("spec"))
    ingress_class = str(spec.get("ingressClassName", ""))
    keys = []
    for rule in _list(spec.get("rules")):
        host = str(_dict(rule).get("host", ""))
        for path in _list(_dict(_dict(rule).get("http")).get("paths")):
            keys.append((ingress_class, host, str(_dict(path).get("path", "/"))))
    return keys


def _alb_actions(resource: PlanResource) -> list[Finding]:
    annotations = _dict(_dict(resource.properties.get("metadata")).get("annotations"))
    findings = []
    prefix = f"{ALB}/actions."
    for key, raw in sorted(annotations.items()):
        if not key.startswith(prefix) or not isinstance(raw, str):
            continue
        try:
            action = json.loads(raw)
        except ValueError:
            continue
        groups = _list(_dict(_dict(action).get("forwardConfig")).get("targetGroups"))
        weighted = [g for g in groups if _dict(g).get("weight", 1) != 0]
        where = f'metadata.annotations["{key}"]'
        if len(weighted) > ALB_MAX_WEIGHTED_TARGET_GROUPS:
            findings.append(
                _error(
                    "alb-max-target-groups",
                    f"{where}: {len(weighted)} weighted target groups in one forward action; "
                    f"an ALB takes at most {ALB_MAX_WEIGHTED_TARGET_GROUPS}",
                    resource.name,
                )
            )
        for index, group in enumerate(groups):
            weight = _dict(group).get("weight")
            if weight is None:
                continue
            if not isinstance(weight, int) or isinstance(weight, bool) or not 0 <= weight <= 999:
                findings.append(
                    _error(
                        "alb-weight-range",
                        f"{where}: targetGroups[{index}].weight {weight!r} is outside the ALB "
                        f"range 0-{ALB_MAX_WEIGHT}",
                        resource.name,
                    )
                )
    return findings


def _alb_group(resource: PlanResource) -> str | None:
    """The ALB an alb-mode Ingress lands on: its group, or itself; None: not alb mode."""
    metadata = _dict(resource.properties.get("metadata"))
    annotations = _dict(metadata.get("annotations"))
    if not any(str(key).startswith(f"{ALB}/actions.") for key in annotations):
        return None
    group = annotations.get(f"{ALB}/group.name")
    if isinstance(group, str) and group:
        return f"IngressGroup {group}"
    return f"Ingress {metadata.get('namespace', '')}/{metadata.get('name', '')}"


def _alb_usage(resource: PlanResource) -> tuple[int, set[tuple[str, str, str]]]:
    """(listener rules, target groups) one alb-mode Ingress needs."""
    metadata = _dict(resource.properties.get("metadata"))
    ingress = f"{metadata.get('namespace', '')}/{metadata.get('name', '')}"
    spec = _dict(resource.properties.get("spec"))
    rules = sum(
        len(_list(_dict(_dict(rule).get("http")).get("paths"))) for rule in _list(spec.get("rules"))
    )
    groups: set[tuple[str, str, str]] = set()
    for key, raw in _dict(metadata.get("annotations")).items():
        if not str(key).startswith(f"{ALB}/actions.") or not isinstance(raw, str):
            continue
        try:
            action = json.loads(raw)
        except ValueError:
            continue
        for group in _list(_dict(_dict(action).get("forwardConfig")).get("targetGroups")):
            service = _dict(group).get("serviceName")
            if service:
                groups.add((ingress, str(service), str(_dict(group).get("servicePort", ""))))
    return rules, groups


def alb_group_findings(resources: list[PlanResource]) -> list[Finding]:
    """Error findings for every ALB (IngressGroup) over its rule or target-group quota."""
    rules: Counter[str] = Counter()
    target_groups: dict[str, set[tuple[str, str, str]]] = {}
    per_deployment: dict[str, Counter[str]] = {}
    for resource in resources:
        if resource.type != INGRESS:
            continue
        alb = _alb_group(resource)
        if alb is None:
            continue
        count, groups = _alb_usage(resource)
        rules[alb] += count
        target_groups.setdefault(alb, set()).update(groups)
        labels = _dict(_dict(resource.properties.get("metadata")).get("labels"))
        owner = str(labels.get(_DEPLOYMENT_LABEL, resource.name))
        per_deployment.setdefault(alb, Counter())[owner] += count
    findings: list[Finding] = []
    for alb in sorted(rules):
        largest = ", ".join(
            f"{deployment} ({count})" for deployment, count in per_deployment[alb].most_common(3)
        )
        advice = (
            f"archive or drain revisions of the largest deployments ({largest}), stop "
            "trusting the override header (one rule per pinnable revision), or move "
            "deployments to another group; other environments in the group count too"
        )
        if rules[alb] > ALB_MAX_RULES_PER_LISTENER:
            findings.append(
                _error(
                    "k8s.alb.group-rules",
                    f"{alb}: this plan needs {rules[alb]} listener rules; an ALB listener "
                    f'takes at most {ALB_MAX_RULES_PER_LISTENER} (ELB quota "Rules per '
                    f'Application Load Balancer"); {advice}',
                    alb,
                )
            )
        used = len(target_groups[alb])
        if used > ALB_MAX_TARGET_GROUPS:
            findings.append(
                _error(
                    "k8s.alb.group-target-groups",
                    f"{alb}: this plan needs {used} target groups; an ALB takes at most "
                    f'{ALB_MAX_TARGET_GROUPS} (ELB quota "Target groups per Application '
                    f'Load Balancer"); {advice}',
                    alb,
                )
            )
    return findings


def namespace_delete_findings(baseline: Plan | None, plan: Plan) -> list[Finding]:
    """An error for each Namespace the plan drops while it still deploys into it.

    Pulumi deletes a resource that left the program, and deleting a Namespace deletes
    everything in it: this environment's objects (just updated in place) and any other
    environment's. It happens when an owned namespace is made ``existing`` under the same
    name; the compiler refuses the cases the state shows, this check the ones only the
    applied baseline shows (a second settings change since, a legacy shared namespace).
    """
    if baseline is None:
        return []
    kept = {
        str(_dict(r.properties.get("metadata")).get("name"))
        for r in plan.resources
        if r.type == NAMESPACE
    }
    used = {
        str(_dict(r.properties.get("metadata")).get("namespace"))
        for r in plan.resources
        if r.type != NAMESPACE
    }
    findings = []
    for resource in baseline.resources:
        if resource.type != NAMESPACE:
            continue
        name = str(_dict(resource.properties.get("metadata")).get("name"))
        dropped = name not in kept
        if dropped and name in used:
            findings.append(
                _error(
                    "k8s.namespace-deleted-while-used",
                    f"namespace {name}: the applied stack owns it and this plan no longer "
                    "does, so Pulumi would delete it and everything in it while the plan "
                    "still deploys into it; take the Namespace out of the stack's state "
                    "(`pulumi state delete` its URN) first, or move to another namespace",
                    resource.name,
                )
            )
    return findings


def limit_findings(plan: Plan) -> list[Finding]:
    """Error findings for every route object over its routing mode's limit."""
    findings: list[Finding] = []
    canaries: Counter[tuple[str, str, str]] = Counter()
    canary_owner: dict[tuple[str, str, str], str] = {}
    for resource in plan.resources:
        if resource.type == HTTPROUTE:
            findings.extend(_httproute(resource))
        elif resource.type == INGRESS:
            for key in _canary_keys(resource):
                canaries[key] += 1
                canary_owner.setdefault(key, resource.name)
            findings.extend(_alb_actions(resource))
    findings.extend(alb_group_findings(plan.resources))
    for (ingress_class, host, path), count in sorted(canaries.items()):
        if count > 1:
            findings.append(
                _error(
                    "nginx-one-canary",
                    f"{count} canary Ingresses for host {host} path {path} (class "
                    f"{ingress_class}); ingress-nginx honours one canary per host and path",
                    canary_owner[(ingress_class, host, path)],
                )
            )
    return findings


def plan_limits(plan: Plan, baseline: Plan | None) -> list[Finding]:
    """``Target.limits``: the route and IngressGroup limits of the plan, then what only the
    change against the applied ``baseline`` shows (a Namespace deleted while in use)."""
    return [*limit_findings(plan), *namespace_delete_findings(baseline, plan)]
