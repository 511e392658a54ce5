"""What a Cloud Run plan can't realise, checked at preview and by every verb that changes a
split (``Target.limits``), from the plan alone: no Google Cloud call.

- A global external Application Load Balancer's URL map holds at most 1 MB of
  configuration (``URL_MAP_MAX_BYTES``); the plan's URL map is measured as the compact JSON
  the API receives (``url_map_size``). The compiler warns from 80 % on.
- A weighted backend service's weight is an integer 0-1000, and a route action needs one
  weight above 0.
- A route rule's priority is unique within its path matcher.
- A Google-managed certificate covers at most 100 domains.

Only error findings are returned: every finding ``Target.limits`` gives blocks the preview
and the verbs that change a split. Warnings (a URL map near its size limit, a weight that
had to be raised) are the compiler's findings, shown by ``preview`` and ``plan``.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any, Final

from greentic_iac.plan import Finding, Plan, Severity
from greentic_iac_gcp.tokens import T_CERTIFICATE, T_URL_MAP
from greentic_iac_gcp.weights import MAX_WEIGHT

URL_MAP_MAX_BYTES: Final = 1_000_000
URL_MAP_WARN_FRACTION: Final = 0.8
MAX_CERTIFICATE_DOMAINS: Final = 100


def url_map_size(properties: dict[str, Any]) -> int:
    """The URL map's size as the API receives it (compact JSON, in bytes)."""
    return len(json.dumps(properties, separators=(",", ":"), sort_keys=True).encode())


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
        if not isinstance(weight, int) or isinstance(weight, bool) or not 0 <= weight <= MAX_WEIGHT
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


def _url_map_errors(name: str, properties: dict[str, Any]) -> list[Finding]:
    findings: list[Finding] = []
    size = url_map_size(properties)
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


def limit_findings(plan: Plan, baseline: Plan | None) -> list[Finding]:
    """``Target.limits``: what Google Cloud would refuse, as error findings."""
    del baseline  # every limit here is one of the plan itself
    findings: list[Finding] = []
    for resource in plan.resources:
        if resource.type == T_URL_MAP:
            findings += _url_map_errors(resource.name, resource.properties)
        elif resource.type == T_CERTIFICATE:
            domains = resource.properties.get("managed", {}).get("domains", [])
            if len(domains) > MAX_CERTIFICATE_DOMAINS:
                findings.append(
                    _error(
                        "gcp-certificate-domains",
                        f"{len(domains)} domains exceed the {MAX_CERTIFICATE_DOMAINS} of a "
                        "Google-managed certificate",
                        resource.name,
                    )
                )
    return findings
