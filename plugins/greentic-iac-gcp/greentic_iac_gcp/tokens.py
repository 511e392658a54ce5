"""The Pulumi type tokens a Cloud Run plan uses (pulumi-gcp's own tokens).

The core's emitter resolves them through ``Target.sdk_modules`` (``gcp:`` -> ``pulumi_gcp``)
by Pulumi's naming convention: ``gcp:compute/uRLMap:URLMap`` -> ``pulumi_gcp.compute.URLMap``.
"""

from __future__ import annotations

from typing import Final

T_SERVICE: Final = "gcp:cloudrunv2/service:Service"
T_INVOKER: Final = "gcp:cloudrunv2/serviceIamMember:ServiceIamMember"
T_NEG: Final = "gcp:compute/regionNetworkEndpointGroup:RegionNetworkEndpointGroup"
T_BACKEND: Final = "gcp:compute/backendService:BackendService"
T_URL_MAP: Final = "gcp:compute/uRLMap:URLMap"
T_HTTP_PROXY: Final = "gcp:compute/targetHttpProxy:TargetHttpProxy"
T_HTTPS_PROXY: Final = "gcp:compute/targetHttpsProxy:TargetHttpsProxy"
T_FORWARDING: Final = "gcp:compute/globalForwardingRule:GlobalForwardingRule"
T_ADDRESS: Final = "gcp:compute/globalAddress:GlobalAddress"
T_CERTIFICATE: Final = "gcp:compute/managedSslCertificate:ManagedSslCertificate"
T_ACCOUNT: Final = "gcp:serviceaccount/account:Account"
T_SECRET_ACCESS: Final = "gcp:secretmanager/secretIamMember:SecretIamMember"  # noqa: S105 (a type token)

RESOURCE_TYPES: Final = (
    T_SERVICE, T_INVOKER, T_NEG, T_BACKEND, T_URL_MAP, T_HTTP_PROXY, T_HTTPS_PROXY,
    T_FORWARDING, T_ADDRESS, T_CERTIFICATE, T_ACCOUNT, T_SECRET_ACCESS,
)  # fmt: skip
