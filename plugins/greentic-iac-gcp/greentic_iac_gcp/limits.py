"""What a Cloud Run plan can't realise, checked at preview and by every verb that changes a
split (``Target.limits``), from the plan alone: no Google Cloud call.

- A global external Application Load Balancer's URL map holds at most 1 MB of
  configuration (``URL_MAP_MAX_BYTES``); the plan's URL map is measured as the compact JSON
  the API receives, which errs on the generous side of Google's own accounting.
- A weighted backend service's weight is an integer 0-1000, and a route action needs one
  weight above 0.
- A route rule's priority is unique within its path matcher.
- A Google-managed certificate covers at most 100 domains.

With the applied plan as ``baseline``, a change of the managed certificate's domains is a
warning: the new certificate provisions only once DNS for every domain points at the load
balancer, and HTTPS for a new host fails until then.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any, Final

from greentic_iac.plan import Finding, Plan, Severity
from greentic_iac_gcp.compiler import (
    MAX_CERTIFICATE_DOMAINS,
    T_CERTIFICATE,
    T_URL_MAP,
)
from greentic_iac_gcp.weights import MAX_WEIGHT

URL_MAP_MAX_BYTES: Final = 1_000_000
URL_MAP_WARN_FRACTION: Final = 0.8


def _error(code: str, message: str, subject: str | None = None) -> Finding:
    return Finding(severity=Severity.ERROR, code=code, message=message, subject=subject)


def _route_action_problems(name: str, matcher: str, rule: dict[str, Any]) -> list[Finding]:
    weighted = rule.get("routeAction", {}).get("weightedBackendServices")
    if weighted is None:
        return []
    weights = [entry.get("weight") for entry in weighted]
    problems = [
        _error(
            "gcp-urlmap-weight",
            f"{name}: path matcher {matcher}: weight {weight!r} is not an integer 0-{MAX_WEIGHT}",
            name,
        )
        for weight in weights
        if not isinstance(weight, int) or not 0 <= weight <= MAX_WEIGHT
    ]
    if not problems and not any(weights):
        problems.append(
            _error(
                "gcp-urlmap-weight",
                f"{name}: path matcher {matcher}: a route action needs a weight above 0",
                name,
            )
        )
    return problems


def _url_map_findings(name: str, properties: dict[str, Any]) -> list[Finding]:
    findings: list[Finding] = []
    size = len(json.dumps(properties, separators=(",", ":"), sort_keys=True).encode())
    if size > URL_MAP_MAX_BYTES:
        findings.append(
            _error(
                "gcp-urlmap-size",
                f"{name}: the URL map is {size} bytes, over the {URL_MAP_MAX_BYTES}-byte limit "
                "of a global external Application Load Balancer; split the deployments across "
                "environments or archive revisions",
                name,
            )
        )
    elif size > URL_MAP_MAX_BYTES * URL_MAP_WARN_FRACTION:
        findings.append(
            Finding(
                severity=Severity.WARNING,
                code="gcp-urlmap-size",
                message=f"{name}: the URL map is {size} bytes, near the {URL_MAP_MAX_BYTES}-byte "
                "limit",
                subject=name,
            )
        )
    for matcher in properties.get("pathMatchers", []):
        rules = matcher.get("routeRules", [])
        for priority, count in Counter(rule.get("priority") for rule in rules).items():
            if count > 1:
                findings.append(
                    _error(
                        "gcp-urlmap-priority",
                        f"{name}: path matcher {matcher.get('name')}: priority {priority} is "
                        f"used by {count} route rules",
                        name,
                    )
                )
        for rule in rules:
            findings += _route_action_problems(name, str(matcher.get("name")), rule)
    return findings


def _certificate_domains(plan: Plan) -> set[str] | None:
    for resource in plan.resources:
        if resource.type == T_CERTIFICATE:
            return set(resource.properties.get("managed", {}).get("domains", []))
    return None


def limit_findings(plan: Plan, baseline: Plan | None) -> list[Finding]:
    """``Target.limits``: error findings block; warnings are shown."""
    findings: list[Finding] = []
    for resource in plan.resources:
        if resource.type == T_URL_MAP:
            findings += _url_map_findings(resource.name, resource.properties)
    domains = _certificate_domains(plan)
    if domains is not None and len(domains) > MAX_CERTIFICATE_DOMAINS:
        findings.append(
            _error(
                "gcp-certificate-domains",
                f"{len(domains)} domains exceed the {MAX_CERTIFICATE_DOMAINS} of a "
                "Google-managed certificate",
            )
        )
    before = _certificate_domains(baseline) if baseline is not None else None
    if domains is not None and before is not None and domains != before:
        added = sorted(domains - before)
        findings.append(
            Finding(
                severity=Severity.WARNING,
                code="gcp-certificate-reprovision",
                message="the managed certificate's domains change"
                + (f" (new: {', '.join(added)})" if added else "")
                + ": a new certificate provisions once DNS for every domain points at the "
                "load balancer; HTTPS for a new host fails until it is ACTIVE",
                subject="certificate",
            )
        )
    return findings
