"""The k8s target's view of the v1 namespace default; the migration step itself lives in
``spec.legacy_k8s_namespace`` because the state upgrade (in ``spec``) runs it."""

from greentic_iac.spec.legacy_k8s_namespace import legacy_namespace, pin_legacy_k8s_namespace

__all__ = ["legacy_namespace", "pin_legacy_k8s_namespace"]
