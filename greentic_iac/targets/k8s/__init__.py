"""The Kubernetes target (``greentic.deployer.k8s``): a pure compiler from state to plan.

Per revision a Deployment and a Service; per deployment a weighted route in one of three
modes (Gateway API HTTPRoute, ingress-nginx canary Ingresses, AWS Load Balancer Controller
Ingress); each environment owns its namespace unless it is an explicitly shared, existing
one. An ``alb`` IngressGroup's quotas are held in a store claim across environments
(``reconcile_allocations``). See docs/targets/k8s.md.
"""

from greentic_iac.targets.k8s.compiler import TARGET, compile_plan, settings_for
from greentic_iac.targets.k8s.credentials import can_i_requirements, rbac_role_for_plan
from greentic_iac.targets.k8s.export import export_k8s_yaml
from greentic_iac.targets.k8s.group_claims import reconcile_allocations
from greentic_iac.targets.k8s.settings import (
    K8sSettings,
    settings_json_schema,
    settings_json_schema_text,
)

__all__ = [
    "TARGET",
    "K8sSettings",
    "can_i_requirements",
    "compile_plan",
    "export_k8s_yaml",
    "rbac_role_for_plan",
    "reconcile_allocations",
    "settings_for",
    "settings_json_schema",
    "settings_json_schema_text",
]
