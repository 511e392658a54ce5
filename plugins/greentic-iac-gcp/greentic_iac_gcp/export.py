"""``plan --format gcp-url-map``: the plan's URL maps as the YAML ``gcloud`` imports.

Routing is what a reviewer of a Cloud Run change wants to read, and what an operator may
want to apply by hand (``gcloud compute url-maps import NAME --source=FILE --global``)
while Pulumi is out of reach. References to backend services become the partial URLs the
API accepts (``projects/<project>/global/backendServices/<name>``): the names are known
from the plan, so the export needs no deployed stack.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import yaml

from greentic_iac.errors import InvalidInputError
from greentic_iac.plan import Plan
from greentic_iac.plan.target import Exporter
from greentic_iac.plan.wire import map_refs
from greentic_iac_gcp.tokens import T_BACKEND, T_URL_MAP

FORMAT: Final = "gcp-url-map"


def url_map_files(plan: Plan, provider_config: Mapping[str, str]) -> dict[str, bytes]:
    """One ``<url map name>.yaml`` per URL map of the plan."""
    del provider_config  # every resource of the plan carries its project
    backends = {
        r.name: f"projects/{r.properties['project']}/global/backendServices/{r.properties['name']}"
        for r in plan.resources
        if r.type == T_BACKEND
    }

    def resolve(resource: str, output: str) -> str:
        if output != "id" or resource not in backends:
            raise InvalidInputError(
                f"--format {FORMAT}: the URL map refers to {resource}.{output}, which the "
                "export can't name"
            )
        return backends[resource]

    files: dict[str, bytes] = {}
    for resource in plan.resources:
        if resource.type != T_URL_MAP:
            continue
        body = {k: v for k, v in resource.properties.items() if k != "project"}
        document = map_refs(body, resolve)
        header = (
            f"# URL map {body['name']} of environment {plan.environment_id}, from its plan.\n"
            f"# gcloud compute url-maps import {body['name']} --source=<this file> --global "
            f"--project={resource.properties['project']}\n"
        )
        text = header + yaml.safe_dump(document, sort_keys=True, default_flow_style=False)
        files[f"{body['name']}.yaml"] = text.encode()
    return files


EXPORTS: Final[dict[str, Exporter]] = {FORMAT: url_map_files}
