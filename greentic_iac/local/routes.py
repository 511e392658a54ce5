"""The router's route table: host + longest path prefix to a deployment's split.

Built from a ``RuntimeConfig`` in one go and swapped as a whole, so a request sees either
the old table or the new one, never a mix. Matching follows Gateway API precedence: the
most specific host first (an exact host beats a wildcard, a longer wildcard beats a shorter
one), then the longest path prefix, matched on ``/`` segment boundaries.
"""

from __future__ import annotations

from dataclasses import dataclass

from greentic_iac.local.dispatcher import DeploymentSplit, RevisionRoute
from greentic_iac.spec import RevisionLifecycle, RuntimeConfig, RuntimeDeployment


@dataclass(frozen=True)
class DeploymentRoute:
    host: str
    path_prefix: str
    bundle_id: str
    split: DeploymentSplit

    @property
    def deployment_id(self) -> str:
        return self.split.deployment_id

    def host_matches(self, host: str) -> bool:
        if self.host.startswith("*."):
            suffix = self.host[1:]
            return host.endswith(suffix) and len(host) > len(suffix)
        return host == self.host

    def path_matches(self, path: str) -> bool:
        prefix = self.path_prefix.rstrip("/")
        return not prefix or path == prefix or path.startswith(prefix + "/")

    def precedence(self) -> tuple[bool, int, int]:
        return (not self.host.startswith("*."), len(self.host), len(self.path_prefix.rstrip("/")))


def normalise_host(header: str) -> str:
    """``Example.COM:8787`` -> ``example.com``; IPv6 literals keep their brackets."""
    host = header.strip().lower()
    if host.startswith("["):
        end = host.find("]")
        return host[: end + 1] if end != -1 else host
    return host.rsplit(":", 1)[0].rstrip(".") if ":" in host else host.rstrip(".")


def split_of(environment_id: str, deployment: RuntimeDeployment) -> DeploymentSplit:
    return DeploymentSplit(
        environment_id=environment_id,
        tenant=deployment.tenant,
        deployment_id=deployment.deployment_id,
        generation=deployment.split_generation,
        revisions=tuple(
            RevisionRoute(
                revision_id=r.revision_id,
                weight_bps=r.weight_bps,
                ready=r.lifecycle == RevisionLifecycle.READY,
            )
            for r in deployment.revisions
        ),
    )


@dataclass(frozen=True)
class RouteTable:
    environment_id: str
    generation: int
    routes: tuple[DeploymentRoute, ...]

    @classmethod
    def empty(cls, environment_id: str = "") -> RouteTable:
        return cls(environment_id, -1, ())

    @classmethod
    def from_config(cls, config: RuntimeConfig) -> RouteTable:
        routes = [
            DeploymentRoute(
                host=d.route_binding.host,
                path_prefix=d.route_binding.path_prefix,
                bundle_id=d.bundle_id,
                split=split_of(config.environment_id, d),
            )
            for d in config.deployments
        ]
        # Most specific first, so match() can return the first hit.
        routes.sort(key=lambda r: (r.precedence(), r.deployment_id), reverse=True)
        return cls(config.environment_id, config.generation, tuple(routes))

    def match(self, host: str, path: str) -> DeploymentRoute | None:
        for route in self.routes:
            if route.host_matches(host) and route.path_matches(path):
                return route
        return None
